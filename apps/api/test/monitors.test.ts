import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitorRow, newId, queryRows } from '@better-uptime/db';
import { KIND_NAMES } from '@better-uptime/checker';
import { nextSlotAfter } from '@better-uptime/scheduler';
import { postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import { encodeCursor } from '../src/cursor.js';
import {
  createMonitor,
  insertChecks,
  NOT_FOUND_MONITOR,
  signup,
  startTestApi,
  stopTestApi,
  testServer,
  type TestServer,
  type TestUser,
} from './helpers.js';

describe.skipIf(!postgresAvailable())('monitor API (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;
  /** The server's clock, pinned so schedule arithmetic can be checked exactly. */
  let clock = Date.UTC(2030, 0, 15, 12, 0, 0, 123);

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi({ now: () => clock }));
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const countMonitors = async (userId: string) =>
    (
      await queryRows<{ n: number }>(
        testDb.handle.db,
        sql`SELECT count(*)::int AS n FROM monitors WHERE user_id = ${userId}`,
      )
    )[0]!.n;

  describe('create', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await signup(app);
    });

    it('applies the defaults, names the monitor after the host, and schedules its first slot', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/monitor',
        headers: user.bearer,
        payload: { url: 'https://Example.com:8443/status?x=1' },
      });
      expect(res.statusCode).toBe(201);
      const { monitor } = res.json();
      expect(monitor).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
        name: 'example.com:8443',
        kind: 'http',
        target: 'https://example.com:8443/status?x=1',
        url: 'https://example.com:8443/status?x=1',
        intervalSeconds: 180,
        timeoutMs: 30000,
        method: 'GET',
        headers: {},
        secretHeaders: [],
        body: null,
        auth: null,
        ignoreTlsErrors: false,
        caCert: null,
        expectedStatus: ['200-299'],
        keyword: null,
        keywordMode: 'present',
        regex: null,
        assertions: [],
        followRedirects: true,
        maxRedirects: 5,
        degradedAboveMs: null,
        regions: [],
        paused: false,
        publicBadges: false,
        tags: [],
        failureThreshold: 2,
        recoveryThreshold: 2,
        regionQuorum: null,
        retryIntervalSeconds: 10,
        channelIds: [],
        reminderIntervalMinutes: 0,
        state: 'pending',
        stateSince: monitor.createdAt,
        openIncidentId: null,
        openIncident: null,
        nextCheckAt: new Date(nextSlotAfter(monitor.id, 180, clock)).toISOString(),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(Date.parse(monitor.nextCheckAt)).toBeGreaterThan(clock);
      expect(Date.parse(monitor.nextCheckAt)).toBeLessThanOrEqual(clock + 180_000);
      const got = await app.inject({
        method: 'GET',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(got.json()).toEqual({ monitor });
    });

    it('stores every field given', async () => {
      const body = {
        name: 'Shop',
        url: 'http://127.0.0.1:8080/ping',
        intervalSeconds: 30,
        timeoutMs: 1000,
        method: 'HEAD',
        expectedStatus: ['200-299', '304', '401-403'],
        keyword: 'All good',
        keywordMode: 'absent',
        followRedirects: false,
        regions: ['india'],
        paused: true,
      };
      const monitor = await createMonitor(app, user, body);
      expect(monitor).toMatchObject(body);
      expect(monitor.nextCheckAt).toBe(new Date(nextSlotAfter(monitor.id, 30, clock)).toISOString());
    });

    it.each([
      'http://[::1]:3000/',
      'https://192.0.2.10/',
      'https://bücher.example/',
      'https://a-b.c-d.example.co.uk/path',
      'http://localhost:3000',
    ])('accepts %s', async (url) => {
      const monitor = await createMonitor(app, user, { url });
      expect(monitor.url).toBe(new URL(url).href);
    });

    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ['no url', { url: undefined }, 'body/url is required'],
      ['a url of the wrong type', { url: 42 }, 'body/url must be a string'],
      ['an empty url', { url: '' }, 'body/url must not be empty'],
      ['a javascript: url', { url: 'javascript:alert(1)' }, 'body/url must use http or https'],
      ['an ftp url', { url: 'ftp://example.com/file' }, 'body/url must use http or https'],
      ['a file url', { url: 'file:///etc/passwd' }, 'body/url must use http or https'],
      ['a relative url', { url: 'example.com/path' }, 'body/url must be an absolute http or https URL'],
      ['credentials', { url: 'https://user:pass@example.com/' }, 'body/url must not contain credentials'],
      ['a user name', { url: 'https://user@example.com/' }, 'body/url must not contain credentials'],
      ['a space', { url: 'https://exa mple.com/' }, 'body/url must not contain spaces'],
      ['a leading space', { url: ' https://example.com/' }, 'body/url must not contain spaces'],
      ['a newline', { url: 'https://example.com/\n' }, 'body/url must not contain spaces'],
      ['an empty host', { url: 'http://' }, 'body/url must be an absolute http or https URL'],
      ['an underscore host', { url: 'https://exa_mple.com/' }, 'body/url must have a valid host'],
      ['a hyphen-edged label', { url: 'https://-bad-.example.com/' }, 'body/url must have a valid host'],
      ['an empty label', { url: 'https://a..example.com/' }, 'body/url must have a valid host'],
      ['a 64-character label', { url: `https://${'a'.repeat(64)}.com/` }, 'body/url must have a valid host'],
      ['a bad IPv4 literal', { url: 'http://1.2.3.999/' }, 'body/url must be an absolute http or https URL'],
      ['a bang in the host', { url: 'https://exa!mple.com/' }, 'body/url must have a valid host'],
      [
        'over 2048 characters',
        { url: `https://example.com/${'a'.repeat(2030)}` },
        'body/url must be at most 2048',
      ],
      ['a blank name', { name: '  ' }, 'body/name must not be blank'],
      ['an empty name', { name: '' }, 'body/name must not be empty'],
      ['a long name', { name: 'n'.repeat(201) }, 'body/name must be at most 200 characters'],
      ['a numeric name', { name: 5 }, 'body/name must be a string'],
      ['interval < 10', { intervalSeconds: 9 }, 'body/intervalSeconds must be at least 10'],
      ['interval > 1 day', { intervalSeconds: 86_401 }, 'body/intervalSeconds must be at most 86400'],
      ['a fractional interval', { intervalSeconds: 60.5 }, 'body/intervalSeconds must be an integer'],
      ['an interval as text', { intervalSeconds: '60' }, 'body/intervalSeconds must be an integer'],
      ['a null interval', { intervalSeconds: null }, 'body/intervalSeconds must be an integer'],
      ['timeout < 1 s', { timeoutMs: 999 }, 'body/timeoutMs must be at least 1000'],
      ['timeout > 60 s', { timeoutMs: 60_001 }, 'body/timeoutMs must be at most 60000'],
      [
        'method BREW',
        { method: 'BREW' },
        'body/method must be one of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
      ],
      ['no expected status', { expectedStatus: [] }, 'body/expectedStatus must have at least 1 item'],
      [
        '21 expected statuses',
        { expectedStatus: Array.from({ length: 21 }, (_, i) => String(200 + i)) },
        'body/expectedStatus must have at most 20 items',
      ],
      ['status 99', { expectedStatus: ['99'] }, 'body/expectedStatus/0 must be a status code or range'],
      [
        'status 600',
        { expectedStatus: ['200', '600'] },
        'body/expectedStatus/1 must be a status code or range',
      ],
      [
        'an inverted range',
        { expectedStatus: ['299-200'] },
        'body/expectedStatus/0 must be a range whose first',
      ],
      ['a word', { expectedStatus: ['ok'] }, 'body/expectedStatus/0 must be a status code or range'],
      ['a numeric status', { expectedStatus: [200] }, 'body/expectedStatus/0 must be a string'],
      [
        'duplicate statuses',
        { expectedStatus: ['200', '200'] },
        'body/expectedStatus must not contain duplicates',
      ],
      ['a status string', { expectedStatus: '200' }, 'body/expectedStatus must be an array'],
      ['an empty keyword', { keyword: '' }, 'body/keyword must not be empty'],
      ['a long keyword', { keyword: 'k'.repeat(501) }, 'body/keyword must be at most 500 characters'],
      ['a numeric keyword', { keyword: 5 }, 'body/keyword must be a string or null'],
      ['a bad keyword mode', { keywordMode: 'maybe' }, 'body/keywordMode must be one of: present, absent'],
      ['followRedirects as text', { followRedirects: 'yes' }, 'body/followRedirects must be a boolean'],
      ['an unknown region', { regions: ['mars'] }, 'body/regions/0 must be one of: usa, india'],
      ['duplicate regions', { regions: ['usa', 'usa'] }, 'body/regions must not contain duplicates'],
      ['regions as text', { regions: 'usa' }, 'body/regions must be an array'],
      ['paused as text', { paused: 'false' }, 'body/paused must be a boolean'],
      ['an unknown kind', { kind: 'ftp' }, `body/kind must be one of: ${KIND_NAMES.join(', ')}`],
      ['a numeric kind', { kind: 5 }, `body/kind must be one of: ${KIND_NAMES.join(', ')}`],
      ['a null kind', { kind: null }, `body/kind must be one of: ${KIND_NAMES.join(', ')}`],
      ['a class 6xx', { expectedStatus: ['6xx'] }, 'body/expectedStatus/0 must be a status code or range'],
      [
        'an unknown field',
        { userId: '0190a000-0000-7000-8000-000000000000' },
        'body/userId is not an allowed',
      ],
    ];

    it.each(invalid)('rejects %s with 400 and creates nothing', async (_, fields, message) => {
      const before = await countMonitors(user.id);
      const res = await app.inject({
        method: 'POST',
        url: '/api/monitor',
        headers: user.bearer,
        payload: { url: 'https://example.com/', ...fields },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_error');
      expect(res.json().error.message).toContain(message);
      expect(await countMonitors(user.id)).toBe(before);
    });

    it('rejects a body that is not an object', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/monitor',
        headers: user.bearer,
        payload: [],
      });
      expect(res.json()).toMatchObject({
        error: { code: 'validation_error', message: 'body must be an object' },
      });
    });

    it('needs authentication', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/monitor',
        payload: { url: 'https://example.com' },
      });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('kinds', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await signup(app);
    });
    const post = (payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/api/monitor', headers: user.bearer, payload });
    const put = (id: string, payload: Record<string, unknown>) =>
      app.inject({ method: 'PUT', url: `/api/monitor/${id}`, headers: user.bearer, payload });

    it('creates a tcp monitor with its defaults, named after its target, and lists it with its settings', async () => {
      const res = await post({ kind: 'tcp', host: 'db.example.com', port: 5432 });
      expect(res.statusCode).toBe(201);
      const { monitor } = res.json();
      expect(monitor).toMatchObject({
        kind: 'tcp',
        name: 'db.example.com:5432',
        target: 'db.example.com:5432',
        host: 'db.example.com',
        port: 5432,
        tls: false,
        send: null,
        expect: null,
      });
      expect(monitor).not.toHaveProperty('url');
      const list = await app.inject({ method: 'GET', url: '/api/monitor', headers: user.bearer });
      // Lists leave out only what the single-monitor answers add: the open incident itself.
      expect(list.json().monitors.find((m: { id: string }) => m.id === monitor.id)).toEqual(
        withoutIncident(monitor),
      );
    });

    function withoutIncident(monitor: Record<string, unknown>) {
      const { openIncident: _, ...rest } = monitor;
      return rest;
    }

    it.each([
      ['no port', { kind: 'tcp', host: 'a.example' }, 'body/port is required'],
      ['port 0', { kind: 'tcp', host: 'a.example', port: 0 }, 'body/port must be at least 1'],
      ['port 65536', { kind: 'tcp', host: 'a.example', port: 65_536 }, 'body/port must be at most 65535'],
      ['a port as text', { kind: 'tcp', host: 'a.example', port: '80' }, 'body/port must be an integer'],
      ['a host with a path', { kind: 'tcp', host: 'a.example/x', port: 1 }, 'body/host must be a host name'],
      [
        'a host with a bad label',
        { kind: 'tcp', host: '-a.example', port: 1 },
        'body/host must be a valid host',
      ],
      [
        'an http field on tcp',
        { kind: 'tcp', host: 'a.example', port: 1, url: 'https://a/' },
        'body/url is not an allowed property',
      ],
      ['tls as text', { kind: 'tcp', host: 'a.example', port: 1, tls: 'yes' }, 'body/tls must be a boolean'],
      [
        'a bad record type',
        { kind: 'dns', hostname: 'a.example', recordType: 'PTR' },
        'body/recordType must be one of: A, AAAA',
      ],
      [
        'a resolver name',
        { kind: 'dns', hostname: 'a.example', resolver: 'dns.example:53' },
        'body/resolver must be an IP address',
      ],
      [
        'a resolver port out of range',
        { kind: 'dns', hostname: 'a.example', resolver: '192.0.2.1:65536' },
        'body/resolver must be an IP address',
      ],
      [
        'a bad match',
        { kind: 'dns', hostname: 'a.example', match: 'most' },
        'body/match must be one of: any, all',
      ],
      [
        'a dns name with a space',
        { kind: 'dns', hostname: 'a b.example' },
        'body/hostname must be a valid host',
      ],
      [
        'minDaysValid 400',
        { kind: 'tls', host: 'a.example', minDaysValid: 400 },
        'body/minDaysValid must be at most 365',
      ],
      ['a tls port 0', { kind: 'tls', host: 'a.example', port: 0 }, 'body/port must be at least 1'],
    ])('rejects %s with 400 naming the field', async (_, payload, message) => {
      const before = await countMonitors(user.id);
      const res = await post(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(message);
      expect(await countMonitors(user.id)).toBe(before);
    });

    it('updates a kind’s settings without naming the kind, and changes kind with the new kind’s settings', async () => {
      const { monitor } = (await post({ kind: 'tcp', host: 'a.example', port: 22, name: 'ssh' })).json();
      const moved = await put(monitor.id, { port: 2222, expect: 'SSH-' });
      expect(moved.statusCode).toBe(200);
      expect(moved.json().monitor).toMatchObject({
        kind: 'tcp',
        host: 'a.example',
        port: 2222,
        expect: 'SSH-',
        target: 'a.example:2222',
      });
      const bad = await put(monitor.id, { port: 70_000 });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toBe('body/port must be at most 65535');
      const wrongKindField = await put(monitor.id, { url: 'https://example.com/' });
      expect(wrongKindField.json().error.message).toBe('body/url is not an allowed property');
      const noUrl = await put(monitor.id, { kind: 'http' });
      expect(noUrl.statusCode).toBe(400);
      expect(noUrl.json().error.message).toBe('body/url is required');
      const http = await put(monitor.id, { kind: 'http', url: 'https://example.com/' });
      expect(http.statusCode).toBe(200);
      expect(http.json().monitor).toMatchObject({
        kind: 'http',
        name: 'ssh',
        url: 'https://example.com/',
        method: 'GET',
      });
      expect(http.json().monitor).not.toHaveProperty('port');
    });

    it.each([
      ['a regex that does not parse', { regex: '(' }, 'body/regex must be a valid regular expression'],
      ['a catastrophic regex', { regex: '(a+)+$' }, 'body/regex could backtrack catastrophically'],
      [
        'a JSON path without $',
        { assertions: [{ path: 'status', op: 'equals', value: 1 }] },
        'body/assertions/0/path must be a JSON path',
      ],
      [
        'a JSON path that does not parse',
        { assertions: [{ path: '$..x[', op: 'equals', value: 1 }] },
        'body/assertions/0/path must be a JSON path',
      ],
      [
        'an unknown operator',
        { assertions: [{ path: '$.a', op: 'like', value: 1 }] },
        'body/assertions/0/op must be one of: equals',
      ],
      [
        'lessThan a string',
        { assertions: [{ path: '$.a', op: 'lessThan', value: '3' }] },
        'body/assertions/0/value must be a number for lessThan',
      ],
      [
        'a CA that is not a certificate',
        { caCert: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----' },
        'body/caCert must be a certificate in PEM form',
      ],
      [
        'a header name with a space',
        { headers: { 'X Bad': '1' } },
        'body/headers/X Bad is not a valid header name',
      ],
      [
        'a header value with a line break',
        { headers: { 'X-Ok': 'a\r\nInjected: 1' } },
        'body/headers/X-Ok must not contain line breaks',
      ],
      ['a Host header', { headers: { host: 'evil.example' } }, 'body/headers/host is set by the checker'],
      [
        'Authorization beside auth',
        { headers: { Authorization: 'x' }, auth: { type: 'bearer', token: 't' } },
        'body/headers/Authorization cannot be given beside auth',
      ],
      [
        'a secret header that is not a header',
        { secretHeaders: ['X-Key'] },
        'body/secretHeaders/0 must name one of the headers',
      ],
      ['an unknown auth type', { auth: { type: 'digest', token: 't' } }, 'body/auth'],
      ['maxRedirects 11', { maxRedirects: 11 }, 'body/maxRedirects must be at most 10'],
      ['degradedAboveMs 0', { degradedAboveMs: 0 }, 'body/degradedAboveMs must be at least 1'],
    ])('rejects an http monitor with %s, naming the field', async (_, fields, message) => {
      const before = await countMonitors(user.id);
      const res = await post({ url: 'https://example.com/', ...fields });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(message);
      expect(await countMonitors(user.id)).toBe(before);
    });

    it('masks secrets in answers and keeps them when an update leaves them out or sends them masked', async () => {
      const res = await post({
        url: 'https://example.com/api',
        method: 'POST',
        body: '{"ping":true}',
        headers: { 'X-Api-Key': 'key-123', 'X-Trace': 'visible' },
        secretHeaders: ['x-api-key'],
        auth: { type: 'basic', username: 'ada', password: 'pa55' },
        assertions: [{ path: '$.status', op: 'equals', value: 'ok' }],
        degradedAboveMs: 800,
      });
      expect(res.statusCode).toBe(201);
      const { monitor } = res.json();
      expect(monitor).toMatchObject({
        headers: { 'X-Api-Key': '********', 'X-Trace': 'visible' },
        auth: { type: 'basic', username: 'ada', password: '********' },
      });
      expect(res.body).not.toContain('pa55');
      expect(res.body).not.toContain('key-123');
      const stored = async () =>
        (
          await queryRows<{ settings: Record<string, unknown> }>(
            testDb.handle.db,
            sql`SELECT settings FROM monitors WHERE id = ${monitor.id}`,
          )
        )[0]!.settings;
      // The client saves what it was shown, and a new username without the password.
      const saved = await put(monitor.id, {
        headers: monitor.headers,
        auth: { type: 'basic', username: 'grace' },
      });
      expect(saved.statusCode).toBe(200);
      expect(await stored()).toMatchObject({
        headers: { 'X-Api-Key': 'key-123', 'X-Trace': 'visible' },
        auth: { type: 'basic', username: 'grace', password: 'pa55' },
      });
      // A new value replaces it; a bearer token is not filled from a basic password.
      await put(monitor.id, { auth: { type: 'bearer', token: 'tok-9' } });
      expect((await stored()).auth).toEqual({ type: 'bearer', token: 'tok-9' });
      const missing = await put(monitor.id, { auth: { type: 'basic', username: 'x' } });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.message).toContain('body/auth');
    });

    it('describes each kind under a kind discriminator in the OpenAPI document', async () => {
      const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      const body = doc.paths['/api/monitor'].post.requestBody.content['application/json'].schema;
      expect(body.discriminator.propertyName).toBe('kind');
      // Each variant is a named schema in components.schemas.
      const variants = body.anyOf.map(
        (variant: { $ref: string }) =>
          doc.components.schemas[variant.$ref.replace('#/components/schemas/', '')],
      );
      const titles = variants.map((variant: { title: string }) => variant.title);
      expect(titles).toEqual(KIND_NAMES.map((kind) => `New ${kind} monitor`));
      expect(body.discriminator.mapping.tcp).toBe('#/components/schemas/NewTcpMonitor');
      const tcp = variants[titles.indexOf('New tcp monitor')];
      expect(tcp.required).toEqual(expect.arrayContaining(['kind', 'host', 'port']));
      expect(tcp.properties.port).toMatchObject({ minimum: 1, maximum: 65535 });
    });
  });

  describe('read, update, delete', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await signup(app);
    });

    it('GET answers 404 for a missing id and 400 for a malformed one', async () => {
      const missing = await app.inject({
        method: 'GET',
        url: `/api/monitor/${newId()}`,
        headers: user.bearer,
      });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual(NOT_FOUND_MONITOR);
      for (const bad of ['abc', '123', `${newId()}x`, "1' OR '1'='1"]) {
        const res = await app.inject({
          method: 'GET',
          url: `/api/monitor/${encodeURIComponent(bad)}`,
          headers: user.bearer,
        });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({
          error: { code: 'validation_error', message: 'params/id must be a UUID' },
        });
      }
    });

    it('PUT changes only the fields given', async () => {
      const monitor = await createMonitor(app, user, { name: 'Before', keyword: 'ok' });
      const res = await app.inject({
        method: 'PUT',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
        payload: { url: 'HTTPS://Other.example/x', keyword: null, expectedStatus: ['204'] },
      });
      expect(res.statusCode).toBe(200);
      const updated = res.json().monitor;
      expect(updated).toEqual({
        ...monitor,
        url: 'https://other.example/x',
        target: 'https://other.example/x',
        keyword: null,
        expectedStatus: ['204'],
        updatedAt: expect.any(String),
      });
      expect(updated.name).toBe('Before'); // the name is not re-derived from the new URL
      expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(monitor.updatedAt as string));
      const got = await app.inject({
        method: 'GET',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(got.json().monitor).toEqual(updated);
    });

    it('PUT reschedules when the interval changes, and when a paused monitor is unpaused', async () => {
      const monitor = await createMonitor(app, user, { intervalSeconds: 60 });
      clock += 3_600_000;
      const put = (payload: Record<string, unknown>) =>
        app.inject({ method: 'PUT', url: `/api/monitor/${monitor.id}`, headers: user.bearer, payload });

      // Same interval, other changes: the schedule stays.
      let res = await put({ intervalSeconds: 60, name: 'Renamed' });
      expect(res.json().monitor.nextCheckAt).toBe(monitor.nextCheckAt);

      res = await put({ intervalSeconds: 300 });
      expect(res.json().monitor.nextCheckAt).toBe(
        new Date(nextSlotAfter(monitor.id, 300, clock)).toISOString(),
      );

      // Pausing keeps the schedule; unpausing later starts again from the clock of that moment.
      res = await put({ paused: true });
      const pausedAt = res.json().monitor.nextCheckAt;
      expect(pausedAt).toBe(new Date(nextSlotAfter(monitor.id, 300, clock)).toISOString());
      clock += 86_400_000;
      res = await put({ paused: true, name: 'still paused' });
      expect(res.json().monitor.nextCheckAt).toBe(pausedAt);
      res = await put({ paused: false });
      expect(res.json().monitor.paused).toBe(false);
      expect(res.json().monitor.nextCheckAt).toBe(
        new Date(nextSlotAfter(monitor.id, 300, clock)).toISOString(),
      );
      // Already running: "unpausing" again changes nothing.
      clock += 1_000_000;
      res = await put({ paused: false });
      expect(res.json().monitor.nextCheckAt).toBe(
        new Date(nextSlotAfter(monitor.id, 300, clock - 1_000_000)).toISOString(),
      );
    });

    it.each([
      [{}, 'body must have at least 1 property'],
      [{ intervalSeconds: 9 }, 'body/intervalSeconds must be at least 10'],
      [{ url: 'ftp://example.com' }, 'body/url must use http or https'],
      [{ url: 'https://u:p@example.com' }, 'body/url must not contain credentials'],
      [{ name: null }, 'body/name must be a string'],
      [{ regions: ['usa', 'nowhere'] }, 'body/regions/1 must be one of: usa, india'],
      [{ expectedStatus: ['500-400'] }, 'body/expectedStatus/0 must be a range whose first'],
      [{ id: newId() }, 'body/id is not an allowed property'],
      [{ nextCheckAt: '2030-01-01T00:00:00Z' }, 'body/nextCheckAt is not an allowed property'],
      // Without a kind the settings are checked against the stored kind's schema.
      [{ urll: 'https://example.com/' }, 'body/urll is not an allowed property'],
      [{ method: 'BREW' }, 'body/method must be one of: GET, HEAD, POST'],
      [{ keyword: 7 }, 'body/keyword must be a string or null'],
      [{ kind: 'ftp' }, `body/kind must be one of: ${KIND_NAMES.join(', ')}`],
      [{ kind: 'http', url: 'gopher://x' }, 'body/url must use http or https'],
    ])('PUT rejects %j with 400 and changes nothing', async (payload, message) => {
      const monitor = await createMonitor(app, user);
      const res = await app.inject({
        method: 'PUT',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(message);
      const got = await app.inject({
        method: 'GET',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(got.json().monitor).toEqual(monitor);
    });

    it('PUT and DELETE answer 404 for a missing id', async () => {
      const id = newId();
      const put = await app.inject({
        method: 'PUT',
        url: `/api/monitor/${id}`,
        headers: user.bearer,
        payload: { paused: true },
      });
      expect(put.statusCode).toBe(404);
      expect(put.json()).toEqual(NOT_FOUND_MONITOR);
      const del = await app.inject({ method: 'DELETE', url: `/api/monitor/${id}`, headers: user.bearer });
      expect(del.json()).toEqual(NOT_FOUND_MONITOR);
    });

    it('DELETE removes the monitor and its results', async () => {
      const monitor = await createMonitor(app, user);
      await insertChecks(testDb.handle.db, [{ monitorId: monitor.id, scheduledAt: new Date() }]);
      const res = await app.inject({
        method: 'DELETE',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      const got = await app.inject({
        method: 'GET',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(got.statusCode).toBe(404);
      const again = await app.inject({
        method: 'DELETE',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
      });
      expect(again.statusCode).toBe(404);
      const [left] = await queryRows<{ n: number }>(
        testDb.handle.db,
        sql`SELECT count(*)::int AS n FROM check_results WHERE monitor_id = ${monitor.id}`,
      );
      expect(left!.n).toBe(0);
    });
  });

  describe('list and pagination', () => {
    let user: TestUser;
    let ids: string[];
    beforeAll(async () => {
      user = await signup(app);
      ids = [];
      for (let i = 0; i < 25; i++) ids.push((await createMonitor(app, user, { name: `m${i}` })).id);
    });
    const list = (query: string) =>
      app.inject({ method: 'GET', url: `/api/monitor${query}`, headers: user.bearer });

    it('lists newest first, with nextCursor null when everything fits', async () => {
      const res = await list('');
      expect(res.statusCode).toBe(200);
      expect(res.json().monitors.map((m: { id: string }) => m.id)).toEqual([...ids].reverse());
      expect(res.json().nextCursor).toBeNull();
    });

    it('pages through everything without duplicates or gaps', async () => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await list(`?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode).toBe(200);
        const page = res.json().monitors.map((m: { id: string }) => m.id);
        sizes.push(page.length);
        seen.push(...page);
        cursor = res.json().nextCursor;
      } while (cursor);
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen).toEqual([...ids].reverse());
    });

    it('an exact multiple of the page size ends with a full page and no cursor', async () => {
      const first = await list('?limit=5');
      let cursor = first.json().nextCursor;
      let pages = 1;
      while (cursor) {
        const res = await list(`?limit=5&cursor=${cursor}`);
        expect(res.json().monitors).toHaveLength(5);
        cursor = res.json().nextCursor;
        pages++;
      }
      expect(pages).toBe(5);
      expect((await list('?limit=1000')).json().monitors).toHaveLength(25);
    });

    it.each([
      ['?limit=0', 'querystring/limit must be at least 1'],
      ['?limit=1001', 'querystring/limit must be at most 1000'],
      ['?limit=abc', 'querystring/limit must be an integer'],
      ['?limit=2.5', 'querystring/limit must be an integer'],
      ['?limit=1e3', 'querystring/limit must be an integer'],
      ['?limit=10&limit=20', 'querystring/limit must be an integer'],
      ['?cursor=', 'querystring/cursor must not be empty'],
      ['?cursor=not+base64!', 'querystring/cursor is not a valid cursor'],
      ['?cursor=Zm9v', 'querystring/cursor is not a valid cursor'],
      [`?cursor=${encodeCursor({ id: 'not-a-uuid' })}`, 'querystring/cursor is not a valid cursor'],
      [
        `?cursor=${encodeCursor({ t: '2030-01-01T00:00:00Z', r: 'usa' })}`,
        'querystring/cursor is not a valid cursor',
      ],
      ['?sort=asc', 'querystring/sort is not an allowed property'],
    ])('%s -> 400', async (query, message) => {
      const res = await list(query);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'validation_error', message } });
    });
  });

  describe('tenant isolation', () => {
    it("another user's monitor answers exactly like a missing one, and stays unchanged", async () => {
      const alice = await signup(app);
      const bob = await signup(app);
      const monitor = await createMonitor(app, alice, { name: "Alice's" });
      const missing = newId();
      const attempts = [
        { method: 'GET' as const, payload: undefined },
        { method: 'PUT' as const, payload: { name: 'pwned', paused: true } },
        { method: 'DELETE' as const, payload: undefined },
      ];
      for (const { method, payload } of attempts) {
        const theirs = await app.inject({
          method,
          url: `/api/monitor/${monitor.id}`,
          headers: bob.bearer,
          payload,
        });
        const none = await app.inject({
          method,
          url: `/api/monitor/${missing}`,
          headers: bob.bearer,
          payload,
        });
        expect(theirs.statusCode).toBe(404);
        expect(theirs.body).toBe(none.body);
        expect(theirs.headers['content-type']).toBe(none.headers['content-type']);
      }
      const list = await app.inject({ method: 'GET', url: '/api/monitor', headers: bob.bearer });
      expect(list.json().monitors).toEqual([]);
      const got = await app.inject({
        method: 'GET',
        url: `/api/monitor/${monitor.id}`,
        headers: alice.bearer,
      });
      expect(got.json().monitor).toEqual(monitor);
    });
  });

  describe('scheduling hook', () => {
    it('is told of creates and of updates that change what is checked, not deletes; its failure is logged and does not fail the request', async () => {
      const calls: Array<[string, MonitorRow]> = [];
      const warnings: string[] = [];
      const { pino } = await import('pino');
      const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
      let fail = false;
      const hooked = testServer(testDb.handle.db, {
        logger,
        monitorEvents: {
          created: async (m) => {
            calls.push(['created', m]);
            if (fail) throw new Error('redis is down');
          },
          updated: async (m) => {
            calls.push(['updated', m]);
            if (fail) throw new Error('redis is down');
          },
        },
      });
      const user = await signup(hooked);
      const monitor = await createMonitor(hooked, user);
      // Saving a form over and over sends the target nothing: a rename, a new interval or new thresholds
      // wait for the next slot.
      for (const payload of [
        { name: 'renamed' },
        { name: 'renamed again' },
        { intervalSeconds: 600 },
        { failureThreshold: 3 },
      ]) {
        await hooked.inject({
          method: 'PUT',
          url: `/api/monitor/${monitor.id}`,
          headers: user.bearer,
          payload,
        });
      }
      await hooked.inject({
        method: 'PUT',
        url: `/api/monitor/${monitor.id}`,
        headers: user.bearer,
        payload: { url: 'https://example.com/elsewhere' },
      });
      await hooked.inject({ method: 'DELETE', url: `/api/monitor/${monitor.id}`, headers: user.bearer });
      expect(calls.map(([kind, m]) => [kind, m.id])).toEqual([
        ['created', monitor.id],
        ['updated', monitor.id],
      ]);
      expect(calls[1]![1].settings.url).toBe('https://example.com/elsewhere');
      expect(calls[1]![1].intervalSeconds).toBe(600);
      expect(calls[0]![1].userId).toBe(user.id);

      fail = true;
      const res = await hooked.inject({
        method: 'POST',
        url: '/api/monitor',
        headers: user.bearer,
        payload: { url: 'https://example.com/' },
      });
      expect(res.statusCode).toBe(201);
      const put = await hooked.inject({
        method: 'PUT',
        url: `/api/monitor/${res.json().monitor.id}`,
        headers: user.bearer,
        payload: { url: 'https://example.com/moved' },
      });
      expect(put.statusCode).toBe(200);
      expect(warnings.join('')).toContain('monitor created hook failed');
      expect(warnings.join('')).toContain('monitor updated hook failed');
      await hooked.close();
    });
  });
});
