import type { Logger } from '@better-uptime/config';
import {
  type Database,
  incidentQueries,
  maintenanceWindowQueries,
  newId,
  type ResultRow,
  storeNewResults,
} from '@better-uptime/db';
import { judgedRegions } from '@better-uptime/checker';
import { type WindowRule, maintenanceAt } from './maintenance-windows.js';
import {
  applyCheck,
  applyLateFailure,
  type CheckOutcome,
  decideIncident,
  defaultQuorum,
  failureRunStart,
  isFailing,
  monitorStateOf,
  pendingRegion,
  type RegionState,
  type RegionTransition,
} from './state-machine.js';
import { incidentEvent, type LogLine } from './events.js';
import { type LiveNews, notifyLive } from './live.js';

type MonitorRules = incidentQueries.MonitorRules;
type MonitorStateRow = incidentQueries.MonitorStateRow;

export interface StateOptions {
  /** Every configured region: a monitor with no regions of its own is checked from all of them. */
  regions: readonly string[];
  logger: Logger;
  /** The clock (tests pin it). */
  now?: () => number;
}

/** How far back a maintenance window's end can still move an incident's start. */
const MAINTENANCE_LOOKBACK_MS = 7 * 86_400_000;
/** A retry slot brought forward is at least this far ahead, so the producer can still publish it ahead of time. */
const RETRY_LEAD_MS = 1_000;

/**
 * Stores results and applies them to region states, monitor states and incidents, all in one transaction,
 * so a state, an incident and the event telling of it exist exactly when the results causing them do.
 * The monitors' state rows are locked first (in id order), so writers of the same monitor, whichever
 * worker or region they are, take turns; within a region, results apply in slot order, and a result older
 * than one already applied never flips a newer state. A redelivered result is not new and changes nothing.
 * Returns how many results were new.
 */
export async function recordResults(
  db: Database,
  rows: readonly ResultRow[],
  options: StateOptions,
): Promise<number> {
  if (rows.length === 0) return 0;
  const logLines: LogLine[] = [];
  const stored = await db.transaction((tx) =>
    recordResultsIn(tx as unknown as Database, rows, options, logLines),
  );
  // Logged once committed: a rolled-back attempt (retried later) changed nothing.
  logRecorded(options.logger, logLines);
  return stored;
}

/**
 * recordResults inside the caller's transaction, for a caller that writes more in it (the producer's
 * heartbeat judgement advances the schedule with its results). The lines to log are added to `logLines`;
 * log them with logRecorded once the transaction committed.
 */
