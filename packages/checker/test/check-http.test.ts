import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_CLOCK_SLACK_MS, startTarget, type TargetServer } from '@better-uptime/testing';
import { MAX_BODY_BYTES, runCheck } from '../src/index.js';
import { checkRequest } from './helpers.js';

let target: TargetServer;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('status codes', () => {
  it('is Up on 200 with timings of a plain http hop to an IP literal', async () => {
    const wallBefore = Date.now();
    const outcome = await runCheck(checkRequest(`${target.url}/ok`));
    expect(outcome).toMatchObject({
      status: 'Up',
      reason: null,
      message: null,
      statusCode: 200,
      certExpiresAt: null,
    });
    expect(outcome.startedAt).toBeGreaterThanOrEqual(wallBefore);
    expect(outcome.timings.dnsMs).toBeNull(); // IP literal: no lookup
    expect(outcome.timings.tlsMs).toBeNull(); // plain http
    expect(outcome.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(outcome.timings.connectMs).toBeLessThan(50);
    expect(outcome.timings.firstByteMs).not.toBeNull();
    expect(outcome.responseTimeMs).toBeGreaterThanOrEqual(outcome.timings.firstByteMs ?? 0);
    for (const value of [outcome.responseTimeMs, ...Object.values(outcome.timings)]) {
      if (value !== null) expect(Number.isInteger(value)).toBe(true);
    }
  });

  it('is Down with reason http_status on 500', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/status/500`));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'http_status',
      statusCode: 500,
      message: 'status 500 is not one of the expected 200-299',
    });
  });

  it.each([
    ['/status/404', ['404'], 'Up'],
    ['/status/404', ['200-299', '404'], 'Up'],
    ['/status/503', ['2xx'], 'Down'],
    ['/status/299', ['200-299'], 'Up'],
    ['/status/300', ['200-299'], 'Down'],
    ['/status/304', ['304'], 'Up'],
    ['/ok', ['201'], 'Down'],
  ] as const)('%s with expected %j is %s', async (path, expectedStatus, status) => {
    const outcome = await runCheck(checkRequest(`${target.url}${path}`, { expectedStatus }));
    expect(outcome.status).toBe(status);
    if (status === 'Down') expect(outcome.reason).toBe('http_status');
  });

  it('uses 200-299 when no expected status is given', async () => {
    expect((await runCheck(checkRequest(`${target.url}/ok`, { expectedStatus: [] }))).status).toBe('Up');
    const down = await runCheck(checkRequest(`${target.url}/status/404`, { expectedStatus: [] }));
    expect(down.reason).toBe('http_status');
  });

  it('follows a runtime override of a path', async () => {
    target.override('/flaky', { status: 500, body: 'boom' });
    expect((await runCheck(checkRequest(`${target.url}/flaky`))).reason).toBe('http_status');
    target.override('/flaky', { status: 200, body: 'fine' });
    expect((await runCheck(checkRequest(`${target.url}/flaky`))).status).toBe('Up');
    target.override('/flaky', null);
    expect(target.hitCount('/flaky')).toBe(2);
  });
});

describe('slow and hanging targets', () => {
  it('is Up within the timeout and times the server delay as first byte', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/delay/200`, { timeoutMs: 2_000 }));
    expect(outcome.status).toBe('Up');
    expect(outcome.timings.firstByteMs).toBeGreaterThanOrEqual(195);
    expect(outcome.timings.firstByteMs).toBeLessThanOrEqual(260);
    expect(outcome.responseTimeMs).toBeGreaterThanOrEqual(outcome.timings.firstByteMs ?? Infinity);
    expect(outcome.timings.connectMs).toBeLessThan(50);
  });

  it('times out a slow response, with the response time close to the timeout', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/delay/2000`, { timeoutMs: 300 }));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'timeout',
      statusCode: null,
      message: 'timed out after 300 ms waiting for the response headers',
    });
    expect(outcome.responseTimeMs).toBeGreaterThanOrEqual(298);
    expect(outcome.responseTimeMs).toBeLessThan(400);
    expect(outcome.timings.connectMs).not.toBeNull();
    expect(outcome.timings.firstByteMs).toBeNull();
  });

  it('times out a hanging target', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/hang`, { timeoutMs: 250 }));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'timeout' });
    expect(outcome.responseTimeMs).toBeLessThan(400);
  });

  it('counts every hop against the total timeout', async () => {
    const location = encodeURIComponent('/delay/400');
    const outcome = await runCheck(
      checkRequest(`${target.url}/redirect-to?location=${location}`, { timeoutMs: 300 }),
    );
    expect(outcome.reason).toBe('timeout');
    expect(outcome.responseTimeMs).toBeLessThan(400);
  });

  it('applies the connect timeout to a TLS handshake that never completes', async () => {
    // Accepts TCP connections and then says nothing, so the TLS handshake waits forever.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const outcome = await runCheck(
        checkRequest(`https://127.0.0.1:${port}/`, { timeoutMs: 3_000, connectTimeoutMs: 200 }),
      );
      expect(outcome).toMatchObject({
        status: 'Down',
        reason: 'timeout',
        message: `TLS handshake with 127.0.0.1:${port} did not finish within 200 ms`,
      });
      expect(outcome.responseTimeMs).toBeLessThan(400);
      expect(outcome.timings.connectMs).not.toBeNull();
      expect(outcome.timings.tlsMs).toBeNull();
    } finally {
      silent.close();
    }
  });

  it('applies the connect timeout to a DNS lookup that never answers', async () => {
    const outcome = await runCheck(
      checkRequest('http://stuck.example.test/', {
        timeoutMs: 3_000,
        connectTimeoutMs: 150,
        resolveHost: () => new Promise(() => undefined),
      }),
    );
    expect(outcome).toMatchObject({
      reason: 'timeout',
      message: 'DNS lookup for stuck.example.test did not finish within 150 ms',
    });
  });
});

