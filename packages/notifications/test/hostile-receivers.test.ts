import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, queryRows } from '@better-uptime/db';
import {
  createTestDatabase,
  postgresAvailable,
  type ReceiverSink,
  seedUser,
  startReceiverSink,
  type TestDatabase,
} from '@better-uptime/testing';
import { Notifier } from '../src/index.js';
import { addChannel, link, logger, monitorWithChecks, secrets, testSettings } from './helpers.js';

/** What a hostile receiver does with a connection. */
type Behaviour = (socket: Socket) => void;

const BEHAVIOURS: Record<string, Behaviour> = {
  // Not HTTP at all.
  garbage: (socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\nnothing you expect\r\n\r\n'),
  // Accepts, then resets.
  reset: (socket) => socket.resetAndDestroy(),
  // A 200 whose chunked body never ends (64 kB every 5 ms): reading it must stop at the timeout.
  endless: (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `10000\r\n${'x'.repeat(0x10000)}\r\n`;
    const timer = setInterval(() => socket.write(chunk), 5);
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => clearInterval(timer));
  },
  // The status line, then one header byte every 100 ms (a slowloris in reverse).
  drip: (socket) => {
    socket.write('HTTP/1.1 200 OK\r\n');
    const timer = setInterval(() => socket.write('X'), 100);
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => clearInterval(timer));
  },
  // Headers far beyond any sane size.
  huge: (socket) =>
    socket.end(`HTTP/1.1 200 OK\r\nX-Big: ${'y'.repeat(200_000)}\r\nContent-Length: 0\r\n\r\n`),
  // A redirect to somewhere else: never followed.
  redirect: (socket) =>
    socket.end('HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n'),
  // "Too many requests, but come back at once", every time.
  impatient: (socket) =>
    socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n'),
  // Never a byte back.
  silent: () => undefined,
};

interface Attempt {
  channel: string;
  attempts: number;
  status: string;
  error: string | null;
}

describe.skipIf(!postgresAvailable())('hostile receivers', () => {
  let testDb: TestDatabase;
  let db: Database;
  let sink: ReceiverSink;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const urls: Record<string, string> = {};
  let notifier: Notifier | undefined;

  async function listen(behaviour: Behaviour): Promise<string> {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
      // Reads the request (never replies before it has some of it), then behaves.
      socket.once('data', () => behaviour(socket));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = testDb.handle.db;
    sink = await startReceiverSink();
    for (const [name, behaviour] of Object.entries(BEHAVIOURS)) urls[name] = await listen(behaviour);
  });
  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await sink?.close();
    await testDb?.drop();
  });

  async function attempts(channelIds: Record<string, string>): Promise<Record<string, Attempt>> {
    const rows = await queryRows<Attempt>(
      db,
      sql`SELECT c.name AS channel, d.attempts, d.status, d.last_error AS error FROM deliveries d
          JOIN channels c ON c.id = d.channel_id
          WHERE d.channel_id = ANY(${sql.param(Object.values(channelIds))}::uuid[])
            AND d.leased_until IS NULL`,
    );
    return Object.fromEntries(rows.map((r) => [r.channel, r]));
  }

  it('times out, refuses or gives up on each, records why, and never holds up a healthy channel', async () => {
    const userId = await seedUser(db);
    const channelIds: Record<string, string> = {};
    for (const name of Object.keys(BEHAVIOURS)) {
      channelIds[name] = (
        await addChannel(db, userId, 'webhook', { url: `http://${urls[name]}/hook` }, name)
      ).id;
    }
    sink.answer('/healthy', { status: 200 });
    const healthy = await addChannel(db, userId, 'webhook', { url: `${sink.url}/healthy` }, 'healthy');
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [...Object.values(channelIds), healthy.id]);
    await monitor.down();

    const timeoutMs = 1_500;
    notifier = new Notifier({
      db,
      secrets,
      // One attempt each in this test (retries a minute later), except what a receiver's answer decides.
      settings: testSettings(
        { sinkUrl: sink.url },
        { timeoutMs, retryBaseMs: 60_000, giveUpAfterMs: 600_000, concurrency: 20 },
      ),
      allowPrivateTargets: true,
      logger,
    });
    const started = Date.now();
    notifier.start();
    // The healthy receiver is told while the hostile ones still hold their connections.
    const [delivered] = await sink.waitFor((r) => r.path === '/healthy', 1, 20_000);
    expect(delivered!.at - started).toBeLessThan(timeoutMs + 2_000 + 1_000);

    let seen: Record<string, Attempt> = {};
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      seen = await attempts(channelIds);
      if (Object.values(seen).filter((a) => a.attempts > 0).length === Object.keys(BEHAVIOURS).length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const summary = Object.fromEntries(
      Object.entries(seen).map(([name, a]) => [name, [a.status, a.attempts, a.error]]),
    );
    // Retried later, each with what went wrong.
    expect(summary.garbage).toEqual(['pending', 1, expect.stringMatching(/HPE_|Parse Error/)]);
    expect(summary.reset).toEqual(['pending', 1, expect.stringMatching(/ECONNRESET|socket hang up/)]);
    expect(summary.endless).toEqual(['pending', 1, `no answer within ${timeoutMs} ms`]);
    expect(summary.drip).toEqual(['pending', 1, `no answer within ${timeoutMs} ms`]);
    expect(summary.huge).toEqual([
      'pending',
      1,
      expect.stringMatching(/HPE_HEADER_OVERFLOW|Header overflow/),
    ]);
    expect(summary.silent).toEqual(['pending', 1, `no answer within ${timeoutMs} ms`]);
    // A redirect is an answer to fix, not to follow.
    expect(summary.redirect).toEqual(['failed', 1, 'HTTP 302']);
    // Retry-After: 0 waits the base delay all the same (a minute here), instead of spinning.
    expect(summary.impatient).toEqual(['pending', 1, 'HTTP 429']);
    const [next] = await queryRows<{ inMs: number }>(
      db,
      sql`SELECT extract(epoch FROM d.next_attempt_at - now())::float8 * 1000 AS "inMs" FROM deliveries d
          WHERE d.channel_id = ${channelIds.impatient!}`,
    );
    expect(next!.inMs).toBeGreaterThan(50_000);
  });

  it('gives up on an SMTP server that never greets, and still sends the webhooks meanwhile', async () => {
    const userId = await seedUser(db);
    const mail = await addChannel(db, userId, 'email', { to: ['ops@example.test'] }, 'mail');
    sink.answer('/beside-mail', { status: 204 });
    const hook = await addChannel(db, userId, 'webhook', { url: `${sink.url}/beside-mail` }, 'hook');
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [mail.id, hook.id]);
    await monitor.down();
    notifier = new Notifier({
      db,
      secrets,
      settings: testSettings(
        { sinkUrl: sink.url, smtpUrl: `smtp://${urls.silent}` },
        { timeoutMs: 1_000, retryBaseMs: 60_000, giveUpAfterMs: 600_000 },
      ),
      allowPrivateTargets: true,
      logger,
    });
    notifier.start();
    await sink.waitFor((r) => r.path === '/beside-mail', 1, 20_000);
    let seen: Record<string, Attempt> = {};
    const until = Date.now() + 20_000;
    while (Date.now() < until && !((seen.mail?.attempts ?? 0) > 0)) {
      seen = await attempts({ mail: mail.id });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.mail).toMatchObject({ status: 'pending', attempts: 1 });
    expect(seen.mail!.error).toMatch(/^SMTP (ETIMEDOUT|ETIMEOUT)/);
  });
});
