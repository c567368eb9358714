import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '@better-uptime/testing';
import { createMonitor, ownedDigest, stopTestApi, type TestApi, testServer } from './helpers.js';
import { documentedOperations, injectOperation, type Operation } from './openapi-operations.js';
import {
  CONTENT_TYPES,
  HOSTILE_STRINGS,
  RAW_BODIES,
  type SchemaContext,
  valueOf,
} from './schema-arbitraries.js';
import { type Resources, resourceNamedBy, type World, worldMaker } from './world.js';

/**
 * Property-based fuzzing of every route of the OpenAPI document from its own schemas (fast-check): path
 * ids, query strings and bodies that mostly fit, mixed with ones that do not, malformed JSON, other
 * content types, huge and hostile strings and dates. Whatever comes, the API answers below 500 with the
 * documented error shape and no stack trace, and a refused request changes nothing the owner has.
 * FUZZ_RUNS sets the inputs per route (default 80, about 3,000 in all); a failure prints its seed.
 */

const operations = await documentedOperations();
const RUNS = Number(process.env.FUZZ_RUNS ?? 80);

/** Plausible and hostile values for string fields, by property name. */
/**
 * Routes whose valid bodies random generation rarely hits, with the share of inputs that must still reach
 * the handler: a status page nests the owner's monitors in sections under a slug pattern.
 */
const MIN_HANDLER_SHARE: Record<string, number> = {
  'post /api/status-pages': 0.03,
  'put /api/status-pages/{id}': 0.03,
};

const EXAMPLES: Record<string, string[]> = {
  url: [
    'https://example.com/',
    'http://example.com:8080/a?b=1#c',
    'https://user:secret@example.com/',
    'ftp://example.com/',
    'javascript:alert(1)',
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0x7f.1/',
    'https://пример.рф/',
    'http://example.com:0/',
    'http://example.com:65536/',
    'http:///no-host',
    'http://exa mple.com/',
    `https://example.com/${'p'.repeat(2030)}`,
  ],
  slug: ['acme', 'status-2', 'Not Safe', '-x', 'x-', 'a'.repeat(64), 'a'.repeat(65)],
  email: ['a@b.c', 'A@B.C.', 'a@b', '@b.c', 'a@b..', 'a\u0000@b.c'],
  password: ['short', 'password123', 'p'.repeat(256), 'p'.repeat(257)],
  currentPassword: ['wrong password', ''],
  newPassword: ['password', 'a fresh long passphrase', 'n'.repeat(257)],
  timeZone: [
    'UTC',
    'Europe/Berlin',
    'America/St_Johns',
    'Mars/Olympus',
    'Etc/GMT+14',
    '+05:30',
    'utc',
    'localtime',
  ],
  code: ['000000', '123456', 'abcde-fghij', '12345'],
  keyword: ['<html', '\u0000'],
  name: ['n', ' ', '\t\n'],
  cursor: ['AAAA', 'eyJ9', 'x'.repeat(512)],
  region: ['usa', 'india', 'mars'],
  days: ['0', '1', '3650', '3651'],
  window: ['1h', '24h', '7d', '30d', '1y'],
};

