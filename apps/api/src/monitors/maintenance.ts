import { type Database, maintenanceWindowQueries } from '@better-uptime/db';
import { monitorsInEffect } from '@better-uptime/incidents';

/** The user's monitors covered by a maintenance window in effect at `now`. */
export async function monitorsInMaintenance(db: Database, userId: string, now: number): Promise<Set<string>> {
  return monitorsInEffect(await maintenanceWindowQueries.windowsOfUser(db, userId), now);
}
