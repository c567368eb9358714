/**
 * The rules that turn checks into region states and region states into a monitor's state and incidents.
 * Pure functions over plain values: the transaction that applies them (record-results.ts) loads the
 * states, calls these, and writes back what changed.
 */

import type { incidentQueries } from '@better-uptime/db';

export type RegionStatus = incidentQueries.RegionStateRow['status'];
export type MonitorState = 'pending' | 'up' | 'down' | 'maintenance' | 'paused';

/**
 * One region's view of a monitor (a row of region_states). Times are epoch milliseconds. `since` is the
 * first slot of the streak that gave the region its status; `failures` and `successes` count the current
 * run (at most one is non-zero), which began at `streakStartedAt`; `lastSlotAt` is the newest slot
 * applied, and `lastResponseMs` its response time; the last failure's reason, status code and message are
 * kept while failing or down.
 */
export type RegionState = Omit<incidentQueries.RegionStateRow, 'monitorId'>;

/** What a check contributes to state. */
export interface CheckOutcome {
  scheduledAt: number;
  up: boolean;
  reason: string | null;
  statusCode: number | null;
  message: string | null;
  responseTimeMs: number;
}

export interface Thresholds {
  failureThreshold: number;
  recoveryThreshold: number;
}

export interface RegionTransition {
  region: string;
  from: RegionStatus;
  to: RegionStatus;
  /** The first slot of the streak that caused it. */
  at: number;
  reason: string | null;
  statusCode: number | null;
  message: string | null;
}

/** A region that has seen no check since `at` (its monitor's creation or last settling). */
export function pendingRegion(region: string, at: number): RegionState {
  return {
    region,
    status: 'pending',
    since: at,
    failures: 0,
    successes: 0,
    streakStartedAt: at,
    lastSlotAt: at,
    lastReason: null,
    lastStatusCode: null,
    lastMessage: null,
    lastResponseMs: null,
  };
}

/**
 * Applies one check, newer than every check applied so far, to a region. A pending region is up at its
 * first good check and down at `failureThreshold` consecutive failures; an up region goes down after
 * `failureThreshold` consecutive failures, a down one up after `recoveryThreshold` consecutive good checks.
 */
export function applyCheck(
  state: RegionState,
  check: CheckOutcome,
  thresholds: Thresholds,
): { state: RegionState; transition: RegionTransition | null } {
  const next: RegionState = { ...state, lastSlotAt: check.scheduledAt, lastResponseMs: check.responseTimeMs };
  if (check.up) {
    if (next.successes === 0) next.streakStartedAt = check.scheduledAt;
    next.successes += 1;
    next.failures = 0;
    const recovered =
      state.status === 'pending' ||
      (state.status === 'down' && next.successes >= thresholds.recoveryThreshold);
    if (state.status !== 'up' && recovered) {
      next.status = 'up';
      next.since = next.streakStartedAt;
    }
    if (next.status === 'up') {
      // The failure details are an outage's cause; an up region has none.
      next.lastReason = null;
      next.lastStatusCode = null;
      next.lastMessage = null;
    }
    return {
      state: next,
      transition: next.status !== state.status ? transition(state.status, next, null) : null,
    };
  }
  if (next.failures === 0) next.streakStartedAt = check.scheduledAt;
  next.failures += 1;
  next.successes = 0;
  next.lastReason = check.reason;
  next.lastStatusCode = check.statusCode;
  next.lastMessage = check.message;
  if (state.status !== 'down' && next.failures >= thresholds.failureThreshold) {
    next.status = 'down';
    next.since = next.streakStartedAt;
    return { state: next, transition: transition(state.status, next, check) };
  }
  return { state: next, transition: null };
}

function transition(from: RegionStatus, next: RegionState, cause: CheckOutcome | null): RegionTransition {
  return {
    region: next.region,
    from,
    to: next.status,
    at: next.since,
    reason: cause?.reason ?? null,
    statusCode: cause?.statusCode ?? null,
    message: cause?.message ?? null,
  };
}

/** A region is failing from its first failed check until it is up again: checks come at the retry cadence. */
export function isFailing(state: RegionState): boolean {
  return state.failures > 0 || state.status === 'down';
}

/** The default quorum: a majority of the regions (1 of 1, 2 of 2 or 3, 3 of 4 or 5). */
export function defaultQuorum(regionCount: number): number {
  return Math.floor(Math.max(1, regionCount) / 2) + 1;
}

export interface IncidentCause {
  reason: string | null;
  statusCode: number | null;
  message: string | null;
  regions: Array<{
    region: string;
    reason: string | null;
    statusCode: number | null;
    message: string | null;
    since: string;
  }>;
}

