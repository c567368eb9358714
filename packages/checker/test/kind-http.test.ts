import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTlsTarget, type TlsTargetServer } from '@better-uptime/testing';
import { monitorKind, probe, withDefaults } from '../src/index.js';
import { judgeRegex, regexProblem } from '../src/assertions.js';

const options = { timeoutMs: 3_000, allowPrivateTargets: true };
const http = monitorKind('http')!;
const settings = (fields: Record<string, unknown>) => withDefaults(http, fields);

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

/** Echoes the request as JSON at /echo; compressed, JSON, slow and redirecting answers elsewhere. */
function handler(request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  void readBody(request).then((body) => {
    const json = JSON.stringify({
      method: request.method,
      headers: request.headers,
      body,
      status: 'ok',
      items: [{ name: 'first', load: 0.4 }],
    });
    const send = (status: number, headers: Record<string, string>, payload?: Buffer | string) => {
      response.writeHead(status, headers);
      response.end(request.method === 'HEAD' ? undefined : payload);
    };
    switch (path) {
      case '/echo':
        return send(200, { 'content-type': 'application/json' }, json);
      case '/gzip':
        return send(200, { 'content-encoding': 'gzip' }, zlib.gzipSync(json));
      case '/deflate':
        return send(200, { 'content-encoding': 'deflate' }, zlib.deflateSync(json));
      case '/br':
        return send(200, { 'content-encoding': 'br' }, zlib.brotliCompressSync(json));
      case '/bomb':
        return send(200, { 'content-encoding': 'gzip' }, zlib.gzipSync(Buffer.alloc(3 * 1_048_576, 'a')));
      case '/corrupt':
        return send(200, { 'content-encoding': 'gzip' }, 'not gzip at all');
      case '/private': {
        const expected = `Basic ${Buffer.from('ada:s3cret').toString('base64')}`;
        const allowed =
          request.headers.authorization === expected || request.headers.authorization === 'Bearer t0k';
        return send(allowed ? 200 : 401, {}, allowed ? 'welcome' : 'who are you');
      }
      case '/slow':
        setTimeout(() => send(200, {}, 'late'), 150);
        return;
      case '/see-other':
        return send(303, { location: '/echo' });
      case '/elsewhere':
        return send(307, { location: `http://localhost:${(request.socket.localPort ?? 0).toString()}/echo` });
      case '/hop':
        return send(302, { location: '/hop2' });
      case '/hop2':
        return send(302, { location: '/echo' });
      default:
        return send(404, {}, 'no');
    }
  });
}

