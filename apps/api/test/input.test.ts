import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@better-uptime/db';
import { postgresAvailable } from '@better-uptime/testing';
import { createMonitor, signup, startTestApi, stopTestApi, type TestApi, type TestUser } from './helpers.js';

const cursorOf = (position: Record<string, string>) =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

describe.skipIf(!postgresAvailable())(
  'input PostgreSQL would refuse gets a 400 naming the field (PostgreSQL)',
  () => {
    let api: TestApi;
    let user: TestUser;
    let monitorId: string;

    beforeAll(async () => {
      api = await startTestApi();
      user = await signup(api.app);
      monitorId = (await createMonitor(api.app, user)).id;
    });
    afterAll(() => stopTestApi(api ?? {}));

    const expect400 = (res: { statusCode: number; json(): unknown }, field: string) => {
      expect(res.statusCode).toBe(400);
      const body = res.json() as { error: { code: string; message: string } };
      expect(body.error.code).toBe('validation_error');
      expect(body.error.message).toContain(field);
    };

    it('NUL bytes in the email or name of a signup, and in a login email', async () => {
      const payload = { email: 'nul@example.com', password: 'a long enough passphrase', name: 'Nul' };
      for (const [field, body] of [
        ['body/email', { ...payload, email: 'nul\u0000@example.com' }],
        ['body/name', { ...payload, name: 'N\u0000ul' }],
        ['body/password', { ...payload, password: 'a long enough\u0000passphrase' }],
      ] as const) {
        const res = await api.app.inject({ method: 'POST', url: '/api/auth/signup', payload: body });
        expect400(res, field);
      }
      const login = await api.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'a\u0000@example.com', password: 'whatever it is' },
      });
      expect400(login, 'body/email');
      const rows = await queryRows(api.testDb.handle.db, sql`SELECT 1 FROM users WHERE email LIKE 'nul%'`);
      expect(rows).toHaveLength(0);
    });

    it('NUL bytes in a monitor’s name, keyword or expected status, on create and on update', async () => {
      for (const [field, body] of [
        ['body/name', { url: 'https://example.com/', name: 'a\u0000b' }],
        ['body/keyword', { url: 'https://example.com/', keyword: 'ok\u0000' }],
        ['body/expectedStatus/0', { url: 'https://example.com/', expectedStatus: ['200\u0000'] }],
      ] as const) {
        const created = await api.app.inject({
          method: 'POST',
          url: '/api/monitor',
          headers: user.bearer,
          payload: body,
        });
        expect(created.statusCode).toBe(400);
        expect(created.json().error.message).toMatch(new RegExp(`^${field.replace('/0', '')}`));
      }
      const updated = await api.app.inject({
        method: 'PUT',
        url: `/api/monitor/${monitorId}`,
        headers: user.bearer,
        payload: { keyword: 'x\u0000y' },
      });
      expect400(updated, 'body/keyword');
      const renamed = await api.app.inject({
        method: 'PUT',
        url: `/api/monitor/${monitorId}`,
        headers: user.bearer,
        payload: { name: '\u0000' },
      });
      expect400(renamed, 'body/name');
    });

    it('a body nested 5,000 levels deep, with or without a NUL at the bottom (found by the fuzzer: it overflowed the stack)', async () => {
      for (const leaf of ['1', '"x\\u0000"']) {
        let body = leaf;
        for (let i = 0; i < 5_000; i++) body = `{"a":${body}}`;
        const res = await api.app.inject({
          method: 'PUT',
          url: `/api/monitor/${monitorId}`,
          headers: { ...user.bearer, 'content-type': 'application/json' },
          payload: body,
        });
        expect400(res, 'body/a');
      }
    });

    it('dates PostgreSQL refuses in from and to: year 0000, offsets beyond ±15:59', async () => {
      const get = (query: string) =>
        api.app.inject({
          method: 'GET',
          url: `/api/results/${monitorId}/checks?${query}`,
          headers: user.bearer,
        });
      expect400(await get('from=0000-01-01T00:00:00Z'), 'querystring/from');
      expect400(await get('to=0000-06-01T00:00:00Z'), 'querystring/to');
      expect400(await get(`to=${encodeURIComponent('2025-01-01T00:00:00+16:00')}`), 'querystring/to');
      expect400(await get(`from=${encodeURIComponent('2025-01-01T00:00:00-99:00')}`), 'querystring/from');
      expect400(await get(`from=${encodeURIComponent('2025-01-01T00:00:00+10:60')}`), 'querystring/from');
      expect400(await get('region=us%00a'), 'querystring/region');
      // The extremes PostgreSQL accepts still work.
      for (const query of [
        `from=${encodeURIComponent('0001-01-01T00:00:00+15:59')}`,
        `to=${encodeURIComponent('9999-12-31T23:59:59-15:59')}`,
      ]) {
        const res = await get(query);
        expect(res.statusCode, res.body).toBe(200);
      }
    });

    it('cursors holding such dates, or NUL bytes', async () => {
      const get = (cursor: string) =>
        api.app.inject({
          method: 'GET',
          url: `/api/results/${monitorId}/checks?cursor=${cursor}`,
          headers: user.bearer,
        });
      for (const t of [
        '0000-01-01T00:00:00.000Z',
        '2025-01-01T00:00:00.000+16:00',
        '2025-01-01T00:00:00\u0000Z',
      ]) {
        expect400(await get(cursorOf({ t, r: 'usa' })), 'querystring/cursor');
      }
      expect400(await get(cursorOf({ t: '2025-01-01T00:00:00.000Z', r: 'us\u0000a' })), 'querystring/cursor');
      const monitors = await api.app.inject({
        method: 'GET',
        url: `/api/monitor?cursor=${cursorOf({ id: `${monitorId}\u0000` })}`,
        headers: user.bearer,
      });
      expect400(monitors, 'querystring/cursor');
    });
  },
);
