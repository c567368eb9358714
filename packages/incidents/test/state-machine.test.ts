import { describe, expect, it } from 'vitest';
import {
  applyCheck,
  applyLateFailure,
  type CheckOutcome,
  decideIncident,
  defaultQuorum,
  isFailing,
  monitorStateOf,
  pendingRegion,
  shownState,
  type RegionState,
} from '../src/state-machine.js';

const DEFAULTS = { failureThreshold: 2, recoveryThreshold: 2 };
const T0 = Date.UTC(2031, 0, 1);
const good = (slot: number): CheckOutcome => ({
  scheduledAt: slot,
  up: true,
  reason: null,
  statusCode: 200,
  message: null,
  responseTimeMs: 40 + (slot % 7),
});
const bad = (slot: number, reason = 'http_status'): CheckOutcome => ({
  scheduledAt: slot,
  up: false,
  reason,
  statusCode: 503,
  message: 'HTTP 503',
  responseTimeMs: 900,
});

function run(
  checks: CheckOutcome[],
  thresholds = DEFAULTS,
  start: RegionState = pendingRegion('usa', T0 - 1),
) {
  let state = start;
  const transitions = [];
  for (const check of checks) {
    const applied = applyCheck(state, check, thresholds);
    state = applied.state;
    if (applied.transition) transitions.push(applied.transition);
  }
  return { state, transitions };
}

describe('a region’s state', () => {
  it('never goes down on single failures: every 7th check failing, over 700 checks', () => {
    const checks = Array.from({ length: 700 }, (_, i) => (i % 7 === 6 ? bad(T0 + i) : good(T0 + i)));
    const { state, transitions } = run(checks);
    expect(transitions.map((t) => t.to)).toEqual(['up']);
    expect(state.status).toBe('up');
    // The newest check's response time is kept with the state (the overview sorts by it).
    expect(state.lastResponseMs).toBe(checks.at(-1)!.responseTimeMs);
  });

  it('goes down at the threshold, dated by the first failure of the streak, and up after the recovery run', () => {
    const { state, transitions } = run([good(T0), good(T0 + 1), bad(T0 + 2), bad(T0 + 3), bad(T0 + 4)]);
    expect(state).toMatchObject({ status: 'down', since: T0 + 2, failures: 3, lastReason: 'http_status' });
    expect(transitions.at(-1)).toMatchObject({ from: 'up', to: 'down', at: T0 + 2, statusCode: 503 });
    // One good check is not a recovery; a failure in between starts the count again.
    const back = run([good(T0 + 5), bad(T0 + 6), good(T0 + 7), good(T0 + 8)], DEFAULTS, state);
    expect(back.transitions).toEqual([expect.objectContaining({ from: 'down', to: 'up', at: T0 + 7 })]);
    expect(back.state).toMatchObject({ status: 'up', since: T0 + 7, failures: 0, lastReason: null });
  });

  it('honours thresholds of 1 and 10', () => {
    expect(run([good(T0), bad(T0 + 1)], { failureThreshold: 1, recoveryThreshold: 1 }).state.status).toBe(
      'down',
    );
    const ten = { failureThreshold: 10, recoveryThreshold: 10 };
    const nine = Array.from({ length: 9 }, (_, i) => bad(T0 + i));
    expect(run(nine, ten).state.status).toBe('pending');
    expect(run([...nine, bad(T0 + 9)], ten).state).toMatchObject({ status: 'down', since: T0 });
  });

  it('is failing from the first failed check, which is what brings the retry cadence', () => {
    const once = run([good(T0), bad(T0 + 1)]).state;
    expect(once.status).toBe('up');
    expect(isFailing(once)).toBe(true);
    expect(isFailing(run([good(T0), bad(T0 + 1), good(T0 + 2)]).state)).toBe(false);
  });

  it('lets a late failure join the run it belongs to, but never flips a newer state', () => {
    // Slot 2 failed and was applied; slot 1 (also failed) arrives late: together they are an outage from 1.
    const applied = run([good(T0), bad(T0 + 2)]).state;
    const late = applyLateFailure(applied, bad(T0 + 1), DEFAULTS, false);
    expect(late.state).toMatchObject({ status: 'down', since: T0 + 1, failures: 2 });
    expect(late.transition).toMatchObject({ from: 'up', to: 'down', at: T0 + 1 });
    // With a good check stored between them it is not the same run: nothing changes.
    expect(applyLateFailure(applied, bad(T0 + 1), DEFAULTS, true).state).toBe(applied);
    // A late good check, or a late failure while up, changes nothing.
    const up = run([good(T0), good(T0 + 2)]).state;
    expect(applyLateFailure(up, bad(T0 + 1), DEFAULTS, false).state).toBe(up);
    expect(applyLateFailure(applied, good(T0 + 1), DEFAULTS, false).state).toBe(applied);
    // A down region's outage moves earlier.
    const down = run([good(T0), bad(T0 + 5), bad(T0 + 6)]).state;
    const earlier = applyLateFailure(down, bad(T0 + 4), DEFAULTS, false);
    expect(earlier).toMatchObject({ movedStart: true, state: { status: 'down', since: T0 + 4 } });
  });
});

