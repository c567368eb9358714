import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '@better-uptime/testing';
import { runCheck, type CheckOutcome } from '../src/index.js';
import { checkRequest } from './helpers.js';

let target: TargetServer;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});

/** Handles of a kind this process holds open: sockets and timers left behind by a check would show here. */
function activeResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === kind).length;
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('resources', () => {
  it('closes every socket and clears every timer after checks against hostile targets', async () => {
    await settle();
    const socketsBefore = activeResources('TCPSocketWrap');
    const timersBefore = activeResources('Timeout');
    // Targets that never finish time out after 300 ms; the ones that fail fast get a long budget, so a
    // timer left behind by them would still be pending when the counts are compared.
    const hanging = ['/hang', '/delay/5000'];
    const failingFast = [
      '/endless',
      '/reset',
      '/reset-mid-body',
      '/garbage',
      '/redirect-loop',
      '/status/503',
    ];
    const requests = [
      ...hanging.map((path) => checkRequest(`${target.url}${path}`, { timeoutMs: 300 })),
      ...failingFast.map((path) =>
        checkRequest(`${target.url}${path}`, {
          timeoutMs: 60_000,
          connectTimeoutMs: 30_000,
          keyword: 'never',
        }),
      ),
    ];
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => requests)
        .flat()
        .map(runCheck),
    );
    expect(outcomes.every((outcome) => outcome.status === 'Down')).toBe(true);
    expect(outcomes.every((outcome) => outcome.responseTimeMs < 1_000)).toBe(true);

    await target.waitForNoConnections();
    await settle();
    expect(activeResources('TCPSocketWrap')).toBeLessThanOrEqual(socketsBefore);
    expect(activeResources('Timeout')).toBeLessThanOrEqual(timersBefore);
  });

  it('runs 200 concurrent checks, all Up, and leaves no connection open', async () => {
    const started = performance.now();
    const outcomes: CheckOutcome[] = await Promise.all(
      Array.from({ length: 200 }, () =>
        runCheck(checkRequest(`${target.url}/delay/50`, { timeoutMs: 5_000 })),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status !== 'Up')).toEqual([]);
    expect(outcomes.every((outcome) => (outcome.timings.firstByteMs ?? 0) >= 45)).toBe(true);
    expect(performance.now() - started).toBeLessThan(3_000);
    await target.waitForNoConnections();
  });
});
