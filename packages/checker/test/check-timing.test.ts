/**
 * Response times under a busy event loop: the target (another process) answers after exactly 150 ms while
 * this process is blocked, as by a garbage-collection pause or a burst of other callbacks. The checker
 * must report when the answer arrived, not when the loop got round to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopClock, receiveClock } from '@better-uptime/receive-time';
import { type ClockTarget, makeCertificate, startClockTarget } from '@better-uptime/testing';
import { runCheck, type CheckOutcome, type CheckRequest } from '../src/index.js';
import { checkRequest } from './helpers.js';

const DELAY_MS = 150;

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** One check; the loop is blocked from 100 ms after the start until 100 ms after the answer is due. */
async function blockedCheck(request: CheckRequest): Promise<CheckOutcome> {
  const outcome = runCheck(request);
  setTimeout(() => blockFor(DELAY_MS), 100);
  return outcome;
}

describe.runIf(receiveClock.source === 'kernel')('check timings while the event loop is blocked', () => {
  let target: ClockTarget;
  let tlsTarget: ClockTarget;
  let ca: string;
  beforeAll(async () => {
    target = await startClockTarget(DELAY_MS);
    const certificate = await makeCertificate({ issuer: 'test-ca' });
    ca = certificate.ca!;
    tlsTarget = await startClockTarget(DELAY_MS, { tls: certificate });
  });
  afterAll(async () => {
    await target?.close();
    await tlsTarget?.close();
  });

  it('first byte and response time are those of the answer’s arrival', async () => {
    for (let i = 0; i < 5; i++) {
      const outcome = await blockedCheck(checkRequest(`${target.url}/`));
      expect(outcome.status).toBe('Up');
      // The target held the answer 150 ms; it arrived within a tick or so of that. The loop saw it about
      // 100 ms later.
      expect(outcome.timings.firstByteMs).toBeGreaterThanOrEqual(DELAY_MS - 3);
      expect(outcome.timings.firstByteMs).toBeLessThan(DELAY_MS + 15);
      expect(outcome.responseTimeMs).toBeLessThan(DELAY_MS + 30);
      // The phases still add up to no more than the whole, give or take the rounding of each of the five
      // figures to whole milliseconds (at most 2.5 ms together).
      const { dnsMs, connectMs, tlsMs, firstByteMs } = outcome.timings;
      expect((dnsMs ?? 0) + (connectMs ?? 0) + (tlsMs ?? 0) + firstByteMs!).toBeLessThanOrEqual(
        outcome.responseTimeMs + 2,
      );
    }
  });

  it('does the same over TLS, where the socket is a TLS wrap around the connection', async () => {
    for (let i = 0; i < 3; i++) {
      const outcome = await blockedCheck(checkRequest(`${tlsTarget.url}/`, { ca }));
      expect(outcome.status, outcome.message ?? '').toBe('Up');
      expect(outcome.timings.tlsMs).not.toBeNull();
      expect(outcome.timings.firstByteMs).toBeGreaterThanOrEqual(DELAY_MS - 3);
      expect(outcome.timings.firstByteMs).toBeLessThan(DELAY_MS + 15);
    }
  });

  it('the event loop’s own clock, for contrast, reports the wait as response time', async () => {
    const outcome = await blockedCheck(checkRequest(`${target.url}/`, { clock: loopClock }));
    expect(outcome.status).toBe('Up');
    expect(outcome.timings.firstByteMs).toBeGreaterThan(DELAY_MS + 60);
  });
});
