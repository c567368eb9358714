import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FinishedCheck, MetricsSink, NotificationOutcome, ShedCause } from './sink.js';

/** Every series is named `better_uptime_*`; Node's process metrics too. */
export const METRIC_PREFIX = 'better_uptime_';

/** A region's queue as a scrape sees it (the TaskQueue's stats). */
export interface QueueFigures {
  length: number;
  pending: number;
  deadLetters: number;
  /** Age of the oldest entry delivered and not acknowledged; null when none is pending. */
  oldestPendingAgeMs: number | null;
}

/** A connection pool's use, as pg.Pool reports it. */
export interface PoolFigures {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface MonitorFigures {
  id: string;
  name: string;
  /** True up, false down; monitors neither up nor down (pending, paused, maintenance) are left out. */
  up: boolean;
  /** The newest check's response time; null when it got no response. */
  responseTimeMs: number | null;
}

export interface Metrics extends MetricsSink {
  readonly registry: Registry;
  /** The text exposition of every series, after the scrape-time sources have been read. */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** Reads the queue's figures of these regions on each scrape. */
  watchQueue(regions: readonly string[], stats: (region: string) => Promise<QueueFigures>): void;
  /** Reads a connection pool's use on each scrape. */
  watchPool(name: string, pool: PoolFigures): void;
  /** Counts open incidents on a scrape (at most once per `cacheMs`). */
  watchOpenIncidents(count: () => Promise<number>): void;
  /** Reads each monitor's state and newest response time on a scrape (at most once per `cacheMs`). */
  watchMonitors(read: () => Promise<MonitorFigures[]>): void;
}

export interface MetricsOptions {
  /**
   * A scrape-time source that has not answered in this long (default 1 s) is left out of that scrape: its
   * labelled series are missing, a single figure keeps its last reading.
   */
  sourceTimeoutMs?: number;
  /** Database figures are read at most this often, however many scrapers (default 5 s). */
  cacheMs?: number;
  /** Node.js process metrics (CPU, memory, event loop delay, GC); default true. */
  processMetrics?: boolean;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LATENESS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BATCH_ROWS = [1, 5, 10, 25, 50, 100, 250, 500, 1000];
const PHASES = [
  ['dns', 'dnsMs'],
  ['connect', 'connectMs'],
  ['tls', 'tlsMs'],
  ['ttfb', 'firstByteMs'],
  ['total', 'totalMs'],
] as const;

/**
 * One process's metrics: a registry of its own (so tests and several systems in one process do not mix)
 * holding every component's series. The sink calls update counters and histograms as work happens; the
 * watched sources (queue, pools, database) are read when Prometheus scrapes, each under a timeout, so a
 * dead Redis or database leaves its series out of a scrape instead of hanging it.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const timeoutMs = options.sourceTimeoutMs ?? 1_000;
  const cacheMs = options.cacheMs ?? 5_000;
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  const name = (suffix: string) => METRIC_PREFIX + suffix;
  const counter = <L extends string>(suffix: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name: name(suffix), help, labelNames, registers });
  const histogram = <L extends string>(
    suffix: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new Histogram({ name: name(suffix), help, labelNames, buckets, registers });
  const checks = counter(
    'checks_total',
    'Checks finished, by monitor kind, region, outcome (up, degraded, down) and failure reason',
    ['kind', 'region', 'outcome', 'reason'] as const,
  );
  const phases = histogram(
    'check_phase_seconds',
    'Duration of each phase of a check (dns, connect, tls, ttfb, total), by region',
    ['region', 'phase'] as const,
    SECONDS,
  );
  const lateness = histogram(
    'schedule_lateness_seconds',
    'Time from a slot to the start of its check, by region',
    ['region'] as const,
    LATENESS_SECONDS,
  );
  const shed = counter(
    'slots_shed_total',
    'Slots dropped instead of run (load shedding): stale (older than their interval) or backlog',
    ['region', 'cause'] as const,
  );
  const deadLetters = counter(
    'dead_letters_total',
    'Queue entries moved to the dead-letter stream, by region and reason',
    ['region', 'reason'] as const,
  );
  const batchRows = histogram(
    'result_write_batch_rows',
    'Rows per bulk insert of check results, by region',
    ['region'] as const,
    BATCH_ROWS,
  );
  const writeSeconds = histogram(
    'result_write_seconds',
    'Duration of each bulk insert of check results (with the states it changes), by region and outcome',
    ['region', 'outcome'] as const,
    SECONDS,
  );
  const notifications = counter(
    'notifications_total',
    'Notification deliveries, by channel type and outcome (delivered, retry, failed)',
    ['channel_type', 'outcome'] as const,
  );
  const sourceFailures = counter(
    'metrics_source_failures_total',
    'Scrape-time sources (queue, database) that failed or timed out; their series were left out',
    ['source'] as const,
  );

  /** Runs a scrape-time source under the timeout; undefined (and counted) when it fails or is too slow. */
  async function read<T>(source: string, fetch: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fetch(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${source} did not answer in ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch {
      sourceFailures.inc({ source });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  const pools = new Map<string, PoolFigures>();
  const queueRegions: Array<readonly [string, () => QueueFigures | undefined]> = [];
  /** The scrape-time sources: each is read before the registry is written, so its gauges collect at once. */
  const sources: Array<() => Promise<void>> = [];

  /** A source read at most once per `ms` (0: on every scrape), one read in flight however many scrapers. */
  function source<T>(label: string, ms: number, fetch: () => Promise<T>): () => T | undefined {
    let value: T | undefined;
    let readAt = -Infinity;
    let reading: Promise<void> | undefined;
    sources.push(() => {
      if (reading) return reading;
      if (Date.now() - readAt < ms) return Promise.resolve();
      reading = read(label, fetch).then((result) => {
        value = result;
        readAt = Date.now();
        reading = undefined;
      });
      return reading;
    });
    return () => value;
  }

  const metrics: Metrics = {
    registry,
    async scrape() {
      await Promise.all(sources.map((refresh) => refresh()));
      return { contentType: registry.contentType, body: await registry.metrics() };
    },

    checkStarted(region, latenessMs) {
      lateness.observe({ region }, Math.max(0, latenessMs) / 1000);
    },
    checkFinished(check: FinishedCheck) {
      checks.inc({
        kind: check.kind,
        region: check.region,
        outcome: check.outcome,
        reason: check.reason ?? 'none',
      });
      for (const [phase, field] of PHASES) {
        const ms = check[field];
        if (ms !== null) phases.observe({ region: check.region, phase }, ms / 1000);
      }
    },
    slotShed(region, cause: ShedCause) {
      shed.inc({ region, cause });
    },
    deadLettered(region, reason, count) {
      deadLetters.inc({ region, reason }, count);
    },
    resultsWritten(region, rows, seconds, outcome) {
      batchRows.observe({ region }, rows);
      writeSeconds.observe({ region, outcome }, seconds);
    },
    notificationsSent(channelType, outcome: NotificationOutcome, count) {
      notifications.inc({ channel_type: channelType, outcome }, count);
    },

    watchQueue(regions, stats) {
      const known = queueRegions.length > 0;
      for (const region of regions) queueRegions.push([region, source('queue', 0, () => stats(region))]);
      if (known) return;
      const figures = () => queueRegions.map(([region, latest]) => [region, latest()] as const);
      new Gauge({
        name: name('queue_stream_length'),
        help: 'Entries in the work stream (after trimming)',
        registers,
        collect() {
          const known = figures().find(([, f]) => f !== undefined)?.[1];
          if (known) this.set(known.length);
        },
      });
      new Gauge({
        name: name('queue_dead_letter_length'),
        help: 'Entries in the dead-letter stream (all regions)',
        registers,
        collect() {
          const known = figures().find(([, f]) => f !== undefined)?.[1];
          if (known) this.set(known.deadLetters);
        },
      });
      new Gauge({
        name: name('queue_pending'),
        help: "Entries delivered to a region's consumer group and not yet acknowledged",
        labelNames: ['region'] as const,
        registers,
        collect() {
          this.reset();
          for (const [region, f] of figures()) if (f) this.set({ region }, f.pending);
        },
      });
      new Gauge({
        name: name('queue_oldest_pending_age_seconds'),
        help: "Age of the oldest entry pending in a region's consumer group (0 when none is pending)",
        labelNames: ['region'] as const,
        registers,
        collect() {
          this.reset();
          for (const [region, f] of figures())
            if (f) this.set({ region }, (f.oldestPendingAgeMs ?? 0) / 1000);
        },
      });
    },

    watchPool(pool, figures) {
      if (pools.size === 0) {
        for (const [suffix, help, field] of [
          ['db_pool_connections', 'Connections open in a database pool', 'totalCount'],
          ['db_pool_idle_connections', 'Idle connections in a database pool', 'idleCount'],
          ['db_pool_waiting_clients', 'Queries waiting for a connection of a database pool', 'waitingCount'],
        ] as const) {
          new Gauge({
            name: name(suffix),
            help,
            labelNames: ['pool'] as const,
            registers,
            collect() {
              for (const [pool, figures] of pools) this.set({ pool }, figures[field]);
            },
          });
        }
      }
      pools.set(pool, figures);
    },

    watchOpenIncidents(count) {
      const latest = source('open_incidents', cacheMs, count);
      new Gauge({
        name: name('open_incidents'),
        help: 'Incidents open now (read from the database, cached a few seconds)',
        registers,
        collect() {
          const open = latest();
          if (open !== undefined) this.set(open);
        },
      });
    },

    watchMonitors(readMonitors) {
      const latest = source('monitors', cacheMs, readMonitors);
      const labelNames = ['monitor_id', 'monitor_name'] as const;
      const perMonitor = (suffix: string, help: string, value: (m: MonitorFigures) => number | null) =>
        new Gauge({
          name: name(suffix),
          help,
          labelNames,
          registers,
          collect() {
            this.reset();
            for (const monitor of latest() ?? []) {
              const v = value(monitor);
              if (v !== null) this.set({ monitor_id: monitor.id, monitor_name: monitor.name }, v);
            }
          },
        });
      perMonitor(
        'monitor_up',
        'Each monitor: 1 up, 0 down (METRICS_PER_MONITOR=true; pending, paused and maintenance left out)',
        (m) => (m.up ? 1 : 0),
      );
      perMonitor(
        'monitor_response_time_seconds',
        "Each monitor's newest response time (METRICS_PER_MONITOR=true)",
        (m) => (m.responseTimeMs === null ? null : m.responseTimeMs / 1000),
      );
    },
  };
  return metrics;
}
