import { isDeepStrictEqual } from 'node:util';
import { type Database, incidentQueries } from '@better-uptime/db';
import { incidentEvent } from './events.js';
import { notifyLive } from './live.js';

/** Why a monitor's state was settled by its owner rather than by its checks. */
export type SettleReason = 'paused' | 'resumed' | 'settings_changed' | 'monitor_deleted';

/**
 * Settles a monitor's state after its owner paused, resumed, deleted it or changed how its checks are
 * judged (regions, thresholds, quorum): its open incident is resolved with the reason, its region states
 * are forgotten, and results of slots before now no longer change its state. Runs inside the caller's
 * transaction, which must not yet hold the monitor's row lock (the state row is locked first, as every
 * writer does). Returns the line to log once committed, if an incident was resolved.
 */
export async function settleMonitorState(
  tx: Database,
  monitor: { id: string; userId: string; name: string; target: string; paused: boolean },
  why: SettleReason,
  now: number,
): Promise<{ resolvedIncidentId: string | null }> {
  const [state] = await incidentQueries.lockMonitorStates(tx, [monitor.id]);
  if (!state) return { resolvedIncidentId: null };
  let resolvedIncidentId: string | null = null;
  if (state.openIncidentId) {
    const resolved = await incidentQueries.resolveIncident(tx, state.openIncidentId, 'now', why);
    if (resolved) {
      resolvedIncidentId = resolved.id;
      await incidentQueries.enqueueEvents(tx, [incidentEvent('incident.resolved', monitor, resolved, now)]);
    }
  }
  const to = monitor.paused ? 'paused' : 'pending';
  if (state.state !== to) {
    await incidentQueries.recordStateChanges(tx, [
      {
        monitorId: monitor.id,
        region: null,
        incidentId: resolvedIncidentId,
        at: now,
        from: state.state,
        to,
        reason: why,
        statusCode: null,
        message: null,
      },
    ]);
  }
  await incidentQueries.deleteRegionStates(tx, monitor.id);
  await incidentQueries.saveMonitorStates(tx, [
    {
      ...state,
      state: to,
      since: state.state === to ? state.since : now,
      retrying: false,
      openIncidentId: null,
      settledAt: now,
    },
  ]);
  if (state.state !== to) {
    // Open dashboards hear of a pause or a restart as of any other change of state.
    await notifyLive(tx, {
      checks: [],
      states: [{ monitorId: monitor.id, userId: monitor.userId, status: to, since: now }],
    });
  }
  return { resolvedIncidentId };
}

export function logSettled(
  logger: { info(fields: object, message: string): void },
  monitorId: string,
  why: SettleReason,
  incidentId: string | null,
): void {
  logger.info({ monitorId, why, incidentId }, `monitor ${monitorId} settled (${why})`);
}

type Judged = {
  paused: boolean;
  kind: string;
  settings: Record<string, unknown>;
  regions: readonly string[];
  failureThreshold: number;
  recoveryThreshold: number;
  regionQuorum: number | null;
};

/**
 * Whether an edit settles the monitor's state, and why: pausing or resuming it, or changing what is checked
 * or how its checks are judged (the target, the expectations, the regions, thresholds or quorum), after
 * which the old verdict no longer holds. Renaming it or changing its cadence does not.
 */
export function settleReasonFor(before: Judged, after: Judged): SettleReason | null {
  if (before.paused !== after.paused) return after.paused ? 'paused' : 'resumed';
  if (after.paused) return null;
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
  const changed =
    before.kind !== after.kind ||
    !isDeepStrictEqual(before.settings, after.settings) ||
    !same(before.regions, after.regions) ||
    before.failureThreshold !== after.failureThreshold ||
    before.recoveryThreshold !== after.recoveryThreshold ||
    before.regionQuorum !== after.regionQuorum;
  return changed ? 'settings_changed' : null;
}
