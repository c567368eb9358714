import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '@better-uptime/testing';
import { probe } from '../src/index.js';

const options = { timeoutMs: 2_000, allowPrivateTargets: true };

/** A TCP server on 127.0.0.1 that runs `onConnection` for each client. */
async function listen(onConnection: (socket: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const { port, server } = await listen(() => undefined);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('tcp prober', () => {
  const servers: Server[] = [];
  let echo: number;
  let banner: number;
  let hangUp: number;
  let silent: number;
  let tlsPort: number;
  let tlsCa: string;

  beforeAll(async () => {
    const started = await Promise.all([
      listen((socket) => socket.on('data', (chunk) => socket.write(chunk)).on('error', () => undefined)),
      listen((socket) => socket.end('220 mail.test ESMTP ready\r\n')),
      listen((socket) => socket.destroy()),
      listen((socket) => socket.on('error', () => undefined)),
    ]);
    servers.push(...started.map((s) => s.server));
    [echo, banner, hangUp, silent] = started.map((s) => s.port) as [number, number, number, number];
    const { certificate, key, ca } = await makeCertificate({ issuer: 'test-ca' });
    tlsCa = ca!;
    const tlsServer = createTlsServer({ cert: certificate, key }, (socket) => socket.end('hello over tls\n'));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsPort = (tlsServer.address() as AddressInfo).port;
    servers.push(tlsServer as unknown as Server);
  });
  afterAll(async () => {
    for (const server of servers) server.close();
  });

  const tcp = (settings: Record<string, unknown>) => ({
    host: '127.0.0.1',
    tls: false,
    send: null,
    expect: null,
    ...settings,
  });

  it('is up when the port accepts a connection, with the connect phase timed', async () => {
    const outcome = await probe('tcp', tcp({ port: silent }), options);
    expect(outcome).toMatchObject({ status: 'Up', reason: null, statusCode: null });
    expect(outcome.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(outcome.timings.dnsMs).toBeNull();
  });

  it('sends a string and finds the expected text in the echo', async () => {
    const outcome = await probe('tcp', tcp({ port: echo, send: 'PING 42\r\n', expect: 'PING 42' }), options);
    expect(outcome).toMatchObject({ status: 'Up', reason: null });
    expect(outcome.timings.firstByteMs).toBeGreaterThanOrEqual(0);
  });

  it('reads a banner without sending anything', async () => {
    expect(await probe('tcp', tcp({ port: banner, expect: 'ESMTP' }), options)).toMatchObject({
      status: 'Up',
    });
    expect(await probe('tcp', tcp({ port: banner, expect: 'IMAP' }), options)).toMatchObject({
      status: 'Down',
      reason: 'keyword',
      message: 'the reply did not contain "IMAP"',
    });
  });

  it('says connect for a refused port, protocol for a connection closed before any reply', async () => {
    const port = await closedPort();
    expect(await probe('tcp', tcp({ port }), options)).toMatchObject({
      status: 'Down',
      reason: 'connect',
      message: `connection refused by 127.0.0.1:${port}`,
    });
    expect(await probe('tcp', tcp({ port: hangUp, send: 'hi', expect: 'hi' }), options)).toMatchObject({
      status: 'Down',
      reason: 'protocol',
    });
  });

  it('times out when no reply comes', async () => {
    const outcome = await probe('tcp', tcp({ port: silent, expect: 'x' }), { ...options, timeoutMs: 300 });
    expect(outcome).toMatchObject({ status: 'Down', reason: 'timeout', message: 'no reply within 300 ms' });
  });

  it('makes a TLS handshake when asked: verified against the CA, rejected without it', async () => {
    const trusted = await probe('tcp', tcp({ port: tlsPort, tls: true, expect: 'hello' }), {
      ...options,
      ca: tlsCa,
    });
    expect(trusted).toMatchObject({ status: 'Up' });
    expect(trusted.timings.tlsMs).toBeGreaterThanOrEqual(0);
    expect(trusted.certExpiresAt).toBeInstanceOf(Date);
    expect(trusted.details).toMatchObject({ certificate: { names: expect.arrayContaining(['127.0.0.1']) } });
    expect(await probe('tcp', tcp({ port: tlsPort, tls: true }), options)).toMatchObject({
      status: 'Down',
      reason: 'tls',
    });
  });

  it('refuses a private address unless private targets are allowed', async () => {
    const outcome = await probe('tcp', tcp({ port: echo }), { ...options, allowPrivateTargets: false });
    expect(outcome).toMatchObject({ status: 'Down', reason: 'connect' });
    expect(outcome.message).toMatch(/^refused: 127\.0\.0\.1 is/);
  });

  it('is unavailable for a kind or settings it does not know', async () => {
    expect(await probe('gopher', {}, options)).toMatchObject({ status: 'Down', reason: 'unavailable' });
    expect(await probe('tcp', { host: '127.0.0.1' }, options)).toMatchObject({
      status: 'Down',
      reason: 'unavailable',
    });
  });
});
