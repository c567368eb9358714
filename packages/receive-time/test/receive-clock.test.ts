import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClockTarget, startClockTarget, toMonotonic } from '@better-uptime/testing';
import { loopClock, receiveClock, type ReceiveClock } from '../src/index.js';

/** Keeps this thread busy, as a long callback or a garbage-collection pause would. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * Sends a request, blocks the event loop from 20 ms to 20 + blockMs ms later, and reads the clocks at the
 * first data: the answer (due after the target's delay) arrives while the loop is blocked.
 */
function exchange(target: ClockTarget, blockMs: number): Promise<{ kernel: number; loop: number }> {
  const { port } = new URL(target.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      setTimeout(() => blockFor(blockMs), 20);
    });
    socket.once('error', reject);
    socket.once('data', () => {
      const clocks = { kernel: receiveClock.lastDataAt(socket), loop: loopClock.lastDataAt(socket) };
      socket.destroy();
      resolve({ kernel: toMonotonic(clocks.kernel), loop: toMonotonic(clocks.loop) });
    });
  });
}

describe('receiveClock', () => {
  // Where the addon should build (Linux with python3, make and a C compiler), CI insists that it did; a
  // developer machine without a compiler skips the kernel's tests with a warning.
  it.runIf(process.platform === 'linux' && process.env.CI === 'true')(
    'reads the kernel on Linux: the native reader is built and loads',
    () => {
      expect(receiveClock.source).toBe('kernel');
    },
  );
  if (receiveClock.source !== 'kernel') {
    console.warn(
      'receive-time: the native reader is not built here, so its tests are skipped (npm install builds it ' +
        'on Linux when python3, make and a C compiler are present)',
    );
  }

  describe.runIf(receiveClock.source === 'kernel')('against a target in another process', () => {
    let target: ClockTarget;
    beforeAll(async () => {
      target = await startClockTarget(60);
    });
    afterAll(async () => {
      await target?.close();
    });

    it('times an answer that came while the event loop was blocked at its arrival, not when the loop got to it', async () => {
      const errors: Array<{ kernel: number; loop: number }> = [];
      for (let i = 0; i < 20; i++) {
        const seen = await exchange(target, 100);
        await target.waitForAnswers(i + 1);
        const sent = target.sentAt[i]!;
        errors.push({ kernel: seen.kernel - sent, loop: seen.loop - sent });
      }
      // The loop saw every answer late by the rest of the block (about 60 ms).
      for (const { loop } of errors) expect(loop).toBeGreaterThan(30);
      // The kernel's time is within its tick (4 ms at HZ=250) of the moment the target wrote the answer;
      // the margin covers a target preempted between taking its timestamp and writing.
      const worst = Math.max(...errors.map((e) => Math.abs(e.kernel)));
      expect(worst, JSON.stringify(errors)).toBeLessThan(8);
    });

    it('answers the current time for a socket that is closed, never a time from the kernel', async () => {
      const socket = net.connect(Number(new URL(target.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.destroy();
      const before = performance.now();
      const at = (receiveClock as ReceiveClock).lastDataAt(socket);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(performance.now());
    });
  });
});
