import { describe, expect, it } from 'vitest';
import {
  HttpProtocolError,
  MAX_HEADER_BYTES,
  ResponseParser,
  type ResponseHead,
} from '../src/response-parser.js';

interface Read {
  head: ResponseHead | null;
  body: string;
  complete: boolean;
}

/**
 * Feeds `wire` to a parser in pieces of `size` bytes (every split point is exercised across the sizes),
 * then the connection's end if `close`. `stopAfter`: the handler asks to stop once it has that many bytes.
 */
function read(
  wire: string | Buffer,
  options: {
    method?: 'GET' | 'HEAD';
    size?: number;
    close?: boolean;
    stopAfter?: number;
    wantBody?: boolean;
  } = {},
): Read {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  const result: Read = { head: null, body: '', complete: false };
  const parser = new ResponseParser(options.method ?? 'GET', {
    onHead: (head) => {
      result.head = head;
      return options.wantBody ?? true;
    },
    onBody: (chunk) => {
      result.body += chunk.toString('latin1');
      return options.stopAfter !== undefined && result.body.length >= options.stopAfter;
    },
    onComplete: () => {
      result.complete = true;
    },
  });
  const size = options.size ?? bytes.length;
  for (let i = 0; i < bytes.length && !parser.finished; i += size) parser.push(bytes.subarray(i, i + size));
  if (options.close) parser.end();
  return result;
}

function protocolError(fn: () => unknown): HttpProtocolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpProtocolError) return error;
    throw error;
  }
  throw new Error('expected an HttpProtocolError');
}

const SIZES = [1, 2, 3, 5, 7, 13, 1000];

describe('response parser', () => {
  it.each(SIZES)('reads a Content-Length body however the bytes are split (%i-byte pieces)', (size) => {
    const wire =
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello worldTRAILING';
    const got = read(wire, { size });
    expect(got.head).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/plain', 'content-length': '11' },
    });
    // Bytes past the declared length are not body.
    expect(got).toMatchObject({ body: 'hello world', complete: true });
  });

  it.each(SIZES)('decodes a chunked body with extensions and trailers (%i-byte pieces)', (size) => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n' +
      '1\r\n \r\n' +
      'A\r\n0123456789\r\n' +
      '0\r\nExpires: never\r\n\r\n';
    expect(read(wire, { size })).toMatchObject({ body: 'hello 0123456789', complete: true });
  });

  it('accepts bare LF line endings, as lenient servers send them', () => {
    const wire = 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok';
    expect(read(wire)).toMatchObject({ head: { statusCode: 200 }, body: 'ok', complete: true });
    const chunked = 'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n';
    expect(read(chunked, { size: 1 })).toMatchObject({ body: 'ok', complete: true });
  });

  it('skips interim 1xx answers and reads the final response', () => {
    const wire =
      'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone';
    for (const size of [1, 9, 1000]) {
      expect(read(wire, { size })).toMatchObject({
        head: { statusCode: 404, headers: { 'content-length': '4' } },
        body: 'gone',
        complete: true,
      });
    }
  });

  it('has no body for HEAD, 204, 304 and 101, whatever the headers say', () => {
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', { method: 'HEAD' })).toMatchObject({
      body: '',
      complete: true,
    });
    for (const status of [204, 304, 101]) {
      expect(read(`HTTP/1.1 ${status} X\r\nContent-Length: 5\r\n\r\nhello`)).toMatchObject({
        head: { statusCode: status },
        body: '',
        complete: true,
      });
    }
  });

  it('reads a body without length until the connection closes, HTTP/1.0 included', () => {
    const open = read('HTTP/1.0 200 OK\r\n\r\npart one, part two', { size: 4 });
    expect(open).toMatchObject({ body: 'part one, part two', complete: false });
    expect(read('HTTP/1.0 200 OK\r\n\r\npart one', { close: true })).toMatchObject({
      body: 'part one',
      complete: true,
    });
    // A transfer coding that does not end in chunked is also delimited by the close.
    expect(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz', { close: true })).toMatchObject({
      body: 'xyz',
      complete: true,
    });
  });

  it('lower-cases names, joins repeated fields, keeps the first Location, and unfolds obsolete line folding', () => {
    const got = read(
      'HTTP/1.1 302 Found\r\nLocation: /one\r\nLOCATION: /two\r\nVary: a\r\nvary: b\r\nX-Long: first\r\n  second\r\nContent-Length: 0\r\n\r\n',
    );
    expect(got.head).toEqual({
      statusCode: 302,
      headers: { location: '/one', vary: 'a, b', 'x-long': 'first second', 'content-length': '0' },
    });
    expect(got.complete).toBe(true);
  });

  it('stops when the handler has read enough, or wants no body at all', () => {
    const wire = `HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(100_000)}`;
    const stopped = read(wire, { size: 1000, stopAfter: 2500 });
    // The piece that crossed 2,500 bytes is the last one read (pieces after the head are 1,000 bytes).
    expect(stopped.body.length).toBeGreaterThanOrEqual(2500);
    expect(stopped.body.length).toBeLessThan(3500);
    expect(stopped.complete).toBe(false);
    expect(read(wire, { wantBody: false })).toMatchObject({
      head: { statusCode: 200 },
      body: '',
      complete: false,
    });
  });

  it.each([
    ['SSH-2.0-OpenSSH_9.6 definitely not HTTP\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['HTTP/2 200\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['HTTP/1.1 2000 OK\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['HTTP/1.1 099 Low\r\n\r\n', 'HPE_INVALID_CONSTANT'],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX', 'HPE_STRICT'],
  ])('rejects %j with %s', (wire, code) => {
    for (const size of [1, 1000]) expect(protocolError(() => read(wire, { size })).code).toBe(code);
  });

  it('rejects a header block over the limit, even one that never ends', () => {
    const endless = `HTTP/1.1 200 OK\r\nX-Filler: ${'a'.repeat(MAX_HEADER_BYTES)}`;
    expect(protocolError(() => read(endless, { size: 4096 })).code).toBe('HPE_HEADER_OVERFLOW');
    const long = `HTTP/1.1 200 OK\r\nX-Filler: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`;
    expect(protocolError(() => read(long)).code).toBe('HPE_HEADER_OVERFLOW');
    const chunkLine = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(10_000)}`;
    expect(protocolError(() => read(chunkLine, { size: 512 })).code).toBe('HPE_INVALID_CHUNK_SIZE');
  });

  it('tells a close before any answer from one within the headers or the body', () => {
    expect(protocolError(() => read('', { close: true })).code).toBe('HPE_CLOSED_CONNECTION');
    expect(protocolError(() => read('HTTP/1.1 200 OK\r\nContent-', { close: true })).code).toBe(
      'HPE_INVALID_EOF_STATE',
    );
    expect(
      protocolError(() => read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', { close: true }))
        .message,
    ).toBe('connection closed before the body was complete');
    expect(
      protocolError(() =>
        read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', { close: true }),
      ).code,
    ).toBe('HPE_INVALID_EOF_STATE');
  });
});
