import { describe, expect, it } from 'vitest';
import { judgeHeartbeat, probe } from '../src/index.js';

const SLOT = Date.UTC(2031, 0, 1, 12, 0, 0);
const base = {
  slotAt: SLOT,
  intervalSeconds: 60,
  graceSeconds: 30,
  armedAt: SLOT - 3_600_000,
  now: SLOT + 5,
};

describe('heartbeat judgement', () => {
  it('is up when a push came within interval + grace before the slot, down when none did', () => {
    const at = (ms: number) => ({ at: SLOT - ms, status: 'up' as const, message: null });
    expect(judgeHeartbeat({ ...base, lastPush: at(89_999) })).toMatchObject({ status: 'Up', reason: null });
    const missed = judgeHeartbeat({ ...base, lastPush: at(90_000) });
    expect(missed).toMatchObject({ status: 'Down', reason: 'no_heartbeat' });
    expect(missed!.message).toBe('no heartbeat for 90 s (expected within 90 s)');
    expect(missed!.details).toEqual({ lastPushAt: new Date(SLOT - 90_000).toISOString() });
    expect(judgeHeartbeat({ ...base, lastPush: null })!.message).toMatch(/no heartbeat received yet/);
  });

  it('takes the newest push’s own verdict and message', () => {
    const outcome = judgeHeartbeat({
      ...base,
      lastPush: { at: SLOT - 1_000, status: 'down', message: 'backup failed' },
    });
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'reported_down',
      message: 'backup failed',
      details: { pushStatus: 'down', pushMessage: 'backup failed' },
    });
  });

  it('gives no verdict while the first window reaches back before the monitor was armed', () => {
    expect(judgeHeartbeat({ ...base, armedAt: SLOT - 60_000, lastPush: null })).toBeNull();
    expect(judgeHeartbeat({ ...base, armedAt: SLOT - 90_000, lastPush: null })).toMatchObject({
      status: 'Down',
    });
    // A push since arming is judged as any push.
    expect(
      judgeHeartbeat({
        ...base,
        armedAt: SLOT - 10_000,
        lastPush: { at: SLOT - 5_000, status: 'up', message: null },
      }),
    ).toMatchObject({ status: 'Up' });
  });

  it('is never probed by a worker', async () => {
    const outcome = await probe(
      'heartbeat',
      { graceSeconds: 1 },
      { timeoutMs: 1_000, allowPrivateTargets: true },
    );
    expect(outcome).toMatchObject({ status: 'Down', reason: 'unavailable' });
  });
});
