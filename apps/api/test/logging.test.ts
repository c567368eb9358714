import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions, readableLogLine } from '@better-uptime/config';
import { postgresAvailable } from '@better-uptime/testing';
import { startTestApi, stopTestApi, type TestApi, testServer } from './helpers.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: pino(loggerOptions('test', 'trace'), sink) };
}

describe('log lines never carry query parameters or secret values', () => {
  it('a failed drizzle query is logged with its statement but without its parameters', () => {
    const { lines, logger } = capture();
    const cause = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      detail: 'Key (lower(email))=(alice@example.com) already exists.',
    });
    const error = new DrizzleQueryError(
      'insert into "users" ("id", "email", "name", "password_hash") values ($1, $2, $3, $4)',
      ['0b8f2c3e-1111-4222-8333-944444444444', 'alice@example.com', 'Al\u0000ice', HASH],
      cause,
    );
    logger.error({ err: error }, 'request failed');
    const line = lines.join('');
    expect(line).toContain('insert into \\"users\\"');
    expect(line).toContain('22021');
    expect(line).not.toContain('alice@example.com');
    expect(line).not.toContain('argon2');
    expect(line).not.toContain('0b8f2c3e-1111');
    expect(line).not.toMatch(/"params"|"detail"|params: /);
  });

  it('secret values are cut out under any key: hashes, JWTs, API keys, email addresses', () => {
    const { lines, logger } = capture();
    logger.info({
      note: `user bob@example.org has ${HASH}`,
      nested: { whatever: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2ln' },
      other: 'bu_abcdefghijklmnopqrstuvwxyz012345',
    });
    const line = lines.join('');
    expect(line).not.toContain('bob@example.org');
    expect(line).not.toContain('argon2');
    expect(line).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(line).not.toContain('bu_abcdefghijklmnop');
    expect(line.match(/\[redacted\]/g)?.length).toBe(4);
  });
});

describe.skipIf(!postgresAvailable())('a statement that PostgreSQL refuses (PostgreSQL)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    // A real refusal from the server for any new user, as a constraint or trigger would give.
    await api.testDb.handle.db.execute(sql`CREATE FUNCTION refuse_user() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'refused %', NEW.email; END $$`);
    await api.testDb.handle.db.execute(
      sql`CREATE TRIGGER refuse_user BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_user()`,
    );
  });
  afterAll(() => stopTestApi(api ?? {}));

  it('answers 500 without details and logs neither the email nor the password hash', async () => {
    const { lines, logger } = capture();
    const app = testServer(api.testDb.handle.db, { logger });
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: 'carol@example.com', password: 'a long enough passphrase', name: 'Carol' },
    });
    await app.close();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal_error', message: 'Internal server error' } });
    const text = lines.join('');
    expect(text).toContain('request failed');
    expect(text).toContain('insert into');
    expect(text).not.toContain('carol@example.com');
    expect(text).not.toContain('argon2');
    expect(text).not.toContain('a long enough passphrase');
  });
});

describe('request lines and readable lines', () => {
  it('logs one line per request at debug, none at info', async () => {
    const debug = capture();
    const info = capture();
    info.logger.level = 'info';
    for (const { logger } of [debug, info]) {
      const server = testServer({} as never, { logger });
      await server.inject({ method: 'GET', url: '/api/nothing-here?token=x' });
      await server.close();
    }
    const requestLines = debug.lines.filter((l) => l.includes('request completed'));
    expect(requestLines).toHaveLength(1);
    expect(JSON.parse(requestLines[0]!)).toMatchObject({
      level: 20,
      method: 'GET',
      url: '/api/nothing-here',
      statusCode: 404,
    });
    expect(info.lines.filter((l) => l.includes('request'))).toEqual([]);
  });

  it('prints a line for people at a terminal: time, level, name, message, fields, stack', () => {
    const json = JSON.stringify({
      level: 40,
      time: Date.UTC(2031, 0, 2, 3, 4, 5, 678),
      pid: 1,
      hostname: 'h',
      name: 'worker',
      msg: 'check failed',
      monitorId: 'abc',
      reason: 'tls certificate rejected',
      err: { message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)' },
    });
    expect(readableLogLine(json)).toBe(
      '03:04:05.678 WARN  worker: check failed  monitorId=abc reason="tls certificate rejected" err="boom"\n' +
        '    at f (x.ts:1:1)\n',
    );
    expect(readableLogLine('not json\n')).toBe('not json\n');
  });
});
