import { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTarget, type TargetServer } from '@better-uptime/testing';
import { runCheck } from '../src/index.js';
import { checkRequest } from './helpers.js';

let target: TargetServer;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const HINT = '(set ALLOW_PRIVATE_TARGETS=true to allow)';

describe('private target guard', () => {
  it('refuses 127.0.0.1 without the flag, before connecting', async () => {
    const connect = vi.spyOn(Socket.prototype, 'connect');
    const outcome = await runCheck(checkRequest(`${target.url}/ok`, { allowPrivateTargets: false }));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'connect',
      statusCode: null,
      message: `refused: 127.0.0.1 is a loopback address ${HINT}`,
    });
    expect(connect).not.toHaveBeenCalled();
    expect(target.hitCount('/ok')).toBe(0);
  });

  it.each([
    ['http://[::1]:9/', `refused: ::1 is a loopback address ${HINT}`],
    ['http://10.0.0.1/', `refused: 10.0.0.1 is a private address ${HINT}`],
    ['https://192.168.0.10:8443/admin', `refused: 192.168.0.10 is a private address ${HINT}`],
    ['http://169.254.169.254/latest/meta-data/', `refused: 169.254.169.254 is a link-local address ${HINT}`],
    ['http://[::ffff:10.0.0.1]/', `refused: ::ffff:a00:1 is a private address ${HINT}`],
    ['http://0.0.0.0/', `refused: 0.0.0.0 is an unspecified address ${HINT}`],
    ['http://2130706433/', `refused: 127.0.0.1 is a loopback address ${HINT}`], // URL normalises it
    ['http://[fd00::5]/', `refused: fd00::5 is a unique-local address ${HINT}`],
  ])('refuses the literal %s without opening a socket', async (url, message) => {
    const connect = vi.spyOn(Socket.prototype, 'connect');
    const outcome = await runCheck(checkRequest(url, { allowPrivateTargets: false }));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'connect', message });
    expect(outcome.responseTimeMs).toBeLessThan(50);
    expect(connect).not.toHaveBeenCalled();
  });

  it('refuses a name that resolves to a loopback address (checked inside lookup)', async () => {
    const resolveHost = vi.fn(async () => [{ address: '127.0.0.1', family: 4 }]);
    const outcome = await runCheck(
      checkRequest(`http://innocent.example.test:${target.port}/ok`, {
        allowPrivateTargets: false,
        resolveHost,
      }),
    );
    expect(outcome).toMatchObject({
      reason: 'connect',
      message: `refused: 127.0.0.1 is a loopback address ${HINT}`,
    });
    expect(outcome.timings.dnsMs).not.toBeNull();
    expect(outcome.timings.connectMs).toBeNull();
    expect(resolveHost).toHaveBeenCalledWith('innocent.example.test');
    expect(target.hitCount('/ok')).toBe(0);
    expect(target.openConnections()).toBe(0);
  });

  it('refuses a name when any of its addresses is private', async () => {
    const outcome = await runCheck(
      checkRequest(`http://mixed.example.test:${target.port}/ok`, {
        allowPrivateTargets: false,
        resolveHost: async () => [
          { address: '2001:db8::1', family: 6 },
          { address: '::ffff:127.0.0.1', family: 6 },
        ],
      }),
    );
    expect(outcome.reason).toBe('connect');
    expect(outcome.message).toMatch(/^refused: 2001:db8::1 is a documentation address/);
  });

  it('refuses localhost through the system resolver', async () => {
    const outcome = await runCheck(
      checkRequest(`http://localhost:${target.port}/ok`, { allowPrivateTargets: false }),
    );
    expect(outcome).toMatchObject({ reason: 'connect' });
    expect(outcome.message).toMatch(/^refused: (127\.0\.0\.1|::1) is a loopback address/);
  });

  it('lets the same targets through with allowPrivateTargets', async () => {
    const outcome = await runCheck(
      checkRequest(`http://innocent.example.test:${target.port}/ok`, {
        allowPrivateTargets: true,
        resolveHost: async () => [{ address: '127.0.0.1', family: 4 }],
      }),
    );
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
  });
});
