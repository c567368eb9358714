import { type Database, newId, probeQueries, sessionQueries, userQueries } from '@better-uptime/db';
import { seedUser } from '@better-uptime/testing';
import { CSRF_COOKIE, SESSION_COOKIE } from '../src/auth/cookies.js';
import { createCsrf } from '../src/auth/csrf.js';
import { hashPassword } from '../src/auth/passwords.js';
import { createTokenService } from '../src/auth/tokens.js';
import { createMonitor, JWT_SECRET, recordChecks, type TestServer } from './helpers.js';
import type { Operation } from './openapi-operations.js';

/**
 * Accounts and their resources made fast for suites that need many of them (the authorization matrix,
 * the fuzzer): users are seeded with one shared real password hash and signed in by writing their session
 * and signing its token, so no request pays for an argon2 hash; resources go through the API.
 */

export const WORLD_PASSWORD = 'correct horse battery';

export interface Account {
  id: string;
  email: string;
  sessionId: string;
  token: string;
  csrfToken: string;
  bearer: { authorization: string };
  /** The dashboard's two cookies, as a browser sends them (writes also need `x-csrf-token`). */
  cookie: string;
}

/** An owner's resources, one of each kind a route can name. */
export interface Resources {
  monitorId: string;
  /** A heartbeat monitor, and the token of its push URL. */
  heartbeatMonitorId: string;
  pushToken: string;
  /** Open, on the monitor (checked from usa only: two failures opened it). */
  incidentId: string;
  windowId: string;
  /** An email channel (no SMTP_URL in tests: a test send fails at once, without a connection). */
  channelId: string;
  /** A published status page showing the monitor. */
  statusPageId: string;
  statusPageSlug: string;
  /** A key other than the ones used to call: for the routes that delete keys. */
  keyId: string;
  /** A second session of the owner: for the routes that revoke sessions. */
  otherSessionId: string;
  /** API keys of the owner, used once already (their first use is recorded, a later one not for a minute). */
  readKey: string;
  writeKey: string;
  /** A remote probe of the instance (administrators' routes; the owner is an administrator). */
  probeId: string;
}

export interface World {
  owner: Account;
  other: Account;
  resources: Resources;
}

/**
 * `admins`: the server's ADMIN_EMAILS (its config's array); each world's owner is added to it, so the
 * owner is an administrator and the other user is not.
 */
