/**
 * An incremental HTTP/1.1 response reader for one request on one connection (RFC 9112): the status line and
 * header block, then the body framed by Content-Length, chunked transfer coding, or the end of the
 * connection. It keeps no more than the check needs: status code, header values by lower-cased name, and
 * decoded body bytes handed on as they arrive.
 *
 * The checker reads responses itself rather than through node:http because a check in flight then holds a
 * socket and this small object instead of Node's request, response, parser and stream objects: measured,
 * about 40 % less CPU and a quarter of the garbage per check, which is what keeps timings true under load
 * (BENCHMARKS.md, figure 3). Errors carry llhttp's codes (HPE_*), as node:http's did.
 */

/** The largest header block accepted, as node:http's default (--max-http-header-size). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Longest chunk-size line (size, extensions) accepted. */
const MAX_CHUNK_LINE_BYTES = 4 * 1024;

export class HttpProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpProtocolError';
  }
}

export interface ResponseHead {
  statusCode: number;
  /** Lower-cased names; repeated fields joined with ", " (Location keeps its first value). */
  headers: Record<string, string>;
}

export interface ResponseHandler {
  /** The final response's head (interim 1xx answers are skipped). False: stop reading here. */
  onHead(head: ResponseHead): boolean;
  /** Decoded body bytes. True: enough has been read, stop. */
  onBody(chunk: Buffer): boolean;
  /** The response is complete. */
  onComplete(): void;
}

type State =
  | 'head'
  | 'length' // body of known length
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-data-end' // the CRLF after a chunk's data
  | 'trailers'
  | 'until-close'
  | 'done';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?:[ \t].*)?$/;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const LF_LF = Buffer.from('\n\n');

export class ResponseParser {
  private state: State = 'head';
  /** Bytes of an unfinished head, chunk-size line or trailer block (rarely more than one piece). */
  private pending: Buffer | null = null;
  private remaining = 0;

  constructor(
    private readonly method: 'GET' | 'HEAD',
    private readonly handler: ResponseHandler,
  ) {}

  /** True once the response is complete or the handler asked to stop. */
  get finished(): boolean {
    return this.state === 'done';
  }

  /** Feeds bytes off the connection. Throws HttpProtocolError on a malformed response. */
  push(chunk: Buffer): void {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    while (data.length > 0 && this.state !== 'done') {
      data = this.step(data);
    }
  }

  /**
   * The connection ended (the peer closed it). Completes a body delimited by the close; anything else
   * still open is a truncated message.
   */
  end(): void {
    if (this.state === 'done') return;
    if (this.state === 'until-close') {
      this.state = 'done';
      return this.handler.onComplete();
    }
    if (this.state === 'head') {
      throw new HttpProtocolError(
        this.pending ? 'HPE_INVALID_EOF_STATE' : 'HPE_CLOSED_CONNECTION',
        this.pending
          ? 'connection closed within the response headers'
          : 'connection closed without a response',
      );
    }
    throw new HttpProtocolError('HPE_INVALID_EOF_STATE', 'connection closed before the body was complete');
  }

  /** Consumes a prefix of `data` in the current state; returns what is left. */
  private step(data: Buffer): Buffer {
    switch (this.state) {
      case 'head':
        return this.readHead(data);
      case 'length': {
        const take = Math.min(this.remaining, data.length);
        this.remaining -= take;
        const stop = this.handler.onBody(take === data.length ? data : data.subarray(0, take));
        if (stop) return this.stop();
        if (this.remaining === 0) return this.complete();
        return data.subarray(take);
      }
      case 'until-close':
        if (this.handler.onBody(data)) return this.stop();
        return EMPTY;
      case 'chunk-size':
        return this.readChunkSize(data);
      case 'chunk-data': {
        const take = Math.min(this.remaining, data.length);
        this.remaining -= take;
        if (this.handler.onBody(data.subarray(0, take))) return this.stop();
        if (this.remaining === 0) this.state = 'chunk-data-end';
        return data.subarray(take);
      }
      case 'chunk-data-end':
        return this.readChunkDataEnd(data);
      case 'trailers':
        return this.readTrailers(data);
      case 'done':
        return EMPTY;
    }
  }

  private readHead(data: Buffer): Buffer {
    const end = headEnd(data);
    if (end === null) {
      if (data.length > MAX_HEADER_BYTES)
        throw new HttpProtocolError(
          'HPE_HEADER_OVERFLOW',
          `response headers larger than ${MAX_HEADER_BYTES} bytes`,
        );
      this.pending = data;
      return EMPTY;
    }
    if (end.headLength > MAX_HEADER_BYTES)
      throw new HttpProtocolError(
        'HPE_HEADER_OVERFLOW',
        `response headers larger than ${MAX_HEADER_BYTES} bytes`,
      );
    const head = parseHead(data.toString('latin1', 0, end.headLength));
    const rest = data.subarray(end.headLength + end.separatorLength);
    const code = head.statusCode;
    // Interim answers (100 Continue, 103 Early Hints) come before the real one.
    if (code < 200 && code !== 101) return rest;
    if (!this.handler.onHead(head)) return this.stop();
    // 101 hands the connection to another protocol: the HTTP exchange is over.
    if (this.method === 'HEAD' || code === 101 || code === 204 || code === 304) return this.complete();
    const transferEncoding = head.headers['transfer-encoding'];
    if (transferEncoding !== undefined) {
      const codings = transferEncoding.split(',').map((c) => c.trim().toLowerCase());
      // Chunked only counts as the last coding; otherwise the body runs until the connection closes.
      this.state = codings[codings.length - 1] === 'chunked' ? 'chunk-size' : 'until-close';
      return rest;
    }
    const contentLength = head.headers['content-length'];
    if (contentLength !== undefined) {
      this.remaining = parseContentLength(contentLength);
      if (this.remaining === 0) return this.complete();
      this.state = 'length';
      return rest;
    }
    this.state = 'until-close';
    return rest;
  }

