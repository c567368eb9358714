/*
 * Reads, for one TCP socket, what the Linux kernel knows about when data last arrived on it, together with
 * the clocks needed to place that moment on CLOCK_MONOTONIC (the clock behind performance.now()).
 *
 * TCP_INFO's tcpi_last_data_recv is "milliseconds since the last data segment arrived", counted in
 * scheduler ticks (jiffies). The tick grid is found from CLOCK_MONOTONIC_COARSE, which advances once per
 * tick; the JavaScript side turns the three readings into an arrival time (see src/estimate.ts). Only
 * readings are returned here, so the arithmetic stays testable in TypeScript.
 *
 * read(fd, out) -> true after writing [sinceLastDataMs, coarseMs, nowMs] into the Float64Array out (no
 *   allocation per call: it runs twice per check); false when the socket has no TCP_INFO.
 * tickMs() -> the resolution of CLOCK_MONOTONIC_COARSE in milliseconds (one scheduler tick).
 */
#include <node_api.h>
#include <stdbool.h>

#if defined(__linux__)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

static double millis(const struct timespec *t) { return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6; }

static napi_value boolean(napi_env env, bool value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

static napi_value read_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return boolean(env, false);
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return boolean(env, false);
  napi_typedarray_type type;
  size_t count;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &type, &count, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || count < 3)
    return boolean(env, false);

  struct tcp_info tcp;
  socklen_t length;
  struct timespec coarse, after, now;
  /* The kernel counts tcpi_last_data_recv from the current tick; the coarse clock names that tick. Read it
   * on both sides of the getsockopt and retry when a tick fell in between, so the two always agree. */
  for (int attempt = 0;; attempt++) {
    clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse);
    length = sizeof tcp;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &tcp, &length) != 0) return boolean(env, false);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &after);
    if ((after.tv_sec == coarse.tv_sec && after.tv_nsec == coarse.tv_nsec) || attempt == 2) break;
  }
  clock_gettime(CLOCK_MONOTONIC, &now);

  double *out = data;
  out[0] = (double)tcp.tcpi_last_data_recv;
  out[1] = millis(&coarse);
  out[2] = millis(&now);
  return boolean(env, true);
}

static napi_value tick_ms(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec resolution;
  napi_value result;
  if (clock_getres(CLOCK_MONOTONIC_COARSE, &resolution) != 0) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_double(env, millis(&resolution), &result);
  return result;
}
#else
/* Elsewhere there is no such reading: the JavaScript side falls back to the event loop's clock. */
static napi_value read_socket(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_get_boolean(env, false, &result);
  return result;
}
static napi_value tick_ms(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_get_null(env, &result);
  return result;
}
#endif

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "read", NAPI_AUTO_LENGTH, read_socket, NULL, &fn);
  napi_set_named_property(env, exports, "read", fn);
  napi_create_function(env, "tickMs", NAPI_AUTO_LENGTH, tick_ms, NULL, &fn);
  napi_set_named_property(env, exports, "tickMs", fn);
  return exports;
}
