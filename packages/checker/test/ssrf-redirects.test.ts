import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTarget, type TargetServer } from '@better-uptime/testing';
import { runCheck } from '../src/index.js';
import { checkRequest } from './helpers.js';

// For this file only, 127.0.0.1 counts as a public address: the first hop can reach the test target while
// every other loopback address stays refused, which shows the guard judging each redirect hop again.
vi.mock(import('../src/address-ranges.js'), async (importOriginal) => {
  const original = await importOriginal();
  return {
    ...original,
    classifyAddress: (ip: string) => (ip === '127.0.0.1' ? null : original.classifyAddress(ip)),
  };
});

let target: TargetServer;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});

function redirectTo(location: string): string {
  return `${target.url}/redirect-to?location=${encodeURIComponent(location)}`;
}

describe('private target guard on redirects', () => {
  it('reaches the allowed first hop', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/redirect/2`, { allowPrivateTargets: false }));
    expect(outcome.status).toBe('Up');
  });

  it('refuses a redirect to a private IP literal', async () => {
    const outcome = await runCheck(
      checkRequest(redirectTo(`http://127.0.0.2:${target.port}/ok`), { allowPrivateTargets: false }),
    );
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'connect',
      message: 'refused: 127.0.0.2 is a loopback address (set ALLOW_PRIVATE_TARGETS=true to allow)',
    });
  });

  it('refuses a redirect to a name that resolves to a private address', async () => {
    const resolveHost = vi.fn(async () => [{ address: '127.0.0.3', family: 4 }]);
    const outcome = await runCheck(
      checkRequest(redirectTo(`http://rebound.example.test:${target.port}/ok`), {
        allowPrivateTargets: false,
        resolveHost,
      }),
    );
    expect(outcome).toMatchObject({
      reason: 'connect',
      message: expect.stringMatching(/^refused: 127\.0\.0\.3 is a loopback/),
    });
    expect(resolveHost).toHaveBeenCalledOnce();
  });

  it('refuses a redirect to cloud metadata', async () => {
    const outcome = await runCheck(
      checkRequest(redirectTo('http://169.254.169.254/latest/meta-data/'), { allowPrivateTargets: false }),
    );
    expect(outcome.message).toMatch(/^refused: 169\.254\.169\.254 is a link-local address/);
  });
});
