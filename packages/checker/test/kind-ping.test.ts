import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { probe } from '../src/index.js';
import { parsePingOutput } from '../src/kinds/ping.js';

/** Whether this machine has iputils' ping (.ci/run installs it; a developer's machine may not). */
const hasPing = (() => {
  try {
    execFileSync('ping', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const options = { timeoutMs: 5_000, allowPrivateTargets: true };

describe('ping prober', () => {
  it('pings 127.0.0.1 and records loss and round trips; where ping is missing, says so', async () => {
    // .ci/run installs iputils-ping: under CI the real ping must run.
    if (process.env.CI === 'true') expect(hasPing).toBe(true);
    const outcome = await probe('ping', { host: '127.0.0.1', packets: 2, maxLossPercent: 0 }, options);
    if (hasPing) {
      expect(outcome).toMatchObject({
        status: 'Up',
        reason: null,
        details: { transmitted: 2, received: 2, lossPercent: 0, rttMs: { min: expect.any(Number) } },
      });
    } else {
      expect(outcome).toMatchObject({ status: 'Down', reason: 'unavailable' });
      expect(outcome.message).toMatch(/ping command is not installed/);
    }
  });

  it('is unavailable when the command is missing, whatever the machine has', async () => {
    const outcome = await probe(
      'ping',
      { host: '127.0.0.1', packets: 1, maxLossPercent: 0 },
      { ...options, pingCommand: '/nonexistent/ping' },
    );
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'unavailable',
      message: 'the ping command is not installed on this worker (install iputils-ping)',
    });
  });

  it('refuses a private address unless private targets are allowed, before running anything', async () => {
    const outcome = await probe(
      'ping',
      { host: '127.0.0.1', packets: 1, maxLossPercent: 0 },
      { ...options, allowPrivateTargets: false, pingCommand: '/nonexistent/ping' },
    );
    expect(outcome).toMatchObject({ status: 'Down', reason: 'connect' });
  });

  it('reads iputils and BusyBox summaries, with and without replies', () => {
    expect(
      parsePingOutput(
        '3 packets transmitted, 2 received, 33.3333% packet loss, time 402ms\nrtt min/avg/max/mdev = 0.031/0.045/0.060/0.012 ms',
      ),
    ).toEqual({
      transmitted: 3,
      received: 2,
      lossPercent: 33.3,
      rttMs: { min: 0.031, avg: 0.045, max: 0.06 },
    });
    expect(parsePingOutput('2 packets transmitted, 0 received, 100% packet loss, time 1001ms')).toEqual({
      transmitted: 2,
      received: 0,
      lossPercent: 100,
      rttMs: null,
    });
    expect(
      parsePingOutput(
        '1 packets transmitted, 1 packets received, 0% packet loss\nround-trip min/avg/max = 0.1/0.2/0.3 ms',
      ),
    ).toMatchObject({ received: 1, rttMs: { avg: 0.2 } });
    expect(parsePingOutput('ping: unknown host')).toBeNull();
  });
});