describe('broken connections and responses', () => {
  it('reports a connection accepted, then reset before any response, as protocol', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/reset`));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'protocol', statusCode: null });
    expect(outcome.message).toMatch(/accepted the connection, then closed it before a complete response/);
  });

  it('reports a refused connection as connect', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const outcome = await runCheck(checkRequest(`http://127.0.0.1:${closed}/`));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'connect', statusCode: null });
    expect(outcome.message).toBe(`connection refused by 127.0.0.1:${closed}`);
  });

  it('reports a connection lost mid-body as protocol, keeping the status code', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/reset-mid-body`));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'protocol',
      statusCode: 200,
      message: 'connection closed mid-body after 10 bytes',
    });
  });

  it('reports a non-HTTP answer as protocol', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/garbage`));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'protocol' });
    expect(outcome.message).toMatch(/^malformed HTTP response: .*\(HPE_[A-Z_]+\)$/);
  });

  it('judges a 101 Switching Protocols answer by its status instead of waiting', async () => {
    target.override('/upgrade', (request) => {
      request.socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      );
    });
    const outcome = await runCheck(checkRequest(`${target.url}/upgrade`, { timeoutMs: 2_000 }));
    target.override('/upgrade', null);
    expect(outcome).toMatchObject({ status: 'Down', reason: 'http_status', statusCode: 101 });
    expect(outcome.responseTimeMs).toBeLessThan(500);
    await target.waitForNoConnections();
  });

  it('reports a refused connection as connect', async () => {
    const port = await closedPort();
    const outcome = await runCheck(checkRequest(`http://127.0.0.1:${port}/`));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'connect',
      message: `connection refused by 127.0.0.1:${port}`,
    });
  });

  it('reports a failing custom resolver as dns, with its time', async () => {
    const outcome = await runCheck(
      checkRequest('http://nowhere.example.test/', {
        resolveHost: async () => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          throw Object.assign(new Error('queryA ENOTFOUND nowhere.example.test'), { code: 'ENOTFOUND' });
        },
      }),
    );
    expect(outcome).toMatchObject({ reason: 'dns', message: 'DNS: nowhere.example.test not found' });
    expect(outcome.timings.dnsMs).toBeGreaterThanOrEqual(28);
  });

  it('reports a resolver answering without addresses as dns', async () => {
    const outcome = await runCheck(
      checkRequest('http://empty.example.test/', { resolveHost: async () => [] }),
    );
    expect(outcome.reason).toBe('dns');
  });

  it.each([
    ['not a url', 'invalid URL "not a url"'],
    ['ftp://127.0.0.1/file', 'unsupported URL scheme ftp:'],
  ])('resolves, never rejects, for the unusable URL %j', async (url, message) => {
    await expect(runCheck(checkRequest(url))).resolves.toMatchObject({
      status: 'Down',
      reason: 'protocol',
      message,
    });
  });
});

