import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@better-uptime/db';
import { postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import {
  createMonitor,
  recordChecks,
  signup,
  startTestApi,
  stopTestApi,
  type TestServer,
  type TestUser,
} from './helpers.js';
import { sendRawJson } from './bad-input.js';

/** Every key and every string value of a JSON document, at any depth. */
function walk(
  value: unknown,
  keys: string[] = [],
  strings: string[] = [],
): { keys: string[]; strings: string[] } {
  if (typeof value === 'string') strings.push(value);
  else if (Array.isArray(value)) for (const item of value) walk(item, keys, strings);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      keys.push(key);
      walk(item, keys, strings);
    }
  }
  return { keys, strings };
}

describe.skipIf(!postgresAvailable())('status pages (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;
  let owner: TestUser;
  let stranger: TestUser;
  let api: { id: string; url: string };
  let web: { id: string };
  let foreign: { id: string };

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi());
    [owner, stranger] = [await signup(app), await signup(app)];
    api = (await createMonitor(app, owner, {
      url: 'https://secret-internal.example.com/health?token=abc',
      name: 'private name',
      keyword: 'secret-keyword',
      regions: ['usa'],
    })) as { id: string; url: string };
    web = await createMonitor(app, owner, { regions: ['usa'] });
    foreign = await createMonitor(app, stranger, { regions: ['usa'] });
    // Checks after the monitors exist (earlier slots no longer change a monitor's state), a few ms apart.
    const start = Date.now() + 1;
    const at = (i: number) => new Date(start + i);
    // The API monitor: up three times, then two failures in a row (an incident opens); the website: up.
    await recordChecks(testDb.handle.db, [
      ...[0, 1, 2].map((i) => ({ monitorId: api.id, scheduledAt: at(i) })),
      ...[3, 4].map((i) => ({
        monitorId: api.id,
        scheduledAt: at(i),
        status: 'Down' as const,
        statusCode: 503,
        reason: 'http_status',
        updates: [],
      })),
      ...[0, 1, 2].map((i) => ({ monitorId: web.id, scheduledAt: at(i) })),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const send = (
    method: 'POST' | 'PUT' | 'GET' | 'DELETE',
    url: string,
    who: TestUser | null,
    payload?: unknown,
  ) =>
    app.inject({
      method,
      url,
      headers: who ? who.bearer : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const page = (overrides: Record<string, unknown> = {}) => ({
    slug: 'acme',
    title: 'Acme <Status> & co',
    description: 'Our services',
    sections: [
      {
        name: 'Backend',
        monitors: [
          { monitorId: api.id, displayName: 'Public API' },
          { monitorId: web.id, displayName: 'Website' },
        ],
      },
    ],
    customDomain: 'Status.Acme.test',
    ...overrides,
  });

  it('is created, read, listed, replaced and deleted by its owner only', async () => {
    const created = await send(
      'POST',
      '/api/status-pages',
      owner,
      page({ slug: 'crud', customDomain: null }),
    );
    expect(created.statusCode).toBe(201);
    const { statusPage } = created.json();
    expect(statusPage).toMatchObject({
      slug: 'crud',
      published: true,
      show: { uptimeBars: true, uptimePercent: true, incidents: true, maintenance: true },
    });
    expect((await send('GET', `/api/status-pages/${statusPage.id}`, owner)).json().statusPage.title).toBe(
      'Acme <Status> & co',
    );
    expect(
      (await send('GET', '/api/status-pages', owner)).json().statusPages.map((p: { id: string }) => p.id),
    ).toContain(statusPage.id);
    for (const method of ['GET', 'DELETE'] as const) {
      expect((await send(method, `/api/status-pages/${statusPage.id}`, stranger)).statusCode).toBe(404);
    }
    expect(
      (await send('PUT', `/api/status-pages/${statusPage.id}`, stranger, page({ slug: 'crud' }))).statusCode,
    ).toBe(404);
    const replaced = await send(
      'PUT',
      `/api/status-pages/${statusPage.id}`,
      owner,
      page({ slug: 'crud-2', customDomain: null, published: false }),
    );
    expect(replaced.json().statusPage).toMatchObject({ slug: 'crud-2', published: false });
    expect((await send('GET', '/api/public/status-pages/crud-2', null)).statusCode).toBe(404); // unpublished
    expect((await send('DELETE', `/api/status-pages/${statusPage.id}`, owner)).statusCode).toBe(204);
    expect((await send('GET', `/api/status-pages/${statusPage.id}`, owner)).statusCode).toBe(404);
  });

  it('refuses bad input, other users’ monitors and taken slugs, and changes nothing', async () => {
    const before = (await send('GET', '/api/status-pages', owner)).json().statusPages.length;
    for (const [body, status, message] of [
      [page({ slug: 'Not Safe' }), 400, 'body/slug'],
      [page({ slug: '-x' }), 400, 'body/slug'],
      [page({ title: 42 }), 400, 'body/title'],
      [page({ customDomain: 'http://x.test/' }), 400, 'body/customDomain'],
      [page({ extra: true }), 400, 'body/extra is not an allowed property'],
      [
        page({ sections: [{ name: 'x', monitors: [{ monitorId: foreign.id, displayName: 'theirs' }] }] }),
        400,
        'body/sections/0/monitors/0/monitorId is not one of your monitors',
      ],
      [
        page({ sections: [{ name: 'x', monitors: [{ monitorId: newId(), displayName: 'none' }] }] }),
        400,
        'body/sections/0/monitors/0/monitorId',
      ],
    ] as const) {
      const res = await send('POST', '/api/status-pages', owner, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().error.message).toContain(message);
    }
    const malformed = await sendRawJson(app, 'POST', '/api/status-pages', owner, '{"slug": ');
    expect(malformed.statusCode).toBe(400);
    expect((await send('POST', '/api/status-pages', null, page())).statusCode).toBe(401);
    expect((await send('GET', '/api/status-pages/not-a-uuid', owner)).statusCode).toBe(400);
    expect((await send('GET', '/api/status-pages', owner)).json().statusPages.length).toBe(before);

    expect(
      (await send('POST', '/api/status-pages', owner, page({ slug: 'taken', customDomain: null })))
        .statusCode,
    ).toBe(201);
    const again = await send(
      'POST',
      '/api/status-pages',
      stranger,
      page({ slug: 'taken', customDomain: null, sections: [] }),
    );
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toBe('body/slug is taken by another status page');
  });

  it('shows the public page without login: states, 90 bars, the open incident, and nothing private', async () => {
    expect((await send('POST', '/api/status-pages', owner, page())).statusCode).toBe(201);
    const res = await send('GET', '/api/public/status-pages/acme', null);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=5');
    const body = res.json();
    expect(body.state).toBe('partial_outage');
    const [apiRow, webRow] = body.sections[0].monitors;
    expect(apiRow).toMatchObject({ name: 'Public API', state: 'down', uptimePercent: 60 });
    expect(webRow).toMatchObject({ name: 'Website', state: 'up', uptimePercent: 100 });
    expect(apiRow.bars).toHaveLength(90);
    expect(apiRow.bars[89]).toEqual({ date: new Date().toISOString().slice(0, 10), uptimePercent: 60 });
    expect(apiRow.bars[0].uptimePercent).toBeNull();
    expect(body.incidents.open).toEqual([
      expect.objectContaining({
        monitor: 'Public API',
        status: 'open',
        reason: 'http_status',
        resolvedAt: null,
      }),
    ]);

    const { keys, strings } = walk(body);
    for (const key of keys)
      expect(key).not.toMatch(/url|header|keyword|user|email|monitorId|^id$|password|token/i);
    const secrets = [
      api.url,
      'secret-internal',
      'secret-keyword',
      'private name',
      api.id,
      web.id,
      owner.id,
      owner.email,
    ];
    for (const text of strings) for (const secret of secrets) expect(text).not.toContain(secret);

    expect((await send('GET', '/api/public/status-pages/nope', null)).statusCode).toBe(404);
    expect((await send('GET', '/status/nope', null)).statusCode).toBe(404);
  });

  it('shows the operator’s incident updates; only the incident’s owner may post them', async () => {
    const [incident] = (await send('GET', '/api/incidents?status=open', owner)).json().incidents;
    const url = `/api/incidents/${incident.id}/updates`;
    const posted = await send('POST', url, owner, {
      status: 'identified',
      message: 'A bad <deploy>; rolling back',
    });
    expect(posted.statusCode).toBe(201);
    expect(posted.json().update).toMatchObject({ incidentId: incident.id, status: 'identified' });
    expect((await send('POST', url, stranger, { status: 'resolved', message: 'mine now' })).statusCode).toBe(
      404,
    );
    expect(
      (await send('POST', `/api/incidents/${newId()}/updates`, owner, { status: 'resolved', message: 'x' }))
        .statusCode,
    ).toBe(404);
    for (const bad of [
      { status: 'fixed', message: 'x' },
      { status: 'resolved', message: ' ' },
      { status: 'resolved' },
    ]) {
      expect((await send('POST', url, owner, bad)).statusCode).toBe(400);
    }
    expect((await send('POST', url, null, { status: 'resolved', message: 'x' })).statusCode).toBe(401);
    // The page is recomputed once its interval has passed.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const body = (await send('GET', '/api/public/status-pages/acme', null)).json();
    expect(body.incidents.open[0].updates).toEqual([
      { status: 'identified', message: 'A bad <deploy>; rolling back', at: expect.any(String) },
    ]);
    const html = (await send('GET', '/status/acme', null)).body;
    expect(html).toContain('A bad &lt;deploy&gt;; rolling back');
  });

  it('is cached: one computation per interval for every visitor, ETag and 304', async () => {
    const bodies = await Promise.all(
      Array.from({ length: 20 }, () => send('GET', '/api/public/status-pages/acme', null)),
    );
    expect(new Set(bodies.map((r) => r.json().generatedAt)).size).toBe(1);
    const etag = bodies[0]!.headers.etag as string;
    const notModified = await app.inject({
      method: 'GET',
      url: '/api/public/status-pages/acme',
      headers: { 'if-none-match': etag },
    });
    expect(notModified.statusCode).toBe(304);
  });

  it('sends the cached page gzipped to clients that take it, as its own representation', async () => {
    for (const url of ['/api/public/status-pages/acme', '/status/acme']) {
      const plain = await app.inject({ method: 'GET', url });
      const zipped = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'br, gzip' } });
      expect(zipped.statusCode).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toContain('accept-encoding');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(gunzipSync(zipped.rawPayload).toString()).toBe(plain.body);
      expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4);
      // Each representation has its ETag, and each is answered 304 by its own.
      expect(zipped.headers.etag).not.toBe(plain.headers.etag);
      const again = await app.inject({
        method: 'GET',
        url,
        headers: { 'accept-encoding': 'gzip', 'if-none-match': zipped.headers.etag as string },
      });
      expect(again.statusCode).toBe(304);
      const plainAgain = await app.inject({
        method: 'GET',
        url,
        headers: { 'if-none-match': zipped.headers.etag as string },
      });
      expect(plainAgain.statusCode).toBe(200);
      expect(plainAgain.body).toBe(plain.body);
    }
  });

  it('renders HTML that shows without JavaScript, escaped, at /status/:slug and at / of its custom domain', async () => {
    const res = await send('GET', '/status/acme', null);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<title>Acme &lt;Status&gt; &amp; co</title>');
    expect(res.body).toContain('Public API');
    expect(res.body).toContain('Partial outage');
    expect(res.body).not.toContain('<script');
    expect(res.body).not.toContain('secret-internal');

    const byDomain = await app.inject({ method: 'GET', url: '/', headers: { host: 'status.acme.test:443' } });
    expect(byDomain.statusCode).toBe(200);
    expect(byDomain.body).toContain('<title>Acme &lt;Status&gt; &amp; co</title>');
    const other = await app.inject({ method: 'GET', url: '/', headers: { host: 'elsewhere.test' } });
    expect(other.body).not.toContain('Acme &lt;Status&gt;');
  });
});
