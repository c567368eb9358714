import type { rollups } from '@better-uptime/db';
import { type Database, maintenanceWindowQueries } from '@better-uptime/db';
import { activeAt, occurrencesBetween } from './maintenance-windows.js';
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
  return intervalsOfWindows(windows, fromMs, toMs);
}

type CoveringWindow = maintenanceWindowQueries.WindowFields & { monitorId: string };

/** The stretches of planned maintenance, within [fromMs, toMs], of windows already read (a row per monitor). */
export function intervalsOfWindows(
  windows: readonly CoveringWindow[],
  fromMs: number,
  toMs: number,
): rollups.MaintenanceInterval[] {
  return windows.flatMap((w) =>
    occurrencesBetween(windowRule(w), fromMs, toMs).map((o) => ({
      monitorId: w.monitorId,
      fromMs: o.start,
      toMs: o.end,
    })),
  );
}

/** The monitors that windows already read (a row per monitor) put in maintenance at `at`. */
export function monitorsInEffect(windows: readonly CoveringWindow[], at: number): Set<string> {
  return new Set(windows.filter((w) => activeAt(windowRule(w), at) !== null).map((w) => w.monitorId));
}
