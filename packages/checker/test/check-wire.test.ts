/**
 * Responses as servers really put them on the wire, from a raw TCP server: what node:http's server would
 * never send (oversized or malformed heads, broken chunking, interim answers, silent closes).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/index.js';
import { checkRequest } from './helpers.js';

/** Each path answers with the bytes its function writes once the request head has arrived. */
const ANSWERS: Record<string, (socket: Socket) => void> = {
  '/huge-head': (s) => s.end(`HTTP/1.1 200 OK\r\nX-Filler: ${'a'.repeat(40_000)}\r\n\r\nok`),
  '/bad-chunk': (s) =>
    s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\nxx\r\n0\r\n\r\n'),
  '/early-hints': (s) =>
    s.end(
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nhealthy',
    ),
  '/folded': (s) => s.end('HTTP/1.1 200 OK\r\nX-Note: one\r\n two\r\nContent-Length: 2\r\n\r\nok'),
  '/silent-close': (s) => s.end(),
  '/chunk-trickle': (s) => {
    // A chunked body whose keyword arrives in the last chunk, each chunk in its own segment.
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const parts = ['6\r\nstatus\r\n', '2\r\n: \r\n', '7\r\nhealthy\r\n', '0\r\n\r\n'];
    let i = 0;
    const next = () => {
      if (i === parts.length) return void s.end();
      s.write(parts[i++]!);
      setTimeout(next, 15);
    };
    next();
  },
  '/close-delimited': (s) => {
    s.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall ');
    setTimeout(() => s.end('good'), 30);
  },
  '/short-body': (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'),
  '/lf-only': (s) => s.end('HTTP/1.1 204 No Content\n\n'),
};

describe('responses off the wire', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      let head = '';
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        requests.push(head);
        const path = head.split(' ')[1] ?? '';
        const answer = ANSWERS[path];
        if (answer) answer(socket);
        else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('sends one well-formed request per connection: Host with port, identity encoding, Connection: close', async () => {
    requests.length = 0;
    await runCheck(checkRequest(`${base.replace('127.0.0.1', 'user:p%40ss@127.0.0.1')}/lf-only?q=1`));
    const [head] = requests;
    const lines = head!.split('\r\n');
    expect(lines[0]).toBe('GET /lf-only?q=1 HTTP/1.1');
    expect(lines).toContain(`Host: ${new URL(base).host}`);
    expect(lines).toContain('Accept-Encoding: identity');
    expect(lines).toContain('Connection: close');
    expect(lines).toContain(`Authorization: Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    expect(head!.endsWith('\r\n\r\n')).toBe(true);
  });

  it('refuses response headers over 16 KB as protocol', async () => {
    const outcome = await runCheck(checkRequest(`${base}/huge-head`));
    expect(outcome).toMatchObject({ status: 'Down', reason: 'protocol' });
    expect(outcome.message).toMatch(
      /^malformed HTTP response: response headers larger than 16384 bytes \(HPE_HEADER_OVERFLOW\)$/,
    );
  });

  it('reports a broken chunked body as protocol, keeping the status code', async () => {
    const outcome = await runCheck(checkRequest(`${base}/bad-chunk`));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'protocol',
      statusCode: 200,
      message: 'malformed HTTP response: invalid chunk size (HPE_INVALID_CHUNK_SIZE)',
    });
  });

  it('judges the final answer after a 103 Early Hints, keyword included', async () => {
    const outcome = await runCheck(checkRequest(`${base}/early-hints`, { keyword: 'healthy' }));
    expect(outcome).toMatchObject({ status: 'Up', statusCode: 200 });
  });

  it('accepts folded header lines and bare-LF heads', async () => {
    expect(await runCheck(checkRequest(`${base}/folded`))).toMatchObject({ status: 'Up', statusCode: 200 });
    expect(await runCheck(checkRequest(`${base}/lf-only`))).toMatchObject({ status: 'Up', statusCode: 204 });
  });

  it('reports a connection accepted, then closed without an answer, as protocol', async () => {
    const outcome = await runCheck(checkRequest(`${base}/silent-close`));
    expect(outcome).toMatchObject({
      status: 'Down',
      reason: 'protocol',
      statusCode: null,
      message: `${new URL(base).host} accepted the connection, then closed it before a complete response (ECONNRESET)`,
    });
    expect(outcome.timings.firstByteMs).toBeNull();
  });

  it('finds a keyword in the last of several chunks, and in a body delimited by the close', async () => {
    expect(
      await runCheck(checkRequest(`${base}/chunk-trickle`, { keyword: 'status: healthy' })),
    ).toMatchObject({
      status: 'Up',
    });
    expect(await runCheck(checkRequest(`${base}/close-delimited`, { keyword: 'all good' }))).toMatchObject({
      status: 'Up',
    });
  });

  it('reports a body shorter than its Content-Length as protocol', async () => {
    expect(await runCheck(checkRequest(`${base}/short-body`))).toMatchObject({
      status: 'Down',
      reason: 'protocol',
      statusCode: 200,
      message: 'connection closed mid-body after 9 bytes',
    });
  });
});