describe('bodies and keywords', () => {
  it('stops reading an endless body at 1 MiB without failing', async () => {
    const started = performance.now();
    const outcome = await runCheck(checkRequest(`${target.url}/endless`));
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
    expect(performance.now() - started).toBeLessThan(2_000);
    await target.waitForNoConnections();
  });

  it('is too_large when the keyword lies beyond the cap', async () => {
    const outcome = await runCheck(
      checkRequest(`${target.url}/big/${2 * MAX_BODY_BYTES}?suffix=needle`, { keyword: 'needle' }),
    );
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'too_large',
      statusCode: 200,
      message: 'keyword "needle" not found in the first 1 MiB of the body',
    });
  });

  it('is too_large for an endless body in either keyword mode', async () => {
    for (const keywordMode of ['present', 'absent'] as const) {
      const outcome = await runCheck(
        checkRequest(`${target.url}/endless`, { keyword: 'needle', keywordMode }),
      );
      expect(outcome.reason).toBe('too_large');
    }
  });

  it('finds a keyword that ends exactly at the cap', async () => {
    const outcome = await runCheck(
      checkRequest(`${target.url}/big/${MAX_BODY_BYTES - 6}?suffix=needle`, { keyword: 'needle' }),
    );
    expect(outcome.status).toBe('Up');
    const absent = await runCheck(
      checkRequest(`${target.url}/big/${MAX_BODY_BYTES}`, { keyword: 'needle', keywordMode: 'absent' }),
    );
    expect(absent.status).toBe('Up');
  });

  it('is Up when a present keyword is found and Down keyword when it is not', async () => {
    const url = `${target.url}/keyword?text=${encodeURIComponent('All systems operational')}`;
    expect((await runCheck(checkRequest(url, { keyword: 'operational' }))).status).toBe('Up');
    const missing = await runCheck(checkRequest(url, { keyword: 'maintenance' }));
    expect(missing).toMatchObject({ status: 'Down', reason: 'keyword', statusCode: 200 });
  });

  it('is Down keyword when an absent keyword shows up, Up when it does not', async () => {
    const url = `${target.url}/keyword?text=${encodeURIComponent('Fatal error')}`;
    const found = await runCheck(checkRequest(url, { keyword: 'Fatal error', keywordMode: 'absent' }));
    expect(found).toMatchObject({
      status: 'Down',
      reason: 'keyword',
      message: 'keyword "Fatal error" found in the body',
    });
    expect((await runCheck(checkRequest(url, { keyword: 'Exception', keywordMode: 'absent' }))).status).toBe(
      'Up',
    );
  });

  it('finds a keyword split across separately sent chunks', async () => {
    const url = `${target.url}/chunks?part=status%3A%20heal&part=thy%20and%20well&gapMs=30`;
    expect((await runCheck(checkRequest(url, { keyword: 'healthy' }))).status).toBe('Up');
    const absent = await runCheck(checkRequest(url, { keyword: 'healthy', keywordMode: 'absent' }));
    expect(absent.reason).toBe('keyword');
  });

  it('stops reading as soon as the keyword is found', async () => {
    // The keyword is in the first chunk; the second would come 2 s later.
    const url = `${target.url}/chunks?part=ready&part=later&gapMs=2000`;
    const outcome = await runCheck(checkRequest(url, { keyword: 'ready' }));
    expect(outcome.status).toBe('Up');
    expect(outcome.responseTimeMs).toBeLessThan(500);
  });
});