  private readChunkSize(data: Buffer): Buffer {
    const newline = data.indexOf(0x0a);
    if (newline === -1) {
      if (data.length > MAX_CHUNK_LINE_BYTES)
        throw new HttpProtocolError('HPE_INVALID_CHUNK_SIZE', 'chunk size line too long');
      this.pending = data;
      return EMPTY;
    }
    const line = data.toString('latin1', 0, newline).replace(/\r$/, '');
    const match = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/.exec(line);
    if (!match) throw new HttpProtocolError('HPE_INVALID_CHUNK_SIZE', 'invalid chunk size');
    this.remaining = Number.parseInt(match[1]!, 16);
    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    return data.subarray(newline + 1);
  }

  private readChunkDataEnd(data: Buffer): Buffer {
    // CRLF (or a bare LF) ends each chunk's data.
    if (data[0] === 0x0a) {
      this.state = 'chunk-size';
      return data.subarray(1);
    }
    if (data[0] !== 0x0d) throw new HttpProtocolError('HPE_STRICT', 'chunk data not followed by CRLF');
    if (data.length < 2) {
      this.pending = data;
      return EMPTY;
    }
    if (data[1] !== 0x0a) throw new HttpProtocolError('HPE_STRICT', 'chunk data not followed by CRLF');
    this.state = 'chunk-size';
    return data.subarray(2);
  }

  private readTrailers(data: Buffer): Buffer {
    // Trailer fields are read past and ignored; an empty line ends the message.
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      if (newline === -1) {
        const left = data.subarray(start);
        if (left.length > MAX_HEADER_BYTES)
          throw new HttpProtocolError('HPE_HEADER_OVERFLOW', 'trailer fields too large');
        this.pending = left.length > 0 ? left : null;
        return EMPTY;
      }
      const lineLength = newline - start - (newline > start && data[newline - 1] === 0x0d ? 1 : 0);
      start = newline + 1;
      if (lineLength === 0) {
        this.complete();
        return EMPTY;
      }
    }
  }

  private complete(): Buffer {
    this.state = 'done';
    this.handler.onComplete();
    return EMPTY;
  }

  private stop(): Buffer {
    this.state = 'done';
    return EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

/** Where the header block ends: CRLF CRLF, or a bare LF LF as lenient parsers accept. */
function headEnd(data: Buffer): { headLength: number; separatorLength: number } | null {
  const crlf = data.indexOf(CRLF_CRLF);
  const lf = data.indexOf(LF_LF);
  if (crlf === -1 && lf === -1) return null;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { headLength: crlf, separatorLength: 4 };
  return { headLength: lf, separatorLength: 2 };
}

function parseHead(text: string): ResponseHead {
  const lines = text.split('\n');
  const statusLine = stripCr(lines[0]!);
  const status = STATUS_LINE.exec(statusLine);
  if (!status) throw new HttpProtocolError('HPE_INVALID_CONSTANT', 'not an HTTP/1.x status line');
  const headers: Record<string, string> = {};
  let last: string | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = stripCr(lines[i]!);
    if (line.length === 0) continue;
    if (line[0] === ' ' || line[0] === '\t') {
      // Obsolete line folding: a continuation of the previous field, joined with a space (RFC 9112 5.2).
      if (last === null)
        throw new HttpProtocolError('HPE_INVALID_HEADER_TOKEN', 'header block starts with whitespace');
      headers[last] = `${headers[last]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
    if (!TOKEN.test(name)) throw new HttpProtocolError('HPE_INVALID_HEADER_TOKEN', 'invalid header field');
    const value = line.slice(colon + 1).trim();
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (name !== 'location') headers[name] = `${previous}, ${value}`;
    last = name;
  }
  return { statusCode: Number(status[1]), headers };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Content-Length, repeated or listed ("5, 5") only with one value (RFC 9110 8.6). */
function parseContentLength(value: string): number {
  let length: number | null = null;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^\d{1,15}$/.test(text))
      throw new HttpProtocolError('HPE_INVALID_CONTENT_LENGTH', 'invalid Content-Length');
    const n = Number(text);
    if (length !== null && n !== length)
      throw new HttpProtocolError('HPE_UNEXPECTED_CONTENT_LENGTH', 'conflicting Content-Length values');
    length = n;
  }
  return length ?? 0;
}