describe('incidents from region states', () => {
  const region = (name: string, status: RegionState['status'], since = T0): RegionState => ({
    ...pendingRegion(name, since),
    status,
    since,
    lastReason: status === 'down' ? 'timeout' : null,
  });
  const view = (regions: RegionState[], extra: Partial<Parameters<typeof decideIncident>[0]> = {}) => ({
    regions,
    quorum: defaultQuorum(regions.length),
    incidentOpen: false,
    inMaintenance: false,
    lastMaintenanceEnd: null,
    now: T0 + 60_000,
    ...extra,
  });

  it('takes a majority as the default quorum', () => {
    expect([1, 2, 3, 4, 5].map(defaultQuorum)).toEqual([1, 2, 2, 3, 3]);
  });

  it('opens when a quorum is down, from the earliest down region’s first failure', () => {
    expect(decideIncident(view([region('usa', 'down'), region('india', 'up')])).kind).toBe('none');
    const decision = decideIncident(view([region('usa', 'down', T0 + 5), region('india', 'down', T0 + 2)]));
    expect(decision).toMatchObject({ kind: 'open', startedAt: T0 + 2, cause: { reason: 'timeout' } });
    if (decision.kind === 'open')
      expect(decision.cause.regions.map((r) => r.region)).toEqual(['india', 'usa']);
    expect(decideIncident(view([region('usa', 'down'), region('india', 'up')], { quorum: 1 })).kind).toBe(
      'open',
    );
  });

  it('opens no incident in maintenance, and one starting at the window’s end after it', () => {
    const down = [region('usa', 'down', T0)];
    expect(decideIncident(view(down, { inMaintenance: true })).kind).toBe('none');
    expect(decideIncident(view(down, { lastMaintenanceEnd: T0 + 30_000 }))).toMatchObject({
      kind: 'open',
      startedAt: T0 + 30_000,
    });
  });

  it('resolves when fewer than the quorum are down, at the first good check of the recovery', () => {
    const decision = decideIncident(
      view([region('usa', 'up', T0 + 40_000), region('india', 'down')], { incidentOpen: true }),
    );
    expect(decision).toEqual({ kind: 'resolve', resolvedAt: T0 + 40_000 });
    expect(decideIncident(view([region('usa', 'down')], { incidentOpen: true })).kind).toBe('none');
  });

  it('shows paused, down, maintenance, pending and up in that order of precedence', () => {
    const regions = [region('usa', 'up')];
    const state = (extra: Partial<Parameters<typeof monitorStateOf>[0]>) =>
      monitorStateOf({ paused: false, incidentOpen: false, inMaintenance: false, regions, ...extra });
    expect(state({ paused: true, incidentOpen: true })).toBe('paused');
    expect(state({ incidentOpen: true, inMaintenance: true })).toBe('down');
    expect(state({ inMaintenance: true })).toBe('maintenance');
    expect(state({ regions: [region('usa', 'pending')] })).toBe('pending');
    expect(state({})).toBe('up');
  });
});

describe('the state shown now', () => {
  it('shows a window from its first second and forgets it from its last, whatever the last check said', () => {
    expect(shownState('up', true)).toBe('maintenance');
    expect(shownState('pending', true)).toBe('maintenance');
    expect(shownState('maintenance', false)).toBe('up');
    expect(shownState('down', true)).toBe('down');
    expect(shownState('paused', true)).toBe('paused');
    expect(shownState('up', false)).toBe('up');
  });
});