describe('redirects', () => {
  it('follows a chain of 3 and judges the final response', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/redirect/3`));
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
    expect(
      target
        .hits()
        .slice(-4)
        .map((hit) => hit.path),
    ).toEqual(['/redirect/3', '/redirect/2', '/redirect/1', '/ok']);
  });

  it('follows 5 redirects but not 6', async () => {
    expect((await runCheck(checkRequest(`${target.url}/redirect/5`))).status).toBe('Up');
    const outcome = await runCheck(checkRequest(`${target.url}/redirect/6`));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'redirects', statusCode: 302 });
    expect(outcome.message).toMatch(/^more than 5 redirects/);
  });

  it('detects a redirect loop', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/redirect-loop`));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'redirects', statusCode: 302 });
    expect(outcome.message).toMatch(/^redirect loop: /);
  });

  it('judges the 3xx itself when redirects are not followed', async () => {
    const url = `${target.url}/redirect/1?status=301`;
    const down = await runCheck(checkRequest(url, { followRedirects: false }));
    expect(down).toMatchObject({ status: 'Down', reason: 'http_status', statusCode: 301 });
    const up = await runCheck(checkRequest(url, { followRedirects: false, expectedStatus: ['301'] }));
    expect(up).toMatchObject({ status: 'Up', statusCode: 301 });
  });

  it('reports a Location with an unsupported scheme as protocol', async () => {
    const outcome = await runCheck(
      checkRequest(`${target.url}/redirect-to?location=${encodeURIComponent('ftp://x/')}`),
    );
    expect(outcome).toMatchObject({ reason: 'protocol', message: 'unsupported redirect to ftp:' });
  });

  it('times the final hop and the whole chain', async () => {
    const location = encodeURIComponent('/delay/150');
    const outcome = await runCheck(checkRequest(`${target.url}/redirect-to?location=${location}&status=307`));
    expect(outcome.status).toBe('Up');
    expect(outcome.timings.firstByteMs).toBeGreaterThanOrEqual(145);
    expect(outcome.timings.firstByteMs).toBeLessThan(220);
    expect(outcome.responseTimeMs).toBeGreaterThanOrEqual(outcome.timings.firstByteMs ?? Infinity);
  });
});

describe('HEAD', () => {
  it('sends HEAD and judges the status without a body', async () => {
    const outcome = await runCheck(checkRequest(`${target.url}/endless`, { method: 'HEAD' }));
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
    expect(target.hits('/endless').at(-1)?.method).toBe('HEAD');
    const down = await runCheck(checkRequest(`${target.url}/status/503`, { method: 'HEAD' }));
    expect(down.reason).toBe('http_status');
  });
});

describe('first byte of a delayed target', () => {
  it('times the first response byte, not the end of the header block', async () => {
    // The status line leaves after 100 ms, the rest of the headers 200 ms later: first byte is the former.
    target.override('/split-headers', (_request, response) => {
      const socket = response.socket!;
      const first = setTimeout(() => socket.write('HTTP/1.1 200 OK\r\n'), 100);
      const rest = setTimeout(() => socket.end('content-length: 2\r\nconnection: close\r\n\r\nok'), 300);
      socket.once('close', () => {
        clearTimeout(first);
        clearTimeout(rest);
      });
    });
    try {
      const outcome = await runCheck(checkRequest(`${target.url}/split-headers`));
      expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
      // The target's 100 ms timer counts from the event loop's cached time, which can be a few ms behind
      // the request's arrival; what matters is the status line's time, far from the header block's 300.
      expect(outcome.timings.firstByteMs).toBeGreaterThanOrEqual(90);
      expect(outcome.timings.firstByteMs).toBeLessThan(250);
      expect(outcome.responseTimeMs).toBeGreaterThanOrEqual(300 - KERNEL_CLOCK_SLACK_MS);
    } finally {
      target.override('/split-headers', null);
    }
  });

  it('is not early for a 200 ms target (beyond the kernel clock’s tick), and the phases add up to at most the response time', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => runCheck(checkRequest(`${target.url}/delay/200`))),
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('Up');
      const { connectMs, firstByteMs } = outcome.timings;
      expect(firstByteMs).toBeGreaterThanOrEqual(200 - KERNEL_CLOCK_SLACK_MS);
      expect(firstByteMs).toBeLessThan(300);
      // Each phase is rounded on its own, hence the 1 ms of slack.
      expect((connectMs ?? 0) + (firstByteMs ?? 0)).toBeLessThanOrEqual(outcome.responseTimeMs + 1);
    }
  });
});
