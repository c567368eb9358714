import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KERNEL_CLOCK_SLACK_MS,
  startTarget,
  startTlsTarget,
  type TargetServer,
  type TlsTargetServer,
} from '@better-uptime/testing';
import { runCheck } from '../src/index.js';
import { checkRequest } from './helpers.js';

const DAY = 86_400_000;

describe('https', () => {
  let selfSigned: TlsTargetServer;
  let trusted: TlsTargetServer;
  let expired: TlsTargetServer;
  let wrongName: TlsTargetServer;
  let plain: TargetServer;

  beforeAll(async () => {
    [selfSigned, trusted, expired, wrongName, plain] = await Promise.all([
      startTlsTarget(),
      startTlsTarget({ issuer: 'test-ca', notAfter: new Date(Date.now() + 42 * DAY) }),
      startTlsTarget({
        issuer: 'test-ca',
        notBefore: new Date(Date.now() - 30 * DAY),
        notAfter: new Date(Date.now() - 2 * DAY),
      }),
      startTlsTarget({ issuer: 'test-ca', altNames: ['other.example.test'] }),
      startTarget(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([selfSigned, trusted, expired, wrongName, plain].map((target) => target?.close()));
  });

  it('is Up through a certificate signed by a trusted CA, with TLS timing and expiry', async () => {
    const outcome = await runCheck(checkRequest(`${trusted.url}/ok`, { ca: trusted.ca ?? undefined }));
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
    expect(outcome.timings.tlsMs).toBeGreaterThan(0);
    expect(outcome.timings.connectMs).not.toBeNull();
    expect(outcome.timings.firstByteMs).toBeGreaterThanOrEqual(outcome.timings.tlsMs ?? Infinity);
    expect(outcome.certExpiresAt?.getTime()).toBe(trusted.certExpiresAt.getTime());
    expect(Math.abs((outcome.certExpiresAt?.getTime() ?? 0) - (Date.now() + 42 * DAY))).toBeLessThan(60_000);
  });

  it('times the first byte of a delayed https answer after the handshake, the phases adding up', async () => {
    const outcome = await runCheck(
      checkRequest(`${trusted.url}/delay/200`, { ca: trusted.ca ?? undefined, timeoutMs: 3_000 }),
    );
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
    const { connectMs, tlsMs, firstByteMs } = outcome.timings;
    expect(firstByteMs).toBeGreaterThanOrEqual(200 - KERNEL_CLOCK_SLACK_MS);
    expect(firstByteMs).toBeLessThan(300);
    expect((connectMs ?? 0) + (tlsMs ?? 0) + (firstByteMs ?? 0)).toBeLessThanOrEqual(
      outcome.responseTimeMs + 2,
    );
  });

  it('checks the name against the certificate when the host is a name', async () => {
    const outcome = await runCheck(
      checkRequest(`https://localhost:${trusted.port}/ok`, {
        ca: trusted.ca ?? undefined,
        resolveHost: async () => [{ address: '127.0.0.1', family: 4 }],
      }),
    );
    expect(outcome.status).toBe('Up');
    expect(outcome.timings.dnsMs).not.toBeNull();
  });

  it('is Down tls for a self-signed certificate, still reporting its expiry', async () => {
    const outcome = await runCheck(checkRequest(`${selfSigned.url}/ok`));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'tls',
      statusCode: null,
      message: 'TLS certificate rejected: self-signed certificate',
    });
    expect(outcome.certExpiresAt?.getTime()).toBe(selfSigned.certExpiresAt.getTime());
    expect(selfSigned.hitCount()).toBe(0); // the request never went out over the untrusted connection
  });

  it('is Down tls for an expired certificate', async () => {
    const outcome = await runCheck(checkRequest(`${expired.url}/ok`, { ca: expired.ca ?? undefined }));
    expect(outcome).toMatchObject({
      reason: 'tls',
      message: 'TLS certificate rejected: certificate has expired',
    });
    expect(outcome.certExpiresAt?.getTime()).toBe(expired.certExpiresAt.getTime());
  });

  it('is Down tls when the certificate is for another name', async () => {
    const outcome = await runCheck(checkRequest(`${wrongName.url}/ok`, { ca: wrongName.ca ?? undefined }));
    expect(outcome.reason).toBe('tls');
    expect(outcome.message).toMatch(/^TLS certificate rejected: .*altnames/);
  });

  it('is Down tls when the CA is not trusted', async () => {
    const outcome = await runCheck(checkRequest(`${trusted.url}/ok`));
    expect(outcome.reason).toBe('tls');
  });

  it('is Down tls when the server does not speak TLS', async () => {
    const outcome = await runCheck(checkRequest(`${plain.url.replace('http:', 'https:')}/ok`));
    expect(outcome.reason).toBe('tls');
    expect(outcome.message).toMatch(/^TLS/);
  });

  it('follows a redirect from https to http, keeping the first certificate', async () => {
    const location = encodeURIComponent(`${plain.url}/ok`);
    const outcome = await runCheck(
      checkRequest(`${trusted.url}/redirect-to?location=${location}`, { ca: trusted.ca ?? undefined }),
    );
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
    expect(outcome.timings.tlsMs).toBeNull(); // timings are the final (http) hop's
    expect(outcome.certExpiresAt?.getTime()).toBe(trusted.certExpiresAt.getTime());
  });
});
