/**
 * When did the data on a socket really arrive? A response that comes in while the event loop is busy
 * (garbage collection, another callback, a process waiting for a core) is only seen when the loop gets to
 * it; a timestamp taken then is late by the wait. On Linux the kernel remembers when each TCP connection
 * last received data, so the checker asks it instead, through a small native addon (native/, built by
 * node-gyp at install). Without the addon (not built, another OS, another runtime) every answer is the
 * event loop's own clock, as before.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { arrivalTime, TickGrid } from './tick-grid.js';

export { arrivalTime, TickGrid, type Readings } from './tick-grid.js';

interface NativeReader {
  read(fd: number, out: Float64Array): boolean;
  tickMs(): number | null;
}

/** The addon's file name: built into ../build/Release, copied beside the bundle by scripts/build.mjs. */
const ADDON_FILE = 'receive_time.node';

/** Where the addon may be: beside this module (the bundle in dist/) or in the package's build folder. */
const CANDIDATES = [`./${ADDON_FILE}`, `../build/Release/${ADDON_FILE}`];

function loadNative(): { reader: NativeReader; grid: TickGrid } | null {
  if (process.platform !== 'linux') return null;
  const load = createRequire(import.meta.url);
  for (const candidate of CANDIDATES) {
    let reader: NativeReader;
    try {
      reader = load(fileURLToPath(new URL(candidate, import.meta.url))) as NativeReader;
    } catch {
      continue;
    }
    const tick = reader.tickMs();
    if (tick === null || !(tick > 0)) return null;
    return { reader, grid: new TickGrid(tick) };
  }
  return null;
}

/** The file descriptor under a net or TLS socket, when the runtime exposes one. */
function descriptorOf(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

export interface ReceiveClock {
  /** `kernel` when arrival times come from the kernel; `event-loop` when they are the loop's own clock. */
  readonly source: 'kernel' | 'event-loop';
  /**
   * When the latest data on this socket arrived, on the performance.now() clock, never later than now.
   * Call it while the socket is open (before destroy): a closed socket, or one the kernel says nothing
   * about, gets the current time.
   */
  lastDataAt(socket: Socket): number;
}

function kernelClock(reader: NativeReader, grid: TickGrid): ReceiveClock {
  const readings = new Float64Array(3);
  const view = { sinceLastDataMs: 0, coarseMs: 0, nowMs: 0 };
  return {
    source: 'kernel',
    lastDataAt(socket) {
      const fd = descriptorOf(socket);
      if (fd === null || !reader.read(fd, readings)) return performance.now();
      const now = performance.now();
      view.sinceLastDataMs = readings[0]!;
      view.coarseMs = readings[1]!;
      view.nowMs = readings[2]!;
      return arrivalTime(now, grid.ageOf(view), grid.tickMs);
    },
  };
}

const eventLoopClock: ReceiveClock = { source: 'event-loop', lastDataAt: () => performance.now() };

const native = loadNative();

/** The process's receive clock: the kernel's where the addon loaded, else the event loop's. */
export const receiveClock: ReceiveClock = native ? kernelClock(native.reader, native.grid) : eventLoopClock;

/** The clock that never asks the kernel, for comparison (benchmarks, tests). */
export const loopClock: ReceiveClock = eventLoopClock;