export async function recordResultsIn(
  tx: Database,
  rows: readonly ResultRow[],
  options: StateOptions,
  logLines: LogLine[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const monitorIds = [...new Set(rows.map((r) => r.monitorId))].sort();
  const states = await incidentQueries.lockMonitorStates(tx, monitorIds);
  const fresh = await storeNewResults(tx, rows);
  if (fresh.length > 0 && states.length > 0) await applyResults(tx, fresh, states, options, logLines);
  return fresh.length;
}

export function logRecorded(logger: Logger, logLines: readonly LogLine[]): void {
  for (const line of logLines) logger.info(line.fields, line.message);
}

async function applyResults(
  tx: Database,
  results: readonly ResultRow[],
  states: readonly MonitorStateRow[],
  options: StateOptions,
  logLines: LogLine[],
): Promise<void> {
  const now = (options.now ?? Date.now)();
  const ids = states.map((s) => s.monitorId);
  const [rules, regionRows, windowRows, openIncidents] = [
    await incidentQueries.monitorRules(tx, ids),
    await incidentQueries.regionStatesOf(tx, ids),
    await maintenanceWindowQueries.windowsForMonitors(tx, ids),
    await incidentQueries.incidentsById(
      tx,
      states.flatMap((s) => (s.openIncidentId ? [s.openIncidentId] : [])),
    ),
  ];
  const rulesById = new Map(rules.map((r) => [r.id, r]));
  const resultsByMonitor = groupBy(results, (r) => r.monitorId);
  const regionsByMonitor = groupBy(regionRows, (r) => r.monitorId);
  const windowsByMonitor = groupBy(windowRows, (w) => w.monitorId);
  const incidentsById = new Map(openIncidents.map((i) => [i.id, i]));

  const news: LiveNews = { checks: [], states: [] };
  const changedRegions: incidentQueries.RegionStateRow[] = [];
  const changedMonitors: MonitorStateRow[] = [];
  const stateChanges: incidentQueries.StateChange[] = [];
  const events: incidentQueries.OutboxEvent[] = [];
  const bringForward: Array<{ monitorId: string; at: number }> = [];

  for (const state of states) {
    const monitor = rulesById.get(state.monitorId);
    if (!monitor || monitor.paused) continue;
    const effective = judgedRegions(monitor, options.regions);
    const quorum = Math.min(effective.length, monitor.regionQuorum ?? defaultQuorum(effective.length));
    const regions = new Map<string, RegionState>(
      (regionsByMonitor.get(monitor.id) ?? []).map((r) => [r.region, r]),
    );
    const touched = new Set<string>();
    let incident = state.openIncidentId ? (incidentsById.get(state.openIncidentId) ?? null) : null;
    let lateStart: number | null = null;

    const own = (resultsByMonitor.get(monitor.id) ?? [])
      .slice()
      .sort((a, b) => +a.scheduledAt - +b.scheduledAt);
    for (const result of own) {
      news.checks.push({
        monitorId: monitor.id,
        userId: monitor.userId,
        region: result.region,
        status: result.status,
        responseTimeMs: result.responseTimeMs,
        checkedAt: result.checkedAt.getTime(),
      });
    }
    for (const result of own) {
      const slot = result.scheduledAt.getTime();
      // Results of slots before the last settling were checked under settings that are gone.
      if (!effective.includes(result.region) || slot < state.settledAt) continue;
      const current = regions.get(result.region) ?? pendingRegion(result.region, state.settledAt - 1);
      const check = outcomeOf(result);
      let applied: { state: RegionState; transition: RegionTransition | null };
      if (slot > current.lastSlotAt) {
        applied = applyCheck(current, check, monitor);
      } else {
        const runStart = failureRunStart(current);
        const goodBetween =
          !check.up && runStart !== null && slot < runStart
            ? await incidentQueries.upBetween(tx, monitor.id, result.region, slot, runStart)
            : true;
        const late = applyLateFailure(current, check, monitor, goodBetween);
        if (late.movedStart) lateStart = Math.min(lateStart ?? Infinity, late.state.since);
        applied = late;
      }
      if (applied.state === current) continue;
      regions.set(result.region, applied.state);
      touched.add(result.region);
      if (applied.transition) {
        stateChanges.push(regionChange(monitor, applied.transition, incident?.id ?? null));
        logLines.push(regionLog(monitor, applied.transition));
      }
    }
    for (const region of touched) changedRegions.push({ monitorId: monitor.id, ...regions.get(region)! });

    const view = effective.map((r) => regions.get(r) ?? pendingRegion(r, state.settledAt - 1));
    const rulesOfWindows = (windowsByMonitor.get(monitor.id) ?? []).map(windowRule);
    const maintenance = maintenanceAt(rulesOfWindows, now, now - MAINTENANCE_LOOKBACK_MS);
    if (incident && lateStart !== null && lateStart < incident.startedAt) {
      await incidentQueries.moveIncidentStart(tx, incident.id, lateStart);
      incident = { ...incident, startedAt: lateStart };
    }
    const decision = decideIncident({
      regions: view,
      quorum,
      incidentOpen: incident !== null,
      inMaintenance: maintenance.active,
      lastMaintenanceEnd: maintenance.lastEnd,
      now,
    });
    let since = state.since;
    if (decision.kind === 'open') {
      incident = await incidentQueries.openIncident(tx, {
        id: newId(now),
        monitorId: monitor.id,
        userId: monitor.userId,
        startedAt: decision.startedAt,
        cause: decision.cause,
      });
      await incidentQueries.attachChangesToIncident(tx, monitor.id, incident.id, decision.startedAt);
      for (const change of stateChanges) {
        if (change.monitorId === monitor.id && change.at >= decision.startedAt)
          change.incidentId = incident.id;
      }
      events.push(incidentEvent('incident.opened', monitor, incident, now));
      since = decision.startedAt;
    } else if (decision.kind === 'resolve' && incident) {
      const resolved = await incidentQueries.resolveIncident(
        tx,
        incident.id,
        decision.resolvedAt,
        'recovered',
      );
      if (resolved) events.push(incidentEvent('incident.resolved', monitor, resolved, now));
      since = decision.resolvedAt;
    }
    const incidentOpen = decision.kind === 'open' || (decision.kind === 'none' && incident !== null);
    const nextState = monitorStateOf({
      paused: false,
      incidentOpen,
      inMaintenance: maintenance.active,
      regions: view,
    });
    const retrying = incidentOpen || view.some(isFailing);
    const openIncidentId = incidentOpen ? incident!.id : null;
    if (nextState !== state.state) {
      if (decision.kind === 'none') since = nextState === 'up' ? latestRecovery(view, now) : now;
      stateChanges.push({
        monitorId: monitor.id,
        region: null,
        incidentId: incident?.id ?? null,
        // When the monitor changed, in slot terms: the newest check that made it change. (Its `since` may
        // be earlier: a down monitor's outage began at the first failed check.)
        at: Math.max(...own.map((r) => r.scheduledAt.getTime())),
        from: state.state,
        to: nextState,
        reason: decision.kind === 'open' ? decision.cause.reason : null,
        statusCode: decision.kind === 'open' ? decision.cause.statusCode : null,
        message: decision.kind === 'open' ? decision.cause.message : null,
      });
      logLines.push({
        fields: {
          monitorId: monitor.id,
          from: state.state,
          to: nextState,
          regions: view.filter((r) => r.status === 'down').map((r) => r.region),
          reason: decision.kind === 'open' ? decision.cause.reason : null,
          incidentId: incident?.id ?? null,
        },
        message: `monitor ${monitor.id} ${state.state} -> ${nextState}`,
      });
    }
    if (nextState !== state.state || retrying !== state.retrying || openIncidentId !== state.openIncidentId) {
      changedMonitors.push({
        ...state,
        state: nextState,
        since: nextState !== state.state ? since : state.since,
        retrying,
        openIncidentId,
      });
    }
    if (nextState !== state.state)
      news.states.push({ monitorId: monitor.id, userId: monitor.userId, status: nextState, since });
    if (retrying && !state.retrying) {
      const latest = Math.max(...own.map((r) => r.scheduledAt.getTime()));
      bringForward.push({ monitorId: monitor.id, at: nextRetrySlot(latest, monitor, now) });
    }
  }

  await incidentQueries.saveRegionStates(tx, changedRegions);
  await incidentQueries.saveMonitorStates(tx, changedMonitors);
  await incidentQueries.recordStateChanges(tx, stateChanges);
  await incidentQueries.enqueueEvents(tx, events);
  await incidentQueries.bringNextCheckForward(tx, bringForward);
  await notifyLive(tx, news);
}

/** The first slot on the retry grid of the failed slot that is still ahead by RETRY_LEAD_MS. */
export function nextRetrySlot(
  failedSlot: number,
  monitor: Pick<MonitorRules, 'retryIntervalSeconds'>,
  now: number,
) {
  const step = monitor.retryIntervalSeconds * 1000;
  const steps = Math.max(1, Math.ceil((now + RETRY_LEAD_MS - failedSlot) / step));
  return failedSlot + steps * step;
}

function latestRecovery(view: readonly RegionState[], now: number): number {
  const ups = view.filter((r) => r.status === 'up').map((r) => r.since);
  return ups.length > 0 ? Math.max(...ups) : now;
}

function outcomeOf(result: ResultRow): CheckOutcome {
  return {
    scheduledAt: result.scheduledAt.getTime(),
    up: result.status === 'Up',
    reason: result.reason,
    statusCode: result.statusCode,
    message: result.message,
    responseTimeMs: result.responseTimeMs,
  };
}

function regionChange(
  monitor: MonitorRules,
  transition: RegionTransition,
  incidentId: string | null,
): incidentQueries.StateChange {
  return {
    monitorId: monitor.id,
    region: transition.region,
    incidentId,
    at: transition.at,
    from: transition.from,
    to: transition.to,
    reason: transition.reason,
    statusCode: transition.statusCode,
    message: transition.message,
  };
}

function regionLog(monitor: MonitorRules, transition: RegionTransition): LogLine {
  return {
    // The region is in the message: the worker's logger already carries its own region as a field.
    fields: {
      monitorId: monitor.id,
      from: transition.from,
      to: transition.to,
      reason: transition.reason,
      statusCode: transition.statusCode,
    },
    message: `monitor ${monitor.id} region ${transition.region} ${transition.from} -> ${transition.to}`,
  };
}

export function windowRule(row: maintenanceWindowQueries.WindowFields): WindowRule {
  return {
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    weekly:
      row.weeklyDays && row.weeklyTime && row.durationMinutes
        ? { days: row.weeklyDays, time: row.weeklyTime, durationMinutes: row.durationMinutes }
        : null,
    timeZone: row.timeZone,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
