import { type Database, maintenanceWindowQueries } from '@better-uptime/db';
import { monitorsInEffect, nextBoundary, windowRule } from '@better-uptime/incidents';

/** A monitor entering or leaving a maintenance window, as the overview shows it. */
export interface MaintenanceChange {
  monitorId: string;
  inMaintenance: boolean;
  /** Epoch ms: when the change was seen, just after the window's start or end. */
  at: number;
}

/**
 * The windows are read again at least this often, so a window created or edited meanwhile is seen
 * (the overview also reloads its rows every minute).
 */
export const MAINTENANCE_REREAD_MS = 5 * 60_000;
/** Fired this long after a boundary, so that "in effect at" already gives the new answer. */
const AFTER_BOUNDARY_MS = 5;

/**
 * Watches one user's maintenance windows for an open live stream: at each start or end of a window,
 * calls `onChange` with the monitors that entered or left maintenance. The shown state is computed, not
 * stored, so no transaction tells of it. Stops when the returned function is called; a failed read of the
 * windows is retried at the next reread.
 */
export function watchMaintenance(
  db: Database,
  userId: string,
  onChange: (changes: MaintenanceChange[]) => void,
  options: { now?: () => number; onError?: (error: unknown) => void } = {},
): () => void {
  const now = options.now ?? Date.now;
  let shown: Set<string> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const check = async () => {
    timer = undefined;
    const at = now();
    let delay = MAINTENANCE_REREAD_MS;
    try {
      const rows = await maintenanceWindowQueries.windowsOfUser(db, userId);
      if (stopped) return;
      const inEffect = monitorsInEffect(rows, at);
      if (shown !== null) {
        const changes: MaintenanceChange[] = [];
        for (const id of inEffect)
          if (!shown.has(id)) changes.push({ monitorId: id, inMaintenance: true, at });
        for (const id of shown)
          if (!inEffect.has(id)) changes.push({ monitorId: id, inMaintenance: false, at });
        if (changes.length > 0) onChange(changes);
      }
      shown = inEffect;
      const next = nextBoundary(rows.map(windowRule), at, at + MAINTENANCE_REREAD_MS);
      if (next !== null) delay = next - at + AFTER_BOUNDARY_MS;
    } catch (error) {
      options.onError?.(error);
    }
    if (!stopped) timer = setTimeout(() => void check(), delay);
  };
  void check();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
