import { createServer as createTlsServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCertificate, type TlsTargetOptions } from '@better-uptime/testing';
import { probe } from '../src/index.js';

const DAY = 86_400_000;
const servers: Server[] = [];

/** A TLS server on 127.0.0.1 with a certificate signed by a CA made for it; returns its port and the CA. */
async function tlsServer(options: TlsTargetOptions): Promise<{ port: number; ca: string }> {
  const { certificate, key, ca } = await makeCertificate({ issuer: 'test-ca', ...options });
  const server = createTlsServer({ cert: certificate, key }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, ca: ca! };
}

afterAll(() => {
  for (const server of servers) server.close();
});

const check = (port: number, ca: string, minDaysValid = 14, host = '127.0.0.1') =>
  probe('tls', { host, port, minDaysValid }, { timeoutMs: 3_000, allowPrivateTargets: true, ca });

describe('tls prober', () => {
  it('is up for a valid certificate and records its expiry, issuer and names', async () => {
    const { port, ca } = await tlsServer({ notAfter: new Date(Date.now() + 90 * DAY) });
    const outcome = await check(port, ca);
    expect(outcome).toMatchObject({ status: 'Up', reason: null });
    expect(outcome.timings.tlsMs).toBeGreaterThanOrEqual(0);
    expect(outcome.details).toMatchObject({
      daysLeft: 89,
      certificate: { subject: 'localhost', names: expect.arrayContaining(['localhost', '127.0.0.1']) },
    });
    expect(outcome.certExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 89 * DAY);
  });

  it('is down (cert_expiry) when the certificate expires in fewer than minDaysValid days', async () => {
    const { port, ca } = await tlsServer({ notAfter: new Date(Date.now() + 5 * DAY + 3_600_000) });
    const outcome = await check(port, ca, 14);
    expect(outcome).toMatchObject({ status: 'Down', reason: 'cert_expiry' });
    expect(outcome.message).toMatch(/^certificate expires in 5 days .*, fewer than 14$/);
    expect(await check(port, ca, 5)).toMatchObject({ status: 'Up' });
  });

  it('is down (tls) for an expired certificate, a wrong name or an unknown issuer', async () => {
    const expired = await tlsServer({
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const expiredOutcome = await check(expired.port, expired.ca);
    expect(expiredOutcome).toMatchObject({ status: 'Down', reason: 'tls' });
    expect(expiredOutcome.message).toMatch(/expired/i);
    expect(expiredOutcome.certExpiresAt).toBeInstanceOf(Date);

    const wrongName = await tlsServer({ altNames: ['other.example'] });
    const wrongOutcome = await check(wrongName.port, wrongName.ca);
    expect(wrongOutcome).toMatchObject({ status: 'Down', reason: 'tls' });
    expect(wrongOutcome.message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/i);

    const stranger = await tlsServer({});
    const other = await tlsServer({});
    expect(await check(stranger.port, other.ca)).toMatchObject({ status: 'Down', reason: 'tls' });
  });

  it('says connect for a closed port', async () => {
    const { port, ca } = await tlsServer({});
    servers.at(-1)!.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await check(port, ca)).toMatchObject({ status: 'Down', reason: 'connect' });
  });
});