/** The cause of an incident from its down regions: the earliest region's failure, and each region's. */
export function causeOf(down: readonly RegionState[]): IncidentCause {
  const ordered = [...down].sort((a, b) => a.since - b.since || a.region.localeCompare(b.region));
  const first = ordered[0];
  return {
    reason: first?.lastReason ?? null,
    statusCode: first?.lastStatusCode ?? null,
    message: first?.lastMessage ?? null,
    regions: ordered.map((r) => ({
      region: r.region,
      reason: r.lastReason,
      statusCode: r.lastStatusCode,
      message: r.lastMessage,
      since: new Date(r.since).toISOString(),
    })),
  };
}

export type IncidentDecision =
  | { kind: 'none' }
  | { kind: 'open'; startedAt: number; cause: IncidentCause }
  | { kind: 'resolve'; resolvedAt: number };

export interface MonitorView {
  regions: readonly RegionState[];
  quorum: number;
  incidentOpen: boolean;
  /** A maintenance window covers now: no incident opens. */
  inMaintenance: boolean;
  /** The end of the latest maintenance window that ended before now, if any: an incident starts no earlier. */
  lastMaintenanceEnd: number | null;
  now: number;
}

/**
 * Opens an incident when `quorum` regions are down (outside maintenance), resolves it when fewer are. An
 * incident starts at the first failed slot of the earliest down region's streak (or when the maintenance
 * window covering that start ended), and is resolved at the first good slot of the recovery that took the
 * monitor below its quorum.
 */
export function decideIncident(view: MonitorView): IncidentDecision {
  const down = view.regions.filter((r) => r.status === 'down');
  if (view.incidentOpen) {
    if (down.length >= view.quorum) return { kind: 'none' };
    const recoveries = view.regions.filter((r) => r.status === 'up').map((r) => r.since);
    return { kind: 'resolve', resolvedAt: recoveries.length > 0 ? Math.max(...recoveries) : view.now };
  }
  if (down.length < view.quorum || view.inMaintenance) return { kind: 'none' };
  let startedAt = Math.min(...down.map((r) => r.since));
  if (view.lastMaintenanceEnd !== null && view.lastMaintenanceEnd > startedAt)
    startedAt = view.lastMaintenanceEnd;
  return { kind: 'open', startedAt, cause: causeOf(down) };
}

/** The monitor's shown state: an open incident is down; otherwise maintenance, pending or up. */
export function monitorStateOf(view: {
  paused: boolean;
  incidentOpen: boolean;
  inMaintenance: boolean;
  regions: readonly RegionState[];
}): MonitorState {
  if (view.paused) return 'paused';
  if (view.incidentOpen) return 'down';
  if (view.inMaintenance) return 'maintenance';
  if (view.regions.every((r) => r.status === 'pending')) return 'pending';
  return 'up';
}

/**
 * Applies a failed check that arrived late (older than the newest check applied). It never flips a newer
 * state back, but it can belong to the failure run the region is in: when no good check lies between it
 * and the run's first failure (`goodCheckBetween` false), the run started at its slot, it counts towards
 * the failure threshold, and a down region's outage began then.
 */
export function applyLateFailure(
  state: RegionState,
  check: CheckOutcome,
  thresholds: Thresholds,
  goodCheckBetween: boolean,
): { state: RegionState; transition: RegionTransition | null; movedStart: boolean } {
  const runStart = failureRunStart(state);
  if (check.up || runStart === null || check.scheduledAt >= runStart || goodCheckBetween) {
    return { state, transition: null, movedStart: false };
  }
  const next: RegionState = { ...state };
  if (next.failures > 0 && state.streakStartedAt === runStart) {
    next.failures += 1;
    next.streakStartedAt = check.scheduledAt;
  }
  if (next.status === 'down') {
    next.since = check.scheduledAt;
    return { state: next, transition: null, movedStart: true };
  }
  if (next.failures >= thresholds.failureThreshold) {
    next.status = 'down';
    next.since = next.streakStartedAt;
    return { state: next, transition: transition(state.status, next, check), movedStart: true };
  }
  return { state: next, transition: null, movedStart: false };
}

/** The first failed slot of the outage or failure run the region is in, or null when it is not failing. */
export function failureRunStart(state: RegionState): number | null {
  if (state.status === 'down') return state.since;
  return state.failures > 0 ? state.streakStartedAt : null;
}

/**
 * The state to show now. The stored state follows the checks, so a maintenance window that began or ended
 * since the last result is not in it yet: within a window an up or pending monitor shows `maintenance`,
 * and a stored `maintenance` outside any window shows `up` (an outage would have opened an incident).
 */
export function shownState(stored: MonitorState, inMaintenanceNow: boolean): MonitorState {
  if (stored === 'down' || stored === 'paused') return stored;
  if (inMaintenanceNow) return 'maintenance';
  return stored === 'maintenance' ? 'up' : stored;
}
