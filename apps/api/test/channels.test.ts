import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '@better-uptime/config';
import { queryRows } from '@better-uptime/db';
import { postgresAvailable, type ReceiverSink, startReceiverSink } from '@better-uptime/testing';
import { inlinedDocument } from './openapi-operations.js';
import {
  createMonitor,
  recordChecks,
  signup,
  startTestApi,
  stopTestApi,
  type TestApi,
  type TestServer,
  type TestUser,
} from './helpers.js';
import { sendRawJson } from './bad-input.js';

const BOT_TOKEN = '123456789:AAEhBP0av28nRDsDiZ4l5Lz2dI4rZ9Ew0xQ';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

describe.skipIf(!postgresAvailable())('notification channels API', () => {
  let api: TestApi;
  let app: TestServer;
  let sink: ReceiverSink;
  let alice: TestUser;
  let bob: TestUser;
  const lines: string[] = [];

  beforeAll(async () => {
    sink = await startReceiverSink();
    const capture = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    api = await startTestApi({
      env: { ALLOW_PRIVATE_TARGETS: 'true', PUBLIC_URL: 'https://uptime.example' },
      logger: pino(loggerOptions('api', 'trace'), capture),
    });
    app = api.app;
    alice = await signup(app);
    bob = await signup(app);
  });
  afterAll(async () => {
    await stopTestApi(api ?? {});
    await sink?.close();
  });

  const call = (user: TestUser, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: user.bearer,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  async function create(user: TestUser, body: Record<string, unknown>) {
    const res = await call(user, 'POST', '/api/channels', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { channel: { id: string; config: Record<string, unknown> }; secret: string };
  }

  it('creates a channel of every type, answers its secret once and masks secrets ever after', async () => {
    const made = {
      webhook: await create(alice, {
        type: 'webhook',
        name: 'hook',
        config: { url: `${sink.url}/hook?token=sesame-1234` },
      }),
      slack: await create(alice, { type: 'slack', name: 'ops', config: { url: SLACK_URL } }),
      telegram: await create(alice, {
        type: 'telegram',
        name: 'tg',
        config: { botToken: BOT_TOKEN, chatId: -1001234 },
      }),
      pagerduty: await create(alice, { type: 'pagerduty', name: 'pd', config: { routingKey: ROUTING_KEY } }),
      ntfy: await create(alice, {
        type: 'ntfy',
        name: 'phone',
        config: { serverUrl: 'https://ntfy.sh/', topic: 'secret-topic-42' },
      }),
      email: await create(alice, {
        type: 'email',
        name: 'mail',
        config: { to: ['ops@example.test'] },
        isDefault: true,
      }),
      discord: await create(alice, {
        type: 'discord',
        name: 'dc',
        config: { url: 'https://discord.com/api/webhooks/1/abcdefgh' },
      }),
      teams: await create(alice, {
        type: 'teams',
        name: 'teams',
        config: { url: 'https://prod.example/workflows/xyz?sig=abcdef' },
      }),
    };
    expect(made.webhook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(made.slack.channel.config).toEqual({ url: 'https://hooks.slack.com/…XXXX' });
    expect(made.telegram.channel.config).toEqual({ botToken: `…${BOT_TOKEN.slice(-4)}`, chatId: '-1001234' });
    expect(made.pagerduty.channel.config).toEqual({ routingKey: `…${ROUTING_KEY.slice(-4)}` });
    expect(made.ntfy.channel.config).toEqual({ serverUrl: 'https://ntfy.sh', topic: '…c-42' });
    expect(made.email.channel.config).toEqual({ to: ['ops@example.test'] });

    const list = await call(alice, 'GET', '/api/channels');
    expect(list.statusCode).toBe(200);
    expect(list.json().channels).toHaveLength(8);
    const secrets = [
      made.webhook.secret,
      'sesame-1234',
      'XXXXXXXXXXXXXXXXXXXXXXXX',
      BOT_TOKEN,
      BOT_TOKEN.split(':')[1]!,
      ROUTING_KEY,
      'secret-topic-42',
      'abcdefgh',
      'sig=abcdef',
    ];
    for (const secret of secrets) {
      expect(list.body).not.toContain(secret);
      expect((await call(alice, 'GET', `/api/channels/${made.telegram.channel.id}`)).body).not.toContain(
        secret,
      );
    }
    // An edit that leaves a secret out, or sends back its masked form, keeps it.
    const edited = await call(alice, 'PUT', `/api/channels/${made.telegram.channel.id}`, {
      config: { chatId: '@alerts_room' },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().channel.config.chatId).toBe('@alerts_room');
    const masked = await call(alice, 'PUT', `/api/channels/${made.slack.channel.id}`, {
      name: 'ops room',
      config: made.slack.channel.config,
    });
    expect(masked.statusCode, masked.body).toBe(200);
    expect(masked.json().channel).toMatchObject({ name: 'ops room', config: made.slack.channel.config });
    // The secrets reached no log line either.
    const logged = lines.join('');
    expect(logged).toContain('/api/channels');
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });

  it('refuses a wrong config for each type with a 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'webhook', name: 'x', config: {} }, 'body/config/url'],
      [{ type: 'webhook', name: 'x', config: { url: 'ftp://example.com/' } }, 'body/config/url'],
      [{ type: 'webhook', name: 'x', config: { url: 'https://user:pw@example.com/' } }, 'body/config/url'],
      [{ type: 'slack', name: 'x', config: { url: 'not a url' } }, 'body/config/url'],
      [{ type: 'discord', name: 'x', config: { url: 42 } }, 'body/config/url'],
      [{ type: 'teams', name: 'x', config: { url: 'https://example.com/', extra: 1 } }, 'body/config/extra'],
      [{ type: 'telegram', name: 'x', config: { botToken: 'nope', chatId: '1' } }, 'body/config/botToken'],
      [
        { type: 'telegram', name: 'x', config: { botToken: BOT_TOKEN, chatId: 'room' } },
        'body/config/chatId',
      ],
      [
        { type: 'ntfy', name: 'x', config: { serverUrl: 'https://ntfy.sh', topic: 'a/b' } },
        'body/config/topic',
      ],
      [{ type: 'pagerduty', name: 'x', config: { routingKey: 'short' } }, 'body/config/routingKey'],
      [{ type: 'email', name: 'x', config: { to: [] } }, 'body/config/to'],
      [
        { type: 'email', name: 'x', config: { to: ['ok@example.test', 'not-an-address'] } },
        'body/config/to/1',
      ],
      [{ type: 'sms', name: 'x', config: {} }, 'body/type'],
      [{ type: 'webhook', name: '  ', config: { url: 'https://example.com/' } }, 'body/name'],
      [{ type: 'webhook', name: 'x', config: 'https://example.com/' }, 'body/config'],
      [{ type: 'webhook', name: 'x', config: { url: 'https://example.com/' }, secret: 'mine' }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await call(alice, 'POST', '/api/channels', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message, JSON.stringify(body)).toContain(field);
    }
    const malformed = await sendRawJson(app, 'POST', '/api/channels', alice, '{"type": "webhook",');
    expect(malformed.statusCode).toBe(400);
    const typeChange = await create(alice, {
      type: 'webhook',
      name: 'w',
      config: { url: 'https://example.com/' },
    });
    const res = await call(alice, 'PUT', `/api/channels/${typeChange.channel.id}`, { type: 'slack' });
    expect(res.statusCode).toBe(400);
  });

  it('answers 404 for unknown ids and other users’ channels and incidents, 400 for a malformed id', async () => {
    const own = await create(alice, {
      type: 'webhook',
      name: 'mine',
      config: { url: 'https://example.com/a' },
    });
    const unknown = '01900000-0000-7000-8000-000000000000';
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PUT', '', { name: 'stolen' }],
      ['DELETE', '', undefined],
      ['POST', '/test', undefined],
      ['GET', '/deliveries', undefined],
    ] as const) {
      for (const id of [unknown, own.channel.id]) {
        const res = await call(bob, method, `/api/channels/${id}${suffix}`, body);
        expect(res.statusCode, `${method} ${suffix}`).toBe(404);
      }
      expect((await call(bob, method, `/api/channels/not-a-uuid${suffix}`, body)).statusCode).toBe(400);
    }
    expect((await call(alice, 'GET', `/api/channels/${own.channel.id}`)).json().channel.name).toBe('mine');
    const badCursor = await call(alice, 'GET', `/api/channels/${own.channel.id}/deliveries?cursor=abc`);
    expect(badCursor.statusCode).toBe(400);
  });

  it('links channels to monitors: defaults on create, channelIds and reminders on create and edit', async () => {
    const carol = await signup(app);
    const fallback = await create(carol, {
      type: 'webhook',
      name: 'default',
      config: { url: 'https://example.com/d' },
      isDefault: true,
    });
    const other = await create(carol, {
      type: 'webhook',
      name: 'other',
      config: { url: 'https://example.com/o' },
    });
    const plain = await createMonitor(app, carol);
    expect(plain).toMatchObject({ channelIds: [fallback.channel.id], reminderIntervalMinutes: 0 });
    const chosen = await createMonitor(app, carol, {
      channelIds: [other.channel.id],
      reminderIntervalMinutes: 30,
    });
    expect(chosen).toMatchObject({ channelIds: [other.channel.id], reminderIntervalMinutes: 30 });
    const none = await createMonitor(app, carol, { channelIds: [] });
    expect(none.channelIds).toEqual([]);

    const edited = await call(carol, 'PUT', `/api/monitor/${chosen.id}`, {
      channelIds: [fallback.channel.id, other.channel.id],
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect([...edited.json().monitor.channelIds].sort()).toEqual(
      [fallback.channel.id, other.channel.id].sort(),
    );
    expect(edited.json().monitor.reminderIntervalMinutes).toBe(30);
    const renamed = await call(carol, 'PUT', `/api/monitor/${chosen.id}`, {
      name: 'renamed',
      reminderIntervalMinutes: 0,
    });
    expect(renamed.json().monitor).toMatchObject({ name: 'renamed', reminderIntervalMinutes: 0 });
    expect(renamed.json().monitor.channelIds).toHaveLength(2);
    expect((await call(carol, 'GET', `/api/monitor/${chosen.id}`)).json().monitor.channelIds).toHaveLength(2);

    // Someone else's channel, or none at all, is refused and changes nothing.
    const alices = await create(alice, {
      type: 'webhook',
      name: 'alice',
      config: { url: 'https://example.com/x' },
    });
    for (const ids of [[alices.channel.id], ['01900000-0000-7000-8000-000000000001']]) {
      const res = await call(carol, 'PUT', `/api/monitor/${chosen.id}`, { channelIds: ids });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('body/channelIds/0');
      const refused = await call(carol, 'POST', '/api/monitor', {
        url: 'https://example.com/',
        channelIds: ids,
      });
      expect(refused.statusCode).toBe(400);
    }
    expect((await call(carol, 'GET', `/api/monitor/${chosen.id}`)).json().monitor.channelIds).toHaveLength(2);
    for (const bad of [
      { reminderIntervalMinutes: -1 },
      { reminderIntervalMinutes: 1.5 },
      { channelIds: ['x'] },
      { channelIds: 'a' },
    ]) {
      expect(
        (await call(carol, 'PUT', `/api/monitor/${chosen.id}`, bad)).statusCode,
        JSON.stringify(bad),
      ).toBe(400);
    }
    // Deleting a channel unlinks it.
    expect((await call(carol, 'DELETE', `/api/channels/${other.channel.id}`)).statusCode).toBe(204);
    expect((await call(carol, 'GET', `/api/monitor/${chosen.id}`)).json().monitor.channelIds).toEqual([
      fallback.channel.id,
    ]);
  });

  it('sends a test message now and answers the delivery’s outcome, which the deliveries list keeps', async () => {
    sink.answer('/broken', { status: 500 });
    const good = await create(alice, {
      type: 'webhook',
      name: 'good',
      config: { url: `${sink.url}/tested` },
    });
    const bad = await create(alice, { type: 'slack', name: 'bad', config: { url: `${sink.url}/broken` } });
    const ok = await call(alice, 'POST', `/api/channels/${good.channel.id}/test`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      outcome: 'delivered',
      statusCode: 200,
      error: null,
      delivery: {
        eventType: 'test',
        status: 'delivered',
        attempts: 1,
        history: [{ outcome: 'delivered', statusCode: 200 }],
      },
    });
    const [hit] = sink.received.filter((r) => r.path === '/tested');
    expect(hit!.json).toMatchObject({
      type: 'test',
      monitor: null,
      channel: { id: good.channel.id, name: 'good' },
    });
    expect(hit!.headers['x-betteruptime-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const failed = await call(alice, 'POST', `/api/channels/${bad.channel.id}/test`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({
      outcome: 'failed',
      statusCode: 500,
      error: 'HTTP 500',
      delivery: { status: 'failed' },
    });

    const list = await call(alice, 'GET', `/api/channels/${good.channel.id}/deliveries?limit=1`);
    expect(list.statusCode).toBe(200);
    expect(list.json().deliveries).toHaveLength(1);
    expect(list.json().deliveries[0]).toMatchObject({ eventType: 'test', status: 'delivered' });
    const channels = (await call(alice, 'GET', '/api/channels')).json().channels as Array<
      Record<string, unknown>
    >;
    expect(channels.find((c) => c.id === bad.channel.id)!.lastOutcome).toMatchObject({
      outcome: 'failed',
      statusCode: 500,
    });
  });

  it('limits test sends to 20 a minute per client', async () => {
    const channel = await create(alice, {
      type: 'webhook',
      name: 'spam',
      config: { url: `${sink.url}/spam` },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 25 && !statuses.includes(429); i++) {
      statuses.push((await call(alice, 'POST', `/api/channels/${channel.channel.id}/test`)).statusCode);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(20);
    expect(sink.received.filter((r) => r.path === '/spam').length).toBe(
      statuses.filter((s) => s === 200).length,
    );
  });

  it('lists an incident’s deliveries', async () => {
    const channel = await create(alice, {
      type: 'webhook',
      name: 'incident hook',
      config: { url: `${sink.url}/inc` },
    });
    const monitor = await createMonitor(app, alice, { regions: ['usa'], channelIds: [channel.channel.id] });
    const slot = Date.now() + 5_000;
    await recordChecks(api.testDb.handle.db, [
      {
        monitorId: monitor.id,
        scheduledAt: new Date(slot),
        status: 'Down',
        statusCode: 503,
        reason: 'http_status',
      },
      {
        monitorId: monitor.id,
        scheduledAt: new Date(slot + 10_000),
        status: 'Down',
        statusCode: 503,
        reason: 'http_status',
      },
    ]);
    const incidentId = (await call(alice, 'GET', `/api/monitor/${monitor.id}`)).json().monitor
      .openIncidentId as string;
    expect(incidentId).toBeTruthy();
    const res = await call(alice, 'GET', `/api/incidents/${incidentId}/deliveries`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().deliveries).toMatchObject([
      {
        eventType: 'incident.opened',
        channelId: channel.channel.id,
        incidentId,
        status: 'pending',
        attempts: 0,
        history: [],
      },
    ]);
    expect((await call(bob, 'GET', `/api/incidents/${incidentId}/deliveries`)).statusCode).toBe(404);
  });

  it('stores what the API is given sealed: no secret of any write is in the row, and the test send still works', async () => {
    const dave = await signup(app);
    const made = await create(dave, {
      type: 'webhook',
      name: 'sealed',
      config: { url: `${sink.url}/sealed/path-secret-7q` },
    });
    const pager = await create(dave, { type: 'pagerduty', name: 'pd', config: { routingKey: ROUTING_KEY } });
    const newKey = 'N3WR0UT1NGKEY0123456789abcdefABC';
    // An edit giving a new secret, and one sending the masked value back.
    expect(
      (await call(dave, 'PUT', `/api/channels/${pager.channel.id}`, { config: { routingKey: newKey } }))
        .statusCode,
    ).toBe(200);
    const kept = await call(dave, 'PUT', `/api/channels/${made.channel.id}`, {
      name: 'sealed too',
      config: made.channel.config,
    });
    expect(kept.statusCode, kept.body).toBe(200);
    const rows = await queryRows<{ row: string }>(
      api.testDb.handle.db,
      sql`SELECT c::text AS row FROM channels c WHERE c.user_id = (SELECT user_id FROM channels WHERE id = ${made.channel.id})`,
    );
    expect(rows).toHaveLength(2);
    const stored = rows.map((r) => r.row).join('\n');
    for (const secret of ['path-secret-7q', made.secret, ROUTING_KEY, newKey, newKey.slice(-4)]) {
      expect(stored, secret).not.toContain(secret);
    }
    expect(stored).toContain('sealed too');
    // From an address of its own: the suite's earlier tests used up the test sends of the usual one.
    const test = await app.inject({
      method: 'POST',
      url: `/api/channels/${made.channel.id}/test`,
      headers: dave.bearer,
      remoteAddress: '192.0.2.77',
    });
    expect(test.json().outcome, test.body).toBe('delivered');
    const [got] = sink.received.filter((r) => r.path === '/sealed/path-secret-7q');
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got!.headers['x-betteruptime-signature']))!;
    expect(v1).toBe(createHmac('sha256', made.secret).update(`${t}.${got!.body}`).digest('hex'));
    expect((await call(dave, 'GET', `/api/channels/${pager.channel.id}`)).json().channel.config).toEqual({
      routingKey: `…${newKey.slice(-4)}`,
    });
  });

  it('checks an edit’s config against the channel’s own type, a masked secret accepted', async () => {
    const erin = await signup(app);
    const ntfy = await create(erin, {
      type: 'ntfy',
      name: 'n',
      config: { serverUrl: 'https://ntfy.example', topic: 'topic-one' },
    });
    for (const [config, field] of [
      [{ url: 'https://example.com/' }, 'body/config/url'],
      [{ topic: 'has space' }, 'body/config/topic'],
      [{ serverUrl: 'mailto:x@example.com' }, 'body/config/serverUrl'],
      [{ topic: 42 }, 'body/config/topic'],
    ] as const) {
      const res = await call(erin, 'PUT', `/api/channels/${ntfy.channel.id}`, { config });
      expect(res.statusCode, JSON.stringify(config)).toBe(400);
      expect(res.json().error.message, JSON.stringify(config)).toContain(field);
    }
    const res = await call(erin, 'PUT', `/api/channels/${ntfy.channel.id}`, {
      config: { serverUrl: 'https://ntfy.example/other/', topic: ntfy.channel.config.topic },
    });
    expect(res.statusCode, res.body).toBe(200);
    // The topic is short: its mask shows none of it.
    expect(res.json().channel.config).toEqual({ serverUrl: 'https://ntfy.example/other', topic: '…' });
    const same = await call(erin, 'PUT', `/api/channels/${ntfy.channel.id}`, {
      type: 'ntfy',
      config: { topic: 'topic-two' },
    });
    expect(same.statusCode, same.body).toBe(200);
    const other = await call(erin, 'PUT', `/api/channels/${ntfy.channel.id}`, {
      type: 'webhook',
      config: { url: 'https://example.com/' },
    });
    expect(other.statusCode).toBe(400);
    expect(other.json().error.message).toContain('body/type');
  });

  it('lists monitors with their channelIds and reminder interval, as the single-monitor answers give them', async () => {
    const frank = await signup(app);
    const a = await create(frank, { type: 'webhook', name: 'a', config: { url: 'https://example.com/a' } });
    const b = await create(frank, { type: 'email', name: 'b', config: { to: ['b@example.test'] } });
    const monitors = [
      await createMonitor(app, frank, {
        channelIds: [a.channel.id, b.channel.id],
        reminderIntervalMinutes: 15,
      }),
      await createMonitor(app, frank, { channelIds: [b.channel.id] }),
      await createMonitor(app, frank, { channelIds: [] }),
    ];
    const list = (await call(frank, 'GET', '/api/monitor')).json().monitors as Array<Record<string, unknown>>;
    expect(list).toHaveLength(3);
    for (const monitor of monitors) {
      const single = (await call(frank, 'GET', `/api/monitor/${monitor.id}`)).json().monitor;
      const listed = list.find((m) => m.id === monitor.id)!;
      expect([...(listed.channelIds as string[])].sort()).toEqual([...single.channelIds].sort());
      expect(listed.reminderIntervalMinutes).toBe(single.reminderIntervalMinutes);
    }
    expect(list.find((m) => m.id === monitors[0]!.id)).toMatchObject({ reminderIntervalMinutes: 15 });
  });

  it('describes each type’s config as its own schema under a type discriminator', async () => {
    const doc = inlinedDocument((await app.inject({ method: 'GET', url: '/api/openapi.json' })).json());
    const create = doc.paths['/api/channels'].post.requestBody.content['application/json'].schema;
    interface Variant {
      properties: {
        type: { const?: string; enum?: string[] };
        config: {
          required: string[];
          additionalProperties?: boolean;
          properties: Record<string, Record<string, unknown>>;
        };
      };
    }
    expect(create.oneOf).toBeDefined();
    const variants = create.oneOf as Variant[];
    expect(create.discriminator.propertyName).toBe('type');
    const byType = Object.fromEntries(
      variants.map((v) => [v.properties.type.const ?? v.properties.type.enum?.[0], v]),
    );
    expect(Object.keys(byType).sort()).toEqual([
      'discord',
      'email',
      'ntfy',
      'pagerduty',
      'slack',
      'teams',
      'telegram',
      'webhook',
    ]);
    expect(byType.telegram!.properties.config.required.sort()).toEqual(['botToken', 'chatId']);
    expect(byType.pagerduty!.properties.config.properties.routingKey.pattern).toBe('^[A-Za-z0-9]{32}$');
    expect(byType.email!.properties.config.properties.to).toMatchObject({
      type: 'array',
      minItems: 1,
      maxItems: 20,
    });
    expect(byType.ntfy!.properties.config.additionalProperties).toBe(false);
    const answer = doc.paths['/api/channels/{id}'].get.responses['200'].content['application/json'].schema;
    expect(JSON.stringify(answer)).toContain('telegram channel');
  });
});

describe.skipIf(!postgresAvailable())('channels when private targets are not allowed', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ env: { ALLOW_PRIVATE_TARGETS: 'false' } });
  });
  afterAll(async () => {
    await stopTestApi(api ?? {});
  });

  it('refuses webhook-type URLs that are or resolve to private addresses', async () => {
    const user = await signup(api.app);
    for (const [type, config, field] of [
      ['webhook', { url: 'http://127.0.0.1:9/hook' }, 'url'],
      ['slack', { url: 'http://localhost/hook' }, 'url'],
      ['discord', { url: 'http://[::1]/x' }, 'url'],
      ['teams', { url: 'http://10.1.2.3/x' }, 'url'],
      ['ntfy', { serverUrl: 'http://169.254.169.254', topic: 'meta' }, 'serverUrl'],
    ] as const) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/channels',
        headers: user.bearer,
        payload: { type, name: 'private', config },
      });
      expect(res.statusCode, `${type} ${JSON.stringify(config)}`).toBe(400);
      expect(res.json().error.message).toContain(`body/config/${field}`);
      expect(res.json().error.message).toContain('refused');
    }
    expect(
      (await api.app.inject({ method: 'GET', url: '/api/channels', headers: user.bearer })).json().channels,
    ).toEqual([]);
  });
});
