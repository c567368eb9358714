import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@better-uptime/db';
import { postgresAvailable } from '@better-uptime/testing';
import { totpCode, totpStep } from '../src/auth/totp.js';
import { ownedRows, startTestApi, stopTestApi, type TestApi } from './helpers.js';
import { type Answer, documentedOperations, injectOperation, type Operation } from './openapi-operations.js';
import { resourceNamedBy, WORLD_PASSWORD, type World, worldMaker } from './world.js';

const operations = await documentedOperations();

/**
 * Every route of the OpenAPI document against every kind of caller: nobody, the owner's cookie without
 * its CSRF header, another user, the owner's read and write API keys, and the owner. The routes come from
 * the document, so a new route is in the matrix the day it is added; one that writes needs its example
 * body below, and one naming a new kind of resource its fixture in RESOURCE_OF (the test says so).
 */

type Caller = 'nobody' | 'cookie without CSRF' | 'other user' | 'read key' | 'write key' | 'owner';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const windowBody = (w: World) => ({
  name: 'example',
  monitorIds: [w.resources.monitorId],
  startsAt: inDays(2),
  endsAt: inDays(2.1),
});

const statusPageBody = (w: World) => ({
  slug: `example-${newId()}`,
  title: 'Example',
  sections: [{ name: 'All', monitors: [{ monitorId: w.resources.monitorId, displayName: 'Site' }] }],
});

/**
 * A body with which the owner's call succeeds; it may prepare the owner's state first (made before the
 * matrix compares the owner's data, so the preparation is not mistaken for a change).
 */
type Example = (w: World, api: TestApi) => object | Promise<object>;

async function enrolTotp(w: World, api: TestApi): Promise<string> {
  const setup = await api.app.inject({
    method: 'POST',
    url: '/api/auth/totp/setup',
    headers: w.owner.bearer,
  });
  return (setup.json() as { secret: string }).secret;
}

const EXAMPLES: Record<string, Example> = {
  'post /api/auth/signup': () => ({ email: `${newId()}@example.test`, password: WORLD_PASSWORD, name: 'N' }),
  'post /api/auth/login': (w) => ({ email: w.owner.email, password: WORLD_PASSWORD }),
  'put /api/auth/password': () => ({
    currentPassword: WORLD_PASSWORD,
    newPassword: 'another long passphrase',
  }),
  'delete /api/auth/account': () => ({ password: WORLD_PASSWORD }),
  'post /api/keys': () => ({ name: 'example', scope: 'read' }),
  'post /api/auth/totp/enable': async (w, api) => ({
    code: totpCode(await enrolTotp(w, api), totpStep(Date.now())),
  }),
  'post /api/auth/totp/disable': async (w, api) => {
    const secret = await enrolTotp(w, api);
    const enabled = await api.app.inject({
      method: 'POST',
      url: '/api/auth/totp/enable',
      headers: w.owner.bearer,
      payload: { code: totpCode(secret, totpStep(Date.now())) },
    });
    return {
      password: WORLD_PASSWORD,
      code: (enabled.json() as { recoveryCodes: string[] }).recoveryCodes[0]!,
    };
  },
  'post /api/monitor': () => ({ url: 'https://example.com/example', name: 'example' }),
  'put /api/monitor/{id}': () => ({ name: 'renamed' }),
  'post /api/maintenance': windowBody,
  'put /api/maintenance/{id}': windowBody,
  'post /api/channels': () => ({ type: 'email', name: 'example', config: { to: ['someone@example.test'] } }),
  'put /api/channels/{id}': () => ({ name: 'renamed' }),
  'post /api/status-pages': statusPageBody,
  'put /api/status-pages/{id}': statusPageBody,
  'post /api/incidents/{id}/updates': () => ({ status: 'investigating', message: 'Looking into it' }),
};

/** Credentials (keys, sessions, password, 2FA, the account) are changed only from a signed-in session. */
const sessionOnly = (op: Operation) =>
  op.method !== 'get' && /^\/api\/(keys|auth)(\/|$)/.test(op.path) && op.path !== '/api/auth/logout';

