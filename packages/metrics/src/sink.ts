/**
 * What the worker, the scheduler and the notifier report as they work. They see only this interface (and
 * import it as a type), so none of them depends on prom-client; `createMetrics` turns the calls into
 * Prometheus series, and `NO_METRICS` ignores them.
 */
export interface MetricsSink {
  /** A check started: how late after its slot. */
  checkStarted(region: string, latenessMs: number): void;
  /** A check finished with this outcome. */
  checkFinished(check: FinishedCheck): void;
  /** A slot was dropped instead of run: too old to run (`stale`) or its user's backlog was full (`backlog`). */
  slotShed(region: string, cause: ShedCause): void;
  /** Entries moved to the dead-letter stream. */
  deadLettered(region: string, reason: string, count: number): void;
  /** One bulk insert of results: its rows, how long it took, and whether it committed. */
  resultsWritten(region: string, rows: number, seconds: number, outcome: 'ok' | 'failed'): void;
  /** Deliveries of one message to a channel, by what came of them. */
  notificationsSent(channelType: string, outcome: NotificationOutcome, count: number): void;
}

export type ShedCause = 'stale' | 'backlog';
export type NotificationOutcome = 'delivered' | 'retry' | 'failed';

export interface FinishedCheck {
  kind: string;
  region: string;
  /** `degraded` is up, but slower than the monitor allows. */
  outcome: 'up' | 'degraded' | 'down';
  /** The failure reason of a down check (the checker's fixed set), null otherwise. */
  reason: string | null;
  totalMs: number;
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  firstByteMs: number | null;
}

/** What `finishedCheck` reads of a checker's outcome (structurally: this package knows no checker). */
export interface OutcomeFigures {
  status: 'Up' | 'Down';
  reason: string | null;
  responseTimeMs: number;
  timings: {
    dnsMs: number | null;
    connectMs: number | null;
    tlsMs: number | null;
    firstByteMs: number | null;
  };
  details: Record<string, unknown> | null;
}

/** A check's outcome as the metrics count it: degraded is an Up flagged so in its details. */
export function finishedCheck(kind: string, region: string, outcome: OutcomeFigures): FinishedCheck {
  return {
    kind,
    region,
    outcome: outcome.status === 'Down' ? 'down' : outcome.details?.degraded === true ? 'degraded' : 'up',
    reason: outcome.reason,
    totalMs: outcome.responseTimeMs,
    dnsMs: outcome.timings.dnsMs,
    connectMs: outcome.timings.connectMs,
    tlsMs: outcome.timings.tlsMs,
    firstByteMs: outcome.timings.firstByteMs,
  };
}

/** A sink that drops everything: the default where no metrics are wanted (tests, benchmarks). */
export const NO_METRICS: MetricsSink = {
  checkStarted: () => undefined,
  checkFinished: () => undefined,
  slotShed: () => undefined,
  deadLettered: () => undefined,
  resultsWritten: () => undefined,
  notificationsSent: () => undefined,
};
