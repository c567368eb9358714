/**
 * A check task: one scheduled slot of one monitor. It carries everything a worker needs to run the check,
 * so a worker never reads the database per task. Every region's consumer group receives each task once.
 */
export interface CheckTask {
  monitorId: string;
  /** The monitor's owner: what the worker shares its capacity by. Empty for v1 tasks that carried none. */
  userId: string;
  /** The monitor kind (http, tcp, ...), which says how to read `settings`. */
  kind: string;
  /** The kind's settings, as stored: the queue carries them without knowing their schema. */
  settings: Record<string, unknown>;
  /** The slot, epoch milliseconds; with monitorId and region it is the result's idempotency key. */
  scheduledAt: number;
  intervalSeconds: number;
  timeoutMs: number;
  /** Regions that check this monitor; empty means all. */
  regions: string[];
}