/** Percent-encoding; a lone surrogate (which has no UTF-8) goes as its WTF-8 bytes, as some clients send it. */
function encode(text: string): string {
  return text
    .split(LONE_SURROGATE)
    .map((part, i) => (i % 2 === 1 ? wtf8(part.charCodeAt(0)) : encodeURIComponent(part)))
    .join('');
}
const LONE_SURROGATE = /([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/;
const wtf8 = (unit: number) =>
  [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
    .map((b) => `%${b.toString(16).toUpperCase()}`)
    .join('');

/** Path segments a client might send for an id: other ids, encoded junk, traversal, NUL, overlong. */
const HOSTILE_SEGMENTS = [
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '01a23a94-21ee-7597-8484-6746ab1aece3x',
  '%00',
  '%E0%A4%A',
  '..%2F..%2Fetc',
  '%2e%2e',
  '%ED%A0%80', // a lone surrogate, as WTF-8
  'a'.repeat(2000),
  ...HOSTILE_STRINGS.slice(0, 20).map(encode),
];

/** Query parameters no schema describes: repeated, unknown, array-style, badly encoded, empty. */
const ODD_QUERIES = ['limit=1&limit=2', 'unknown=1', 'cursor[]=a', '%zz=1', '&&=&', 'monitorId'];

/** A path segment: literal text, or the owner's resource of that kind as it is when the request is made. */
type Segment = string | { resource: keyof Resources };
type Caller =
  'owner' | 'cookie' | 'write key' | 'nobody' | 'garbled bearer' | 'basic' | 'cookie without CSRF';
const FITTING_CALLERS: Caller[] = ['owner', 'owner', 'owner', 'cookie', 'write key'];
const HOSTILE_CALLERS: Caller[] = ['nobody', 'garbled bearer', 'basic', 'cookie without CSRF'];

interface FuzzRequest {
  segments: Segment[];
  query: Array<string | undefined>;
  body: string | undefined;
  contentType: string;
  caller: Caller;
}

function credentialsOf(caller: Caller, w: World): Record<string, string> {
  switch (caller) {
    case 'owner':
      return w.owner.bearer;
    case 'cookie':
      return { cookie: w.owner.cookie, 'x-csrf-token': w.owner.csrfToken };
    case 'cookie without CSRF':
      return { cookie: w.owner.cookie };
    case 'write key':
      return { authorization: `Bearer ${w.resources.writeKey}` };
    case 'nobody':
      return {};
    case 'garbled bearer':
      return { authorization: 'Bearer \u00ff.e30.x' };
    case 'basic':
      return { authorization: 'Basic YTpi' };
  }
}

describe.skipIf(!postgresAvailable())('fuzzing every route from its schema (PostgreSQL)', () => {
  let api: TestApi;
  let worlds: ReturnType<typeof worldMaker>;
  /** Requests that passed validation and reached their handler (Fastify runs preHandler after validation). */
  let reachedHandler = 0;

  beforeAll(async () => {
    const testDb = await createTestDatabase();
    const app = testServer(testDb.handle.db);
    app.addHook('preHandler', async () => {
      reachedHandler++;
    });
    api = { testDb, app };
    await app.ready();
    worlds = worldMaker(app, testDb.handle.db);
  });
  afterAll(() => stopTestApi(api ?? {}));

  /**
   * An arbitrary request to `op`, half of them fitting its schemas throughout (as the owner, on its
   * resources), the others hostile anywhere. Credentials are named, not held: the owner's session may
   * end in the middle of a run (a fuzzed logout) and is then renewed.
   */
  function requestsTo(op: Operation, ctx: SchemaContext, mutate: boolean): fc.Arbitrary<FuzzRequest> {
    const segments = op.path.split(/(\{\w+\})/).map((part) => {
      const param = /^\{(\w+)\}$/.exec(part)?.[1];
      if (!param) return fc.constant<Segment>(part);
      const own = fc.constant<Segment>({ resource: resourceNamedBy(op, param) });
      const ids = fc.constantFrom<Segment>(...ctx.uuids);
      return mutate
        ? fc.oneof(own, ids, fc.constantFrom<Segment>(...HOSTILE_SEGMENTS))
        : fc.oneof({ weight: 3, arbitrary: own }, ids);
    });
    const query = fc.tuple(
      ...op.parameters
        .filter((p) => p.in === 'query')
        .map((p) =>
          fc.option(
            valueOf(p.schema, ctx, p.name, mutate).map((v) =>
              [p.name, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')].map(encode).join('='),
            ),
            { nil: undefined, freq: 2 },
          ),
        ),
      ...(mutate ? [fc.option(fc.constantFrom(...ODD_QUERIES), { nil: undefined, freq: 3 })] : []),
    );
    const json = op.body ? valueOf(op.body, ctx, '', mutate).map((v) => JSON.stringify(v) ?? '') : undefined;
    const body: fc.Arbitrary<string | undefined> = !mutate
      ? (json ?? fc.constant(undefined))
      : fc.oneof(
          { weight: 4, arbitrary: json ?? fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        );
    const contentType = mutate
      ? fc.oneof(fc.constant('application/json'), fc.constantFrom(...CONTENT_TYPES))
      : fc.constant('application/json');
    const caller = mutate
      ? fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom<Caller>(...FITTING_CALLERS) },
          fc.constantFrom(...HOSTILE_CALLERS),
        )
      : fc.constantFrom<Caller>(...FITTING_CALLERS);
    return fc.record({ segments: fc.tuple(...segments), query, body, contentType, caller });
  }

  /** The request itself, credentials and resources taken from the world as it is now. */
  function injection(op: Operation, w: World, r: FuzzRequest): InjectOptions {
    const search = r.query.filter((q) => q !== undefined).join('&');
    const path = r.segments.map((s) => (typeof s === 'string' ? s : w.resources[s.resource])).join('');
    const headers: Record<string, string> = { ...credentialsOf(r.caller, w) };
    if (r.body !== undefined && r.contentType !== '') headers['content-type'] = r.contentType;
    return {
      method: op.method.toUpperCase() as 'GET',
      url: path + (search ? `?${search}` : ''),
      headers,
      ...(r.body === undefined ? {} : { payload: r.body }),
    };
  }

  it('fuzzes every documented route', () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  it.each(operations.map((op) => [op.key, op] as const))('%s', { timeout: 120_000 }, async (_, op) => {
    const w = await worlds.world();
    const theirs = (await createMonitor(api.app, w.other, { name: 'theirs' })).id;
    const ctx: SchemaContext = {
      uuids: [
        ...Object.values(w.resources).filter((v) => !/^(bu|hb)_/.test(v)),
        w.owner.id,
        w.other.id,
        theirs,
      ],
      examples: { ...EXAMPLES, email: [...EXAMPLES.email!, w.owner.email, w.other.email] },
    };
    const digest = await ownedDigest(api.testDb.handle.db, w.owner.id);
    let baseline = await digest();
    const statuses = new Map<number, number>();
    const reachedBefore = reachedHandler;
    const requests = fc.oneof(requestsTo(op, ctx, false), requestsTo(op, ctx, true));
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const res = await injectOperation(api.app, op, injection(op, w, request));
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const said = `${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(res.statusCode, said).toBeLessThan(500);
        expect(res.body, said).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
        if (res.statusCode >= 400) {
          const { error } = res.json() as { error: { details?: unknown } };
          expect(error, said).toEqual({
            code: expect.any(String),
            message: expect.any(String),
            ...(error.details === undefined
              ? {}
              : {
                  details: expect.arrayContaining([
                    { field: expect.any(String), message: expect.any(String) },
                  ]),
                }),
          });
        }
        if (op.method === 'get') return;
        const now = await digest();
        const changed = now !== baseline;
        baseline = now;
        if (res.statusCode >= 400) {
          expect(changed, `a refused request changed the owner's data: ${said}`).toBe(false);
        } else if (!(await worlds.signedIn(w.owner))) {
          // A fuzzed logout (or session revocation) ended the owner's session: sign in again.
          w.owner = await worlds.account(w.owner.id);
          baseline = await digest();
        }
      }),
      { numRuns: RUNS },
    );
    // Not a run of the validator alone: a good share of the inputs got through it to the route's code.
    const share = (reachedHandler - reachedBefore) / RUNS;
    expect(share, `reached the handler: ${share}; statuses ${JSON.stringify([...statuses])}`).toBeGreaterThan(
      MIN_HANDLER_SHARE[op.key] ?? 0.15,
    );
  });
});