describe('http prober', () => {
  let server: Server;
  let base: string;
  let tlsTarget: TlsTargetServer;
  let caTarget: TlsTargetServer;

  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tlsTarget = await startTlsTarget();
    caTarget = await startTlsTarget({ issuer: 'test-ca' });
  });
  afterAll(async () => {
    server.close();
    await tlsTarget.close();
    await caTarget.close();
  });

  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])(
    'sends %s with its headers and body',
    async (method) => {
      const outcome = await probe(
        'http',
        settings({
          url: `${base}/echo`,
          method,
          headers: { 'X-Probe': 'yes', 'Content-Type': 'text/plain', 'User-Agent': 'mine/1' },
          body: 'payload é',
          assertions: [
            { path: '$.method', op: 'equals', value: method },
            { path: '$.headers["x-probe"]', op: 'equals', value: 'yes' },
            { path: '$.headers["user-agent"]', op: 'equals', value: 'mine/1' },
            { path: '$.headers["content-length"]', op: 'equals', value: '10' },
            { path: '$.body', op: 'equals', value: 'payload é' },
          ],
        }),
        options,
      );
      expect(outcome).toMatchObject({ status: 'Up', statusCode: 200, reason: null });
    },
  );

  it('sends HEAD without reading a body', async () => {
    expect(await probe('http', settings({ url: `${base}/echo`, method: 'HEAD' }), options)).toMatchObject({
      status: 'Up',
      statusCode: 200,
    });
  });

  it('sends basic and bearer credentials', async () => {
    const url = `${base}/private`;
    expect(await probe('http', settings({ url }), options)).toMatchObject({
      reason: 'http_status',
      statusCode: 401,
    });
    const basic = settings({ url, auth: { type: 'basic', username: 'ada', password: 's3cret' } });
    expect(await probe('http', basic, options)).toMatchObject({ status: 'Up' });
    const bearer = settings({ url, auth: { type: 'bearer', token: 't0k' }, keyword: 'welcome' });
    expect(await probe('http', bearer, options)).toMatchObject({ status: 'Up' });
  });

  it.each(['/gzip', '/deflate', '/br'])('decodes a %s body before judging it', async (path) => {
    const outcome = await probe(
      'http',
      settings({
        url: `${base}${path}`,
        keyword: '"status":"ok"',
        regex: '"name":"fir[a-z]+"',
        assertions: [{ path: '$.items[0].load', op: 'lessThan', value: 0.5 }],
      }),
      options,
    );
    expect(outcome).toMatchObject({ status: 'Up', reason: null });
  });

  it('stops at 1 MiB decoded and fails a corrupt body as protocol', async () => {
    expect(await probe('http', settings({ url: `${base}/bomb`, keyword: 'b' }), options)).toMatchObject({
      status: 'Down',
      reason: 'too_large',
    });
    expect(await probe('http', settings({ url: `${base}/corrupt`, keyword: 'x' }), options)).toMatchObject({
      status: 'Down',
      reason: 'protocol',
    });
  });

  it('judges JSON values with each operator, and says which one failed', async () => {
    const check = (assertions: unknown[]) =>
      probe('http', settings({ url: `${base}/echo`, assertions }), options);
    expect(
      await check([
        { path: '$.status', op: 'equals', value: 'ok' },
        { path: '$.status', op: 'notEquals', value: 'down' },
        { path: "$['status']", op: 'contains', value: 'o' },
        { path: '$.items[0].load', op: 'greaterThan', value: 0.1 },
        { path: '$.items[0].load', op: 'lessThan', value: 1 },
      ]),
    ).toMatchObject({ status: 'Up' });
    expect(await check([{ path: '$.status', op: 'equals', value: 'down' }])).toMatchObject({
      status: 'Down',
      reason: 'assertion',
      message: '$.status is "\\"ok\\"", expected equals "\\"down\\""',
    });
    expect(await check([{ path: '$.missing.deep', op: 'equals', value: 1 }])).toMatchObject({
      reason: 'assertion',
      message: '$.missing.deep is not in the body',
    });
    const notJson = await probe(
      'http',
      settings({
        url: `${base}/private`,
        expectedStatus: ['401'],
        assertions: [{ path: '$.a', op: 'equals', value: 1 }],
      }),
      options,
    );
    expect(notJson).toMatchObject({
      reason: 'assertion',
      message: 'body is not JSON, so its values cannot be checked',
    });
  });

  it('fails a body that does not match the pattern', async () => {
    expect(
      await probe('http', settings({ url: `${base}/echo`, regex: '^\\{"method"' }), options),
    ).toMatchObject({
      status: 'Up',
    });
    expect(
      await probe('http', settings({ url: `${base}/echo`, regex: 'status":"down' }), options),
    ).toMatchObject({
      status: 'Down',
      reason: 'assertion',
    });
  });

  it('flags a slow answer as degraded, still up', async () => {
    const slow = await probe('http', settings({ url: `${base}/slow`, degradedAboveMs: 50 }), options);
    expect(slow).toMatchObject({ status: 'Up', details: { degraded: true } });
    const quick = await probe('http', settings({ url: `${base}/echo`, degradedAboveMs: 2_000 }), options);
    expect(quick).toMatchObject({ status: 'Up', details: null });
  });

  it('follows at most maxRedirects, turns a 303 into a GET, and keeps credentials to their origin', async () => {
    expect(await probe('http', settings({ url: `${base}/hop`, maxRedirects: 1 }), options)).toMatchObject({
      reason: 'redirects',
      message: expect.stringMatching(/^more than 1 redirects/),
    });
    expect(await probe('http', settings({ url: `${base}/hop`, maxRedirects: 2 }), options)).toMatchObject({
      status: 'Up',
    });
    const seeOther = await probe(
      'http',
      settings({
        url: `${base}/see-other`,
        method: 'POST',
        body: 'x',
        assertions: [
          { path: '$.method', op: 'equals', value: 'GET' },
          { path: '$.body', op: 'equals', value: '' },
        ],
      }),
      options,
    );
    expect(seeOther).toMatchObject({ status: 'Up' });
    // localhost is another origin than 127.0.0.1: the token and the monitor's headers stay behind.
    const elsewhere = await probe(
      'http',
      settings({
        url: `${base}/elsewhere`,
        auth: { type: 'bearer', token: 't0k' },
        headers: { 'X-Secret': 's' },
        assertions: [{ path: '$.headers.authorization', op: 'equals', value: 'Bearer t0k' }],
      }),
      options,
    );
    expect(elsewhere).toMatchObject({
      status: 'Down',
      reason: 'assertion',
      message: '$.headers.authorization is not in the body',
    });
  });

  it('accepts a self-signed certificate only when told to ignore TLS errors, and records it', async () => {
    const url = `${tlsTarget.url}/ok`;
    expect(await probe('http', settings({ url }), options)).toMatchObject({ status: 'Down', reason: 'tls' });
    const ignoring = await probe('http', settings({ url, ignoreTlsErrors: true }), options);
    expect(ignoring).toMatchObject({ status: 'Up', statusCode: 200 });
    expect(ignoring.details).toMatchObject({
      certificate: { subject: 'localhost', names: expect.arrayContaining(['localhost', '127.0.0.1']) },
    });
    expect(ignoring.certExpiresAt?.getTime()).toBe(tlsTarget.certExpiresAt.getTime());
  });

  it('trusts the CA given in the settings', async () => {
    const url = `${caTarget.url}/ok`;
    expect(await probe('http', settings({ url }), options)).toMatchObject({ status: 'Down', reason: 'tls' });
    const trusted = await probe('http', settings({ url, caCert: caTarget.ca }), options);
    expect(trusted).toMatchObject({ status: 'Up' });
    expect(trusted.details).toMatchObject({ certificate: { issuer: expect.any(String) } });
  });

  it('runs stored settings from before a field existed with its default', async () => {
    const old = {
      url: `${base}/echo`,
      method: 'GET',
      expectedStatus: ['2xx'],
      keyword: null,
      keywordMode: 'present',
      followRedirects: true,
    };
    expect(await probe('http', old, options)).toMatchObject({ status: 'Up' });
  });
});

describe('regular expressions', () => {
  it.each([
    ['(a+)+$', 'could backtrack catastrophically'],
    ['(a|aa)*b', 'could backtrack catastrophically'],
    ['(?:x*y*)+z', 'could backtrack catastrophically'],
    ['((ab)*c){2,}', 'could backtrack catastrophically'],
    ['(a)\\1', 'must not use backreferences'],
    ['(', 'must be a valid regular expression'],
  ])('refuses %s', (pattern, problem) => {
    expect(regexProblem(pattern)).toContain(problem);
  });

  it.each(['^ok$', 'status":"(up|ok)"', '[a-z]+-\\d{2,}', '(foo)+bar', 'a*b+c?'])('accepts %s', (pattern) => {
    expect(regexProblem(pattern)).toBeNull();
  });

  it('gives up on a pattern that runs too long instead of hanging the worker', () => {
    const started = performance.now();
    const verdict = judgeRegex('^(a|a)*$', `${'a'.repeat(40)}!`);
    expect(verdict).toMatchObject({
      reason: 'assertion',
      message: expect.stringMatching(/did not finish within 100 ms/),
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
