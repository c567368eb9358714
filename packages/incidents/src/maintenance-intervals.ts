import type { rollups } from '@better-uptime/db';
import { type Database, maintenanceWindowQueries } from '@better-uptime/db';
import { occurrencesBetween } from './maintenance-windows.js';
import { windowRule } from './record-results.js';

/**
 * The stretches of planned maintenance of some monitors (or of every monitor with a window, for the rolls)
 * that overlap [fromMs, toMs]: what the rollups and the raw edges of a window count checks
 * in maintenance by.
 */
export async function maintenanceIntervals(
  db: Database,
  monitorIds: readonly string[] | 'every',
  fromMs: number,
  toMs: number,
): Promise<rollups.MaintenanceInterval[]> {
  const windows =
    monitorIds === 'every'
      ? await maintenanceWindowQueries.everyWindow(db)
      : await maintenanceWindowQueries.windowsForMonitors(db, monitorIds);
  return windows.flatMap((w) =>
    occurrencesBetween(windowRule(w), fromMs, toMs).map((o) => ({
      monitorId: w.monitorId,
      fromMs: o.start,
      toMs: o.end,
    })),
  );
}