describe.skipIf(!postgresAvailable())(
  'authorization matrix: every documented route x every caller (PostgreSQL)',
  () => {
    let api: TestApi;
    let world: () => Promise<World>;
    let readWorld: World | undefined;

    beforeAll(async () => {
      api = await startTestApi();
      world = worldMaker(api.app, api.testDb.handle.db).world;
    });
    afterAll(() => stopTestApi(api ?? {}));

    /** The URL of an operation on `w`'s resources; throws when a parameter names an unknown kind of resource. */
    function urlOf(op: Operation, w: World): string {
      const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => w.resources[resourceNamedBy(op, name)]);
      // A filter naming the owner's monitor: another user must learn nothing from it.
      return op.parameters.some((p) => p.in === 'query' && p.name === 'monitorId')
        ? `${path}?monitorId=${w.resources.monitorId}`
        : path;
    }

    function headersOf(caller: Caller, w: World): Record<string, string> {
      switch (caller) {
        case 'nobody':
          return {};
        case 'cookie without CSRF':
          return { cookie: w.owner.cookie };
        case 'other user':
          return w.other.bearer;
        case 'read key':
          return { authorization: `Bearer ${w.resources.readKey}` };
        case 'write key':
          return { authorization: `Bearer ${w.resources.writeKey}` };
        case 'owner':
          return w.owner.bearer;
      }
    }

    /** What a caller must get: a status, or (another user on routes naming nothing of the owner's) any answer but a refusal or an error. */
    function expected(op: Operation, caller: Caller): number | 'own data' {
      const write = op.method !== 'get';
      if (!op.secured) return op.success;
      switch (caller) {
        case 'nobody':
          return 401;
        case 'cookie without CSRF':
          return 403;
        case 'other user':
          return op.path.includes('{') ? 404 : 'own data';
        case 'read key':
          return write ? 403 : op.success;
        case 'write key':
          return sessionOnly(op) ? 403 : op.success;
        case 'owner':
          return op.success;
      }
    }

    const leaks = (res: Answer, w: World) => {
      const { owner, resources } = w;
      const secrets = [
        owner.id,
        owner.email,
        owner.token,
        resources.monitorId,
        resources.heartbeatMonitorId,
        resources.pushToken,
        resources.incidentId,
        resources.windowId,
        resources.channelId,
        resources.statusPageId,
        resources.keyId,
        resources.otherSessionId,
      ];
      return secrets.filter((s) => res.body.includes(s));
    };

    it('covers every documented route', () => {
      expect(operations.length).toBeGreaterThan(30);
    });

    it.each(operations.map((op) => [op.key, op] as const))('%s', async (_, op) => {
      const body = EXAMPLES[op.key];
      if (op.body && !body) throw new Error(`${op.key}: no example body in EXAMPLES`);
      const callers: Caller[] = !op.secured
        ? ['nobody']
        : op.method === 'get'
          ? ['nobody', 'other user', 'read key', 'write key', 'owner']
          : ['nobody', 'cookie without CSRF', 'other user', 'read key', 'write key', 'owner'];
      const problems: string[] = [];
      const row: string[] = [];
      // Refusals are tried first on one world; a write that succeeds may change it, so the owner of a
      // write gets a fresh one. Reads share one world: none of them changes anything.
      const prepared = async () => {
        const w = op.method === 'get' ? (readWorld ??= await world()) : await world();
        return { w, payload: body ? await body(w, api) : undefined };
      };
      let { w, payload } = await prepared();
      for (const caller of callers) {
        if (caller === 'owner' && op.method !== 'get') ({ w, payload } = await prepared());
        const before = await ownedRows(api.testDb.handle.db, w.owner.id);
        const res = await injectOperation(api.app, op, {
          method: op.method.toUpperCase() as 'GET',
          url: urlOf(op, w),
          headers: headersOf(caller, w),
          ...(payload ? { payload } : {}),
        });
        row.push(`${caller} ${res.statusCode}`);
        const want = expected(op, caller);
        const where = `${caller}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (
          want === 'own data'
            ? res.statusCode >= 500 || [401, 403].includes(res.statusCode)
            : res.statusCode !== want
        ) {
          problems.push(`${where} (wanted ${want})`);
        }
        if (!op.documented.has(res.statusCode)) problems.push(`${where}: status not in the OpenAPI document`);
        if (op.secured && (caller === 'nobody' || caller === 'other user')) {
          const leaked = leaks(res, w);
          if (leaked.length > 0) problems.push(`${where}: leaks ${leaked.join(', ')}`);
        }
        if (res.statusCode >= 400 || caller === 'other user') {
          const after = await ownedRows(api.testDb.handle.db, w.owner.id);
          if (JSON.stringify(after) !== JSON.stringify(before))
            problems.push(`${where}: changed the owner's data`);
        }
      }
      expect(problems, row.join(' | ')).toEqual([]);
    });
  },
);
