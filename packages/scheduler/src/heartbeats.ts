import {
  HEARTBEAT_REGION,
  judgeHeartbeat,
  type LastPush,
  monitorKind,
  PUSH_KIND_NAMES,
  withDefaults,
} from '@better-uptime/checker';
import type { Logger } from '@better-uptime/config';
import { claimDueHeartbeats, type Database, type ResultRow } from '@better-uptime/db';
import { type LogLine, logRecorded, recordResultsIn, resultRowOf } from '@better-uptime/incidents';
import { type FinishedCheck, finishedCheck, type MetricsSink } from '@better-uptime/metrics/sink';
import { slotAfter } from './slots.js';

export interface HeartbeatJudgeOptions {
  logger: Logger;
  /** Monitors judged per transaction. */
  limit?: number;
  /** Told of each judged slot once its transaction committed. */
  metrics?: MetricsSink;
}

/**
 * Judges every heartbeat slot due at `now`: in one transaction per batch, the due push-kind monitors are
 * claimed and advanced to their next slot, and each slot's result is stored with the states, incidents and
 * events it causes (recordResultsIn), the same path as a worker's results. Whatever dies mid-way rolls it
 * all back and the slots stay due, so each slot is judged once, in order, across restarts and however many
 * producers run. A slot whose window reaches back before the monitor was armed, with no push since, gets no
 * result (nothing is known yet). Returns the number of slots judged.
 */
export async function judgeDueHeartbeats(
  db: Database,
  now: number,
  options: HeartbeatJudgeOptions,
): Promise<number> {
  if (PUSH_KIND_NAMES.length === 0) return 0;
  const limit = options.limit ?? 500;
  let total = 0;
  for (;;) {
    const logLines: LogLine[] = [];
    const finished: FinishedCheck[] = [];
    const judged = await db.transaction(async (tx) => {
      const t = tx as unknown as Database;
      const due = await claimDueHeartbeats(t, now, limit, PUSH_KIND_NAMES, slotAfter);
      const rows: ResultRow[] = [];
      for (const monitor of due) {
        const kind = monitorKind(monitor.kind)!;
        const settings = withDefaults(kind, monitor.settings) as { graceSeconds: number };
        const outcome = judgeHeartbeat({
          slotAt: monitor.slotAt,
          intervalSeconds: monitor.intervalSeconds,
          graceSeconds: settings.graceSeconds,
          lastPush: monitor.lastPush as LastPush | null,
          armedAt: monitor.armedAt,
          now,
        });
        if (outcome) {
          const region = kind.pushRegion ?? HEARTBEAT_REGION;
          rows.push(resultRowOf({ monitorId: monitor.id, region, scheduledAt: monitor.slotAt }, outcome));
          finished.push(finishedCheck(monitor.kind, region, outcome));
        }
      }
      // No configured regions needed: a push kind is judged in its own region whatever they are.
      const stateOptions = { regions: [], logger: options.logger, now: () => now };
      await recordResultsIn(t, rows, stateOptions, logLines);
      return due.length;
    });
    logRecorded(options.logger, logLines);
    for (const check of finished) options.metrics?.checkFinished(check);
    total += judged;
    if (judged < limit) return total;
  }
}
