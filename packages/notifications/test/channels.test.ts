import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, queryRows } from '@better-uptime/db';
import {
  createTestDatabase,
  postgresAvailable,
  type ReceiverSink,
  seedUser,
  type SmtpSink,
  startReceiverSink,
  startSmtpSink,
  type TestDatabase,
} from '@better-uptime/testing';
import { GROUP_HOLD_MS, Notifier } from '../src/index.js';
import {
  addChannel,
  deliveriesOf,
  link,
  logger,
  monitorWithChecks,
  secrets,
  settled,
  testSettings,
} from './helpers.js';

const ROUTING_KEY = 'a'.repeat(32);
const BOT_TOKEN = '123456789:AAEhBP0av28nRDsDiZ4l5Lz2dI4rZ9Ew0xQ';

interface Json {
  [key: string]: unknown;
}

describe.skipIf(!postgresAvailable())('every channel type with real receivers', () => {
  let testDb: TestDatabase;
  let db: Database;
  let sink: ReceiverSink;
  let smtp: SmtpSink;
  let userId: string;
  let notifier: Notifier | undefined;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = testDb.handle.db;
    sink = await startReceiverSink();
    smtp = await startSmtpSink();
  });
  // A user per test: an alert storm counts the user's monitors.
  beforeEach(async () => {
    userId = await seedUser(db);
  });
  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
  });
  afterAll(async () => {
    await sink?.close();
    await smtp?.close();
    await testDb?.drop();
  });

  function startNotifier(overrides: Parameters<typeof testSettings>[1] = {}, allowPrivateTargets = true) {
    notifier = new Notifier({
      db,
      secrets,
      settings: testSettings({ sinkUrl: sink.url, smtpUrl: smtp.url }, overrides),
      allowPrivateTargets,
      logger,
    });
    notifier.start();
    return notifier;
  }

  it('tells each channel once that an incident opened and once that it resolved, in its receiver’s format', async () => {
    const channels = {
      webhook: await addChannel(db, userId, 'webhook', { url: `${sink.url}/hook` }),
      slack: await addChannel(db, userId, 'slack', { url: `${sink.url}/slack` }),
      discord: await addChannel(db, userId, 'discord', { url: `${sink.url}/discord` }),
      teams: await addChannel(db, userId, 'teams', { url: `${sink.url}/teams` }),
      telegram: await addChannel(db, userId, 'telegram', { botToken: BOT_TOKEN, chatId: '-100200300' }),
      ntfy: await addChannel(db, userId, 'ntfy', { serverUrl: `${sink.url}/ntfy`, topic: 'uptime-alerts' }),
      pagerduty: await addChannel(db, userId, 'pagerduty', { routingKey: ROUTING_KEY }),
      email: await addChannel(db, userId, 'email', { to: ['oncall@example.test', 'boss@example.test'] }),
    };
    const ids = Object.values(channels).map((c) => c.id);
    const monitor = await monitorWithChecks(db, userId, 'Shop');
    await link(db, monitor.id, ids);
    await monitor.down();
    await monitor.up();
    startNotifier();
    await settled(db, ids);

    for (const channel of Object.values(channels)) {
      const deliveries = await deliveriesOf(db, channel.id);
      expect(deliveries.map((d) => [d.eventType, d.status, d.attempts])).toEqual([
        ['incident.opened', 'delivered', 1],
        ['incident.resolved', 'delivered', 1],
      ]);
    }
    const at = (path: string) => sink.received.filter((r) => r.path === path);

    // Webhook: the event itself, signed with the channel's secret over "<t>.<raw body>".
    const hooks = at('/hook');
    expect(hooks.map((r) => (r.json as Json).type)).toEqual(['incident.opened', 'incident.resolved']);
    for (const request of hooks) {
      const header = String(request.headers['x-betteruptime-signature']);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!;
      expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
      expect(v1).toBe(
        createHmac('sha256', channels.webhook.secret).update(`${t}.${request.body}`).digest('hex'),
      );
      expect(createHmac('sha256', 'another secret').update(`${t}.${request.body}`).digest('hex')).not.toBe(
        v1,
      );
    }
    const opened = hooks[0]!.json as Json & { incident: Json; monitor: Json };
    expect(opened).toMatchObject({
      id: expect.any(String),
      createdAt: expect.any(String),
      monitor: { id: monitor.id, name: 'Shop', url: 'https://shop.example/health' },
      incident: {
        id: expect.any(String),
        startedAt: expect.any(String),
        resolvedAt: null,
        cause: { reason: 'http_status', statusCode: 503, message: 'HTTP 503' },
      },
    });
    const resolved = hooks[1]!.json as Json & { incident: Json };
    expect(resolved.incident).toMatchObject({ id: opened.incident.id, resolvedAt: expect.any(String) });
    expect(resolved.incident.durationMs).toBeGreaterThan(0);
    expect(resolved.id).not.toBe(opened.id);

    // Slack: text and blocks; Discord: an embed; Teams: an Adaptive Card; each naming the monitor and linking.
    const slack = at('/slack').map((r) => r.json as { text: string; blocks: Json[] });
    expect(slack[0]!.text).toContain('Shop is down');
    expect(slack[0]!.text).toContain('http_status');
    expect(slack[0]!.text).toContain(`http://dashboard.test/incidents/${opened.incident.id}`);
    expect(slack[0]!.blocks[0]).toMatchObject({ type: 'header' });
    expect(slack[1]!.text).toContain('Shop is up again');
    const discord = at('/discord').map((r) => r.json as { embeds: Json[] });
    expect(discord[0]!.embeds[0]).toMatchObject({
      title: expect.stringContaining('Shop is down'),
      url: `http://dashboard.test/incidents/${opened.incident.id}`,
      color: expect.any(Number),
    });
    const teams = at('/teams').map(
      (r) => r.json as { type: string; attachments: Array<{ contentType: string; content: Json }> },
    );
    expect(teams[0]!.type).toBe('message');
    expect(teams[0]!.attachments[0]).toMatchObject({
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: { type: 'AdaptiveCard', actions: [{ type: 'Action.OpenUrl' }] },
    });

    // Telegram: the bot's sendMessage at TELEGRAM_API_URL, HTML to the chat.
    const telegram = at(`/telegram/bot${BOT_TOKEN}/sendMessage`).map((r) => r.json as Json);
    expect(telegram).toHaveLength(2);
    expect(telegram[0]).toMatchObject({ chat_id: '-100200300', parse_mode: 'HTML' });
    expect(telegram[0]!.text).toContain('<b>🔴 Shop is down</b>');

    // ntfy: JSON publishing to the server's root with the topic.
    const ntfy = at('/ntfy/').map((r) => r.json as Json);
    expect(ntfy[0]).toMatchObject({
      topic: 'uptime-alerts',
      priority: 5,
      click: expect.stringContaining('/incidents/'),
    });
    expect(ntfy[1]).toMatchObject({ topic: 'uptime-alerts', priority: 3 });

    // PagerDuty: trigger, then resolve with the same dedup key.
    const pagerduty = at('/pagerduty').map((r) => r.json as Json);
    expect(pagerduty[0]).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      payload: { severity: 'critical', source: 'https://shop.example/health' },
    });
    expect(pagerduty[1]).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: pagerduty[0]!.dedup_key,
    });

    // Email through a real SMTP server: to both recipients, a plain-text and an HTML part.
    const mails = await smtp.waitFor(2);
    expect(mails).toHaveLength(2);
    expect(mails[0]!.from).toBe('alerts@uptime.test');
    expect(mails[0]!.to.sort()).toEqual(['boss@example.test', 'oncall@example.test']);
    expect(mails[0]!.raw).toMatch(/^Subject: =\?UTF-8\?/m); // the emoji makes it an encoded word
    expect(mails[0]!.raw).toContain('Shop is down');
    expect(mails[0]!.raw).toContain('multipart/alternative');
    expect(mails[0]!.raw).toMatch(/Content-Type: text\/plain/);
    expect(mails[0]!.raw).toMatch(/Content-Type: text\/html/);
  });

  it('sends to a receiver again after it answered 500, and waits as long as a 429 says', async () => {
    sink.answer('/flaky', { status: 500 }, { status: 200 });
    sink.answer('/limited', { status: 429, headers: { 'retry-after': '2' } }, { status: 200 });
    const flaky = await addChannel(db, userId, 'webhook', { url: `${sink.url}/flaky` });
    const limited = await addChannel(db, userId, 'slack', { url: `${sink.url}/limited` });
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [flaky.id, limited.id]);
    await monitor.down();
    startNotifier({ retryBaseMs: 200 });
    await settled(db, [flaky.id, limited.id]);
    expect((await deliveriesOf(db, flaky.id)).map((d) => [d.status, d.attempts])).toEqual([['delivered', 2]]);
    const flakyHits = sink.received.filter((r) => r.path === '/flaky');
    expect(flakyHits).toHaveLength(2);
    expect((flakyHits[0]!.json as Json).id).toBe((flakyHits[1]!.json as Json).id);
    const limitedHits = sink.received.filter((r) => r.path === '/limited');
    expect(limitedHits).toHaveLength(2);
    // Retry-After: 2 s, not the 200 ms backoff.
    expect(limitedHits[1]!.at - limitedHits[0]!.at).toBeGreaterThanOrEqual(1_950);
  });

  it('times out a hanging receiver without holding up another channel', async () => {
    sink.answer('/hang', 'hang');
    const hanging = await addChannel(db, userId, 'webhook', { url: `${sink.url}/hang` });
    const fine = await addChannel(db, userId, 'webhook', { url: `${sink.url}/fine` });
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [hanging.id, fine.id]);
    await monitor.down();
    startNotifier({ timeoutMs: 3_000, retryBaseMs: 30_000 });
    const [hung] = await sink.waitFor((r) => r.path === '/hang');
    const [arrived] = await sink.waitFor((r) => r.path === '/fine');
    // Both were sent in the same pass; the hanging one does not delay the other.
    expect(Math.abs(arrived!.at - hung!.at)).toBeLessThan(1_000);
    await expect
      .poll(async () => (await deliveriesOf(db, fine.id))[0]?.status, { timeout: 5_000 })
      .toBe('delivered');
    await expect
      .poll(async () => (await deliveriesOf(db, hanging.id))[0]?.attempts, { timeout: 10_000 })
      .toBe(1);
    // The attempt is recorded as a timeout, to be retried later.
    await expect
      .poll(
        () =>
          queryRows(
            db,
            sql`SELECT a.outcome, a.error FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
                WHERE d.channel_id = ${hanging.id}`,
          ),
        { timeout: 10_000 },
      )
      .toEqual([{ outcome: 'retry', error: 'no answer within 3000 ms' }]);
  });

  it('gives a channel with a backlog only its share: another channel’s message goes in the first pass', async () => {
    sink.answer('/pagerduty', { status: 202, delayMs: 300 });
    const paging = await addChannel(db, userId, 'pagerduty', { routingKey: 'b'.repeat(32) });
    for (let i = 0; i < 8; i++) {
      const monitor = await monitorWithChecks(db, userId, `paged ${i}`);
      await link(db, monitor.id, [paging.id]);
      await monitor.down();
    }
    const otherUser = await seedUser(db);
    const hook = await addChannel(db, otherUser, 'webhook', { url: `${sink.url}/alone` });
    const monitor = await monitorWithChecks(db, otherUser);
    await link(db, monitor.id, [hook.id]);
    await monitor.down();
    const before = sink.received.filter((r) => r.path === '/pagerduty').length;
    await new Promise((r) => setTimeout(r, GROUP_HOLD_MS + 200)); // every one of them due
    startNotifier();
    await settled(db, [paging.id, hook.id]);
    const paged = sink.received.filter((r) => r.path === '/pagerduty').slice(before);
    expect(paged).toHaveLength(8); // PagerDuty is never grouped: one event per incident
    const [alone] = sink.received.filter((r) => r.path === '/alone');
    // At most 2 of the backlog at a time (NOTIFY_CHANNEL_CONCURRENCY): the other channel did not wait.
    expect(alone!.at).toBeLessThan(paged[2]!.at);
  });

  it('gives up with the error recorded: at once for a 404, after the retry window for a 500', async () => {
    sink.answer('/gone', { status: 404 });
    sink.answer('/down', { status: 503 });
    const gone = await addChannel(db, userId, 'discord', { url: `${sink.url}/gone` });
    const down = await addChannel(db, userId, 'webhook', { url: `${sink.url}/down` });
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [gone.id, down.id]);
    await monitor.down();
    startNotifier({ retryBaseMs: 200, giveUpAfterMs: 3_000 });
    await settled(db, [gone.id, down.id]);
    expect((await deliveriesOf(db, gone.id)).map((d) => [d.status, d.attempts])).toEqual([['failed', 1]]);
    const [failed] = await deliveriesOf(db, down.id);
    expect(failed!.status).toBe('failed');
    expect(failed!.attempts).toBeGreaterThanOrEqual(2);
  });

  it('refuses to send to a private address when private targets are not allowed', async () => {
    const privateHook = await addChannel(db, userId, 'webhook', { url: `${sink.url}/private` });
    const monitor = await monitorWithChecks(db, userId);
    await link(db, monitor.id, [privateHook.id]);
    await monitor.down();
    startNotifier({}, false);
    await settled(db, [privateHook.id]);
    expect((await deliveriesOf(db, privateHook.id)).map((d) => [d.status, d.attempts])).toEqual([
      ['failed', 1],
    ]);
    expect(sink.received.filter((r) => r.path === '/private')).toHaveLength(0);
  });

  it('groups an alert storm: more than 10 monitors changing state make one message per channel', async () => {
    const hook = await addChannel(db, userId, 'webhook', { url: `${sink.url}/storm` });
    const chat = await addChannel(db, userId, 'slack', { url: `${sink.url}/storm-slack` });
    const monitors = [];
    for (let i = 0; i < 12; i++) {
      const monitor = await monitorWithChecks(db, userId, `site ${i}`);
      await link(db, monitor.id, [hook.id, chat.id]);
      monitors.push(monitor);
    }
    for (const monitor of monitors) await monitor.down();
    startNotifier();
    await settled(db, [hook.id, chat.id]);
    const storm = sink.received.filter((r) => r.path === '/storm');
    expect(storm).toHaveLength(1);
    const group = storm[0]!.json as { type: string; events: Json[] };
    expect(group.type).toBe('group');
    expect(group.events).toHaveLength(12);
    expect(new Set(group.events.map((e) => e.id)).size).toBe(12);
    const slack = sink.received.filter((r) => r.path === '/storm-slack');
    expect(slack).toHaveLength(1);
    expect((slack[0]!.json as { text: string }).text).toContain('12 monitors changed state: 12 down');
    expect((await deliveriesOf(db, hook.id)).every((d) => d.status === 'delivered')).toBe(true);
  });
});
