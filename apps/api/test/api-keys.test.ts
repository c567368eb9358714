import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import { postgresAvailable } from '@better-uptime/testing';
import {
  createMonitor,
  signup,
  startTestApi,
  stopTestApi,
  type TestApi,
  testServer,
  type TestServer,
  type TestUser,
} from './helpers.js';
import { expectRefusedPayloads, sendRawJson } from './bad-input.js';

const KEY = /^bu_[A-Za-z0-9_-]{43}$/;

describe.skipIf(!postgresAvailable())('API keys (PostgreSQL)', () => {
  let api: TestApi;
  let app: TestServer;
  let owner: TestUser;
  let other: TestUser;
  let clock = Date.now();

  beforeAll(async () => {
    api = await startTestApi({ now: () => clock });
    app = api.app;
    owner = await signup(app);
    other = await signup(app);
  });
  afterAll(() => stopTestApi(api ?? {}));

  const createKey = async (user: TestUser, body: Record<string, unknown>) => {
    const res = await app.inject({ method: 'POST', url: '/api/keys', headers: user.bearer, payload: body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { apiKey: Record<string, unknown> & { id: string }; key: string };
  };
  const withKey = (key: string) => ({ authorization: `Bearer ${key}` });

  it('is shown once at creation, stored as a SHA-256 hash, and listed without the secret', async () => {
    const created = await createKey(owner, { name: 'CI deploys', scope: 'write' });
    expect(created.key).toMatch(KEY);
    expect(Object.keys(created.apiKey).sort()).toEqual(
      ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'scope'].sort(),
    );
    expect(created.apiKey).toMatchObject({
      name: 'CI deploys',
      scope: 'write',
      expiresAt: null,
      lastUsedAt: null,
    });
    expect(created.key.startsWith(created.apiKey.prefix as string)).toBe(true);
    const [row] = await queryRows<{ key_hash: string }>(
      api.testDb.handle.db,
      sql`SELECT key_hash FROM api_keys WHERE id = ${created.apiKey.id}`,
    );
    expect(row!.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    const list = await app.inject({ method: 'GET', url: '/api/keys', headers: owner.bearer });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(created.key);
    expect(list.json().apiKeys.map((k: { id: string }) => k.id)).toContain(created.apiKey.id);
    // Nobody else sees it.
    const theirs = await app.inject({ method: 'GET', url: '/api/keys', headers: other.bearer });
    expect(theirs.json().apiKeys).toEqual([]);
  });

  it('a write key reads and writes as its owner; last use is recorded at most once a minute', async () => {
    const { apiKey, key } = await createKey(owner, { name: 'write', scope: 'write' });
    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: withKey(key) });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.id).toBe(owner.id);
    const lastUsed = async () =>
      (
        await queryRows<{ t: string | null }>(
          api.testDb.handle.db,
          sql`SELECT last_used_at::text AS t FROM api_keys WHERE id = ${apiKey.id}`,
        )
      )[0]!.t;
    const first = await lastUsed();
    expect(first).not.toBeNull();
    const created = await app.inject({
      method: 'POST',
      url: '/api/monitor',
      headers: withKey(key),
      payload: { url: 'https://example.com/by-key' },
    });
    expect(created.statusCode).toBe(201);
    expect(await lastUsed()).toBe(first); // within the minute: not written again
    clock += 61_000;
    await app.inject({ method: 'GET', url: '/api/monitor', headers: withKey(key) });
    expect(await lastUsed()).not.toBe(first);
    // Keys go with the monitors they made: owner's monitor, other user's 404.
    const monitorId = created.json().monitor.id;
    const seen = await app.inject({ method: 'GET', url: `/api/monitor/${monitorId}`, headers: other.bearer });
    expect(seen.statusCode).toBe(404);
  });

  it('a read key reads, and every write is a 403 that changes nothing', async () => {
    const monitor = await createMonitor(app, owner, { name: 'read-only target' });
    const { key } = await createKey(owner, { name: 'dashboard TV', scope: 'read' });
    const auth = withKey(key);
    expect((await app.inject({ method: 'GET', url: '/api/monitor', headers: auth })).statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'GET', url: `/api/results/${monitor.id}/checks`, headers: auth }))
        .statusCode,
    ).toBe(200);
    const writes = [
      { method: 'POST', url: '/api/monitor', payload: { url: 'https://example.com/' } },
      { method: 'PUT', url: `/api/monitor/${monitor.id}`, payload: { name: 'renamed' } },
      { method: 'DELETE', url: `/api/monitor/${monitor.id}` },
      { method: 'DELETE', url: `/api/results/${monitor.id}/cleanup?days=1` },
      { method: 'POST', url: '/api/keys', payload: { name: 'more', scope: 'write' } },
      { method: 'DELETE', url: `/api/keys/${monitor.id}` },
      { method: 'POST', url: '/api/auth/logout' },
    ] as const;
    for (const write of writes) {
      const res = await app.inject({ ...write, headers: auth });
      expect(res.statusCode, `${write.method} ${write.url}`).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    const after = await app.inject({
      method: 'GET',
      url: `/api/monitor/${monitor.id}`,
      headers: owner.bearer,
    });
    expect(after.json().monitor.name).toBe('read-only target');
    const monitors = await queryRows(
      api.testDb.handle.db,
      sql`SELECT id FROM monitors WHERE user_id = ${owner.id} AND target = 'https://example.com/'`,
    );
    expect(monitors).toHaveLength(0);
  });

  it('an API key cannot create or delete API keys, even a write key', async () => {
    const { apiKey, key } = await createKey(owner, { name: 'writer', scope: 'write' });
    const create = await app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: withKey(key),
      payload: { name: 'minted', scope: 'write' },
    });
    expect(create.statusCode).toBe(403);
    const del = await app.inject({ method: 'DELETE', url: `/api/keys/${apiKey.id}`, headers: withKey(key) });
    expect(del.statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/keys', headers: withKey(key) })).statusCode).toBe(
      200,
    );
  });

  it('stops working when deleted or expired; unknown and malformed keys are 401', async () => {
    const deleted = await createKey(owner, { name: 'to delete', scope: 'write' });
    const notYours = await app.inject({
      method: 'DELETE',
      url: `/api/keys/${deleted.apiKey.id}`,
      headers: other.bearer,
    });
    expect(notYours.statusCode).toBe(404);
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/keys/${deleted.apiKey.id}`,
      headers: owner.bearer,
    });
    expect(del.statusCode).toBe(204);
    const again = await app.inject({
      method: 'DELETE',
      url: `/api/keys/${deleted.apiKey.id}`,
      headers: owner.bearer,
    });
    expect(again.statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'GET', url: '/api/monitor', headers: withKey(deleted.key) })).statusCode,
    ).toBe(401);

    const expiring = await createKey(owner, {
      name: 'short-lived',
      scope: 'read',
      expiresAt: new Date(clock + 3_600_000).toISOString(),
    });
    expect(
      (await app.inject({ method: 'GET', url: '/api/monitor', headers: withKey(expiring.key) })).statusCode,
    ).toBe(200);
    clock += 3_600_001;
    expect(
      (await app.inject({ method: 'GET', url: '/api/monitor', headers: withKey(expiring.key) })).statusCode,
    ).toBe(401);

    for (const key of [`bu_${'A'.repeat(43)}`, 'bu_short', `bu_${'A'.repeat(42)}!`, `bu_${'A'.repeat(44)}`]) {
      const res = await app.inject({ method: 'GET', url: '/api/monitor', headers: withKey(key) });
      expect(res.statusCode, key).toBe(401);
    }
  });

  it('refuses bad input with a 400 naming the field, and creates nothing', async () => {
    const count = async () =>
      Number(
        (await queryRows<{ n: string }>(api.testDb.handle.db, sql`SELECT count(*) AS n FROM api_keys`))[0]!.n,
      );
    const before = await count();
    const cases: Array<[unknown, string]> = [
      [{ name: 'x', scope: 'admin' }, 'body/scope must be one of: read, write'],
      [{ name: 5, scope: 'read' }, 'body/name must be a string'],
      [{ name: '   ', scope: 'read' }, 'body/name must not be blank'],
      [{ name: 'a\u0000b', scope: 'read' }, 'body/name must not contain NUL'],
      [{ scope: 'read' }, 'body/name is required'],
      [{ name: 'x', scope: 'read', extra: 1 }, 'body/extra is not an allowed property'],
      [
        { name: 'x', scope: 'read', expiresAt: '2001-01-01T00:00:00Z' },
        'body/expiresAt must be in the future',
      ],
      [
        { name: 'x', scope: 'read', expiresAt: '9999-01-01T00:00:00Z' },
        'body/expiresAt must be at most 10 years',
      ],
      [{ name: 'x', scope: 'read', expiresAt: 'tomorrow' }, 'body/expiresAt'],
    ];
    await expectRefusedPayloads(app, 'POST', '/api/keys', owner, cases);
    const malformed = await sendRawJson(app, 'POST', '/api/keys', owner, '{"name": "x", "scope":');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('validation_error');
    const badId = await app.inject({ method: 'DELETE', url: '/api/keys/not-a-uuid', headers: owner.bearer });
    expect(badId.statusCode).toBe(400);
    expect(await count()).toBe(before);
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/keys',
      payload: { name: 'x', scope: 'read' },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('a cookie-authenticated create needs the CSRF token', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: { cookie: owner.cookie },
      payload: { name: 'x', scope: 'read' },
    });
    expect(res.statusCode).toBe(403);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrfToken },
      payload: { name: 'x', scope: 'read' },
    });
    expect(ok.statusCode).toBe(201);
  });

  it('the OpenAPI document describes the key routes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/keys', '/api/keys/{id}']));
    expect(
      doc.paths['/api/keys'].post.requestBody.content['application/json'].schema.properties.scope,
    ).toBeDefined();
  });

  it('keys of a deleted user stop working (ON DELETE CASCADE)', async () => {
    const gone = await signup(app);
    const { key } = await createKey(gone, { name: 'k', scope: 'read' });
    await api.testDb.handle.db.execute(sql`DELETE FROM users WHERE id = ${gone.id}`);
    const second = testServer(api.testDb.handle.db);
    expect(
      (await second.inject({ method: 'GET', url: '/api/monitor', headers: withKey(key) })).statusCode,
    ).toBe(401);
    await second.close();
  });
});
