/**
 * A check task: one scheduled slot of one monitor. It carries everything a worker needs to run the check,
 * so a worker never reads the database per task. Every region's consumer group receives each task once.
 */
export interface CheckTask {
  monitorId: string;
  url: string;
  /** The slot, epoch milliseconds; with monitorId and region it is the result's idempotency key. */
  scheduledAt: number;
  intervalSeconds: number;
  timeoutMs: number;
  method: 'GET' | 'HEAD';
  /** Codes and ranges that count as up, e.g. ["200-299", "304"]. */
  expectedStatus: string[];
  keyword: string | null;
  keywordMode: 'present' | 'absent';
  followRedirects: boolean;
  /** Regions that check this monitor; empty means all. */
  regions: string[];
}
