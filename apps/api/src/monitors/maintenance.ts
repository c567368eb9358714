import { type Database, maintenanceWindowQueries } from '@better-uptime/db';
import { activeAt, windowRule } from '@better-uptime/incidents';

/** The user's monitors covered by a maintenance window in effect at `now`. */
export async function monitorsInMaintenance(db: Database, userId: string, now: number): Promise<Set<string>> {
  const rows = await maintenanceWindowQueries.windowsOfUser(db, userId);
  return new Set(rows.filter((w) => activeAt(windowRule(w), now) !== null).map((w) => w.monitorId));
}