export function worldMaker(app: TestServer, db: Database, admins?: string[]) {
  const tokens = createTokenService(JWT_SECRET);
  const csrf = createCsrf(JWT_SECRET);
  const passwordHash = hashPassword(WORLD_PASSWORD);

  async function signIn(userId: string): Promise<Pick<Account, 'sessionId' | 'token' | 'csrfToken'>> {
    const sessionId = newId();
    const expiresAt = new Date(Date.now() + 3_600_000);
    await sessionQueries.createSession(db, { id: sessionId, userId, expiresAt });
    return {
      sessionId,
      token: await tokens.sign({ userId, sessionId }, expiresAt),
      csrfToken: csrf.tokenFor(sessionId),
    };
  }

  /** A new account, or a new session of the user `userId`. */
  async function account(userId?: string): Promise<Account> {
    const email = userId ? (await userQueries.findUserById(db, userId))!.email : `${newId()}@example.test`;
    const id = userId ?? (await seedUser(db, { email, passwordHash: await passwordHash }));
    const session = await signIn(id);
    return {
      id,
      email,
      ...session,
      bearer: { authorization: `Bearer ${session.token}` },
      cookie: `${SESSION_COOKIE}=${session.token}; ${CSRF_COOKIE}=${session.csrfToken}`,
    };
  }

  async function call(owner: Account, method: 'POST' | 'GET', url: string, payload?: object) {
    const res = await app.inject({ method, url, headers: owner.bearer, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  }

  async function resources(owner: Account): Promise<Resources> {
    const monitorId = (
      await createMonitor(app, owner, { regions: ['usa'], name: 'owned', publicBadges: true })
    ).id;
    const start = Date.now();
    for (let i = 0; i < 3; i++) {
      await recordChecks(db, [
        {
          monitorId,
          scheduledAt: new Date(start + i * 10_000),
          ...(i > 0 ? { status: 'Down' as const, statusCode: 503, reason: 'http_status' } : {}),
        },
      ]);
    }
    const { monitor } = await call(owner, 'GET', `/api/monitor/${monitorId}`);
    const { monitor: heartbeat } = await call(owner, 'POST', '/api/monitor', {
      kind: 'heartbeat',
      name: 'owned heartbeat',
    });
    const { window } = await call(owner, 'POST', '/api/maintenance', {
      name: 'owned',
      monitorIds: [monitorId],
      startsAt: new Date(start + 86_400_000).toISOString(),
      endsAt: new Date(start + 90_000_000).toISOString(),
    });
    const { channel } = await call(owner, 'POST', '/api/channels', {
      type: 'email',
      name: 'owned',
      config: { to: ['owner@example.test'] },
    });
    const statusPageSlug = `owned-${newId()}`;
    const { statusPage } = await call(owner, 'POST', '/api/status-pages', {
      slug: statusPageSlug,
      title: 'Owned',
      sections: [{ name: 'All', monitors: [{ monitorId, displayName: 'Owned' }] }],
    });
    const key = async (scope: 'read' | 'write') =>
      (await call(owner, 'POST', '/api/keys', { name: scope, scope })) as {
        apiKey: { id: string };
        key: string;
      };
    const [read, write, spare] = [await key('read'), await key('write'), await key('read')];
    for (const k of [read.key, write.key])
      await call({ bearer: { authorization: `Bearer ${k}` } } as Account, 'GET', '/api/auth/me');
    return {
      monitorId,
      heartbeatMonitorId: heartbeat.id as string,
      pushToken: (heartbeat.pushUrl as string).split('/').pop()!,
      incidentId: monitor.openIncidentId as string,
      windowId: window.id as string,
      channelId: channel.id as string,
      statusPageId: statusPage.id as string,
      statusPageSlug,
      keyId: spare.apiKey.id,
      otherSessionId: (await signIn(owner.id)).sessionId,
      readKey: read.key,
      writeKey: write.key,
      probeId: (
        await probeQueries.createProbe(db, {
          id: newId(),
          name: 'owned',
          region: 'edge',
          tokenHash: newId(),
          tokenHint: 'abcd',
          createdBy: owner.id,
        })
      ).id,
    };
  }

  return {
    account,
    /** Whether the account's session still works. */
    signedIn: async (who: Account) =>
      (await app.inject({ method: 'GET', url: '/api/auth/me', headers: who.bearer })).statusCode === 200,
    /** An owner with one of each resource, and another user with nothing. */
    async world(): Promise<World> {
      const owner = await account();
      admins?.push(owner.email);
      return { owner, other: await account(), resources: await resources(owner) };
    },
  };
}

/** Which of the owner's resources a path parameter names, by the path it is in. */
const RESOURCE_OF: Array<[RegExp, keyof Resources]> = [
  [/^\/api\/monitor\/\{id\}\/push-token$/, 'heartbeatMonitorId'],
  [/^\/api\/push\//, 'pushToken'],
  [/^\/api\/(monitor|results|badges)\//, 'monitorId'],
  [/^\/api\/channels\//, 'channelId'],
  [/^\/api\/status-pages\//, 'statusPageId'],
  [/^\/api\/public\/status-pages\//, 'statusPageSlug'],
  [/^\/api\/incidents\//, 'incidentId'],
  [/^\/api\/maintenance\//, 'windowId'],
  [/^\/api\/keys\//, 'keyId'],
  [/^\/api\/probes\//, 'probeId'],
  [/^\/api\/auth\/sessions\//, 'otherSessionId'],
];

/** The kind of resource path parameter `name` of `op` names; throws for a kind the world has none of. */
export function resourceNamedBy(op: Operation, name: string): keyof Resources {
  const rule = RESOURCE_OF.find(([pattern]) => pattern.test(op.path));
  if (!rule) throw new Error(`${op.key}: no fixture for {${name}}: add one to RESOURCE_OF and World`);
  return rule[1];
}
