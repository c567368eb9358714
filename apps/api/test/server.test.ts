import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@better-uptime/db';
import { postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import { signup, startTestApi, stopTestApi, testServer, type TestServer, type TestUser } from './helpers.js';

const ROUTES: Array<[string, string]> = [
  ['get', '/api/auth/signup'],
  ['post', '/api/auth/signup'],
  ['post', '/api/auth/login'],
  ['post', '/api/auth/logout'],
  ['get', '/api/auth/me'],
  ['put', '/api/auth/password'],
  ['delete', '/api/auth/account'],
  ['get', '/api/auth/sessions'],
  ['delete', '/api/auth/sessions/{id}'],
  ['get', '/api/auth/totp'],
  ['post', '/api/auth/totp/setup'],
  ['post', '/api/auth/totp/enable'],
  ['post', '/api/auth/totp/disable'],
  ['post', '/api/keys'],
  ['get', '/api/keys'],
  ['delete', '/api/keys/{id}'],
  ['post', '/api/monitor'],
  ['get', '/api/monitor'],
  ['get', '/api/monitor/{id}'],
  ['put', '/api/monitor/{id}'],
  ['delete', '/api/monitor/{id}'],
  ['post', '/api/monitor/{id}/push-token'],
  ['get', '/api/push/{token}'],
  ['post', '/api/push/{token}'],
  ['get', '/api/results/{monitorId}/checks'],
  ['get', '/api/results/{monitorId}/latest'],
  ['delete', '/api/results/{monitorId}/cleanup'],
  ['get', '/api/health'],
  ['get', '/api/ready'],
  ['get', '/api/regions'],
  ['get', '/api/overview'],
  ['get', '/api/overview/events'],
  ['get', '/api/tags'],
  ['get', '/api/results/{monitorId}/stats'],
  ['get', '/api/badges/{monitorId}/status.svg'],
  ['post', '/api/status-pages'],
  ['post', '/api/incidents/{id}/updates'],
  ['get', '/api/status-pages'],
  ['get', '/api/status-pages/{id}'],
  ['put', '/api/status-pages/{id}'],
  ['delete', '/api/status-pages/{id}'],
  ['get', '/api/public/status-pages/{slug}'],
  ['get', '/api/badges/{monitorId}/uptime.svg'],
  ['get', '/api/badges/{monitorId}/response.svg'],
  ['get', '/api/incidents'],
  ['get', '/api/incidents/{id}'],
  ['post', '/api/incidents/{id}/acknowledge'],
  ['post', '/api/maintenance'],
  ['get', '/api/maintenance'],
  ['get', '/api/maintenance/{id}'],
  ['put', '/api/maintenance/{id}'],
  ['delete', '/api/maintenance/{id}'],
  ['post', '/api/channels'],
  ['get', '/api/channels'],
  ['get', '/api/channels/{id}'],
  ['put', '/api/channels/{id}'],
  ['delete', '/api/channels/{id}'],
  ['post', '/api/channels/{id}/test'],
  ['get', '/api/channels/{id}/deliveries'],
  ['get', '/api/incidents/{id}/deliveries'],
];

describe.skipIf(!postgresAvailable())('API server (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi());
    user = await signup(app);
  });
  afterAll(() => stopTestApi({ app, testDb }));

  describe('health', () => {
    it('200 when the database answers', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', database: 'up' });
    });

    it('503 when the database does not', async () => {
      const handle = await openDatabase({ databaseUrl: testDb.url, poolSize: 1 });
      await handle.close();
      const broken = testServer(handle.db);
      const res = await broken.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', database: 'down' });
      await broken.close();
    });
  });

  describe('faults', () => {
    it('a real fault is a 500 with a generic message; the details go to the log only', async () => {
      const lines: string[] = [];
      const logger = pino(
        { level: 'error' },
        new Writable({
          write(chunk, _e, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      );
      const handle = await openDatabase({ databaseUrl: testDb.url, poolSize: 1 });
      await handle.close();
      const broken = testServer(handle.db, { logger });
      const res = await broken.inject({ method: 'GET', url: '/api/auth/me', headers: user.bearer });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: { code: 'internal_error', message: 'Internal server error' } });
      expect(res.body).not.toMatch(/pool|stack|at /i);
      expect(lines.join('')).toContain('Cannot use a pool after calling end');
      await broken.close();
    });
  });

  describe('request bodies', () => {
    const post = (payload: string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/api/monitor', headers: { ...user.bearer, ...headers }, payload });

    it('malformed JSON -> 400', async () => {
      for (const payload of ['{"url": ', '{url: "x"}', "{'url':'https://example.com'}", 'undefined']) {
        const res = await post(payload, { 'content-type': 'application/json' });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({
          error: { code: 'validation_error', message: 'body is not valid JSON' },
        });
      }
    });

    it('prototype pollution attempts -> 400', async () => {
      const res = await post('{"url":"https://example.com","__proto__":{"admin":true}}', {
        'content-type': 'application/json',
      });
      expect(res.statusCode).toBe(400);
    });

    it('a JSON body with an empty payload is "no body"', async () => {
      const res = await post('', { 'content-type': 'application/json' });
      expect(res.json()).toMatchObject({
        error: { code: 'validation_error', message: 'body must be an object' },
      });
    });

    it('a body that is not JSON -> 415', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const res = await post('url=https://example.com', { 'content-type': type });
        expect(res.statusCode).toBe(415);
        expect(res.json().error.code).toBe('unsupported_media_type');
      }
    });

    it('a body over 64 KiB -> 413, at 64 KiB it is read', async () => {
      const big = JSON.stringify({ url: 'https://example.com/', name: 'x'.repeat(65_536) });
      const res = await post(big, { 'content-type': 'application/json' });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toEqual({ error: { code: 'payload_too_large', message: 'body is too large' } });
      const fits = JSON.stringify({ url: 'https://example.com/', name: 'x'.repeat(65_536 - 40) });
      expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(65_536);
      const read = await post(fits, { 'content-type': 'application/json' });
      expect(read.json().error.message).toBe('body/name must be at most 200 characters');
    });
  });

  describe('routing and documentation', () => {
    it('unknown routes answer 404 in the error shape', async () => {
      for (const [method, url] of [
        ['GET', '/api/nothing'],
        ['GET', '/docs/nothing'],
        ['PATCH', '/api/monitor'],
        ['POST', '/api/results/x/checks'],
      ] as const) {
        const res = await app.inject({ method, url });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({
          error: { code: 'not_found', message: expect.stringContaining('No route') },
        });
      }
    });

    it('the OpenAPI document describes every route with tags, responses and security', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.components.securitySchemes).toEqual({
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A JWT from login or signup, or an API key (bu_...)',
        },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'bu_session' },
      });
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
        ([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`),
      );
      expect(documented.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
      for (const [method, path] of ROUTES) {
        const op = doc.paths[path][method];
        expect(op.tags?.length, `${method} ${path} tags`).toBeGreaterThan(0);
        const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
        expect(success.length, `${method} ${path} success response`).toBe(1);
        const isPublic =
          ['/api/auth/signup', '/api/auth/login', '/api/health', '/api/ready'].includes(path) ||
          path.startsWith('/api/badges/') ||
          path.startsWith('/api/public/') ||
          path.startsWith('/api/push/');
        if (!isPublic) {
          expect(op.security, `${method} ${path} security`).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
          expect(op.responses['401'], `${method} ${path} 401`).toBeDefined();
        }
        // Every route may find the database away.
        expect(op.responses['503'], `${method} ${path} 503`).toBeDefined();
      }
      expect(Object.keys(doc.paths['/api/monitor'].post.responses).sort()).toEqual(
        ['201', '400', '401', '403', '413', '415', '429', '503'].sort(),
      );
      expect(JSON.stringify(doc)).not.toMatch(/passwordHash|password_hash/);
    });

    it('/docs serves readable documentation', async () => {
      const res = await app.inject({ method: 'GET', url: '/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('Swagger UI');
    });

    it('/docs and its files carry the security headers the dashboard has', async () => {
      for (const url of ['/docs', '/docs/', '/docs/static/swagger-initializer.js', '/docs/json']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBeLessThan(400);
        expect(res.headers['x-frame-options'], url).toBe('DENY');
        expect(res.headers['x-content-type-options'], url).toBe('nosniff');
        expect(res.headers['referrer-policy'], url).toBe('same-origin');
        const csp = String(res.headers['content-security-policy']);
        expect(csp, url).toContain("script-src 'self'");
        expect(csp, url).toContain("frame-ancestors 'none'");
        expect(csp, url).not.toMatch(/script-src[^;]*unsafe/);
      }
    });
  });

  describe('requests refused before routing use the error shape', () => {
    let port: number;
    let listening: TestServer;

    beforeAll(async () => {
      listening = testServer(testDb.handle.db);
      port = Number(new URL(await listening.listen({ host: '127.0.0.1', port: 0 })).port);
    });
    afterAll(() => listening?.close());

    /** Sends raw bytes and returns the status and parsed body of the answer. */
    const raw = (request: string) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head, body] = text.split('\r\n\r\n', 2) as [string, string];
          resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
        });
      });

    it('a path that is not valid percent-encoding -> 400', async () => {
      const res = await raw('GET /api/monitor/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: { code: 'bad_request', message: 'The path is not valid percent-encoded text' },
      });
    });

    it('headers over the limit -> 431', async () => {
      const big = 'a'.repeat(20_000);
      const res = await raw(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`);
      expect(res.status).toBe(431);
      expect(res.body).toEqual({
        error: { code: 'headers_too_large', message: 'Request headers are too large' },
      });
    });

    it('a malformed request line -> 400', async () => {
      const res = await raw('GARBAGE\r\n\r\n');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'bad_request', message: 'Malformed HTTP request' } });
    });
  });
});
