/**
 * One HTTP request/response exchange on a fresh connection: no agent, no connection or TLS session reuse.
 * The request is written straight to the socket and the response read by the checker's own parser
 * (response-parser.ts), so a check in flight holds little more than its socket. The hop owns its socket and
 * timers and releases both on every path before its promise resolves; that promise never rejects.
 */
import net, { isIP, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { ReceiveClock } from '@better-uptime/receive-time';
import type { BodyScanner } from './body.js';
import { type CertificateFacts, certificateFacts } from './connection.js';
import { describeError, tidyMessage, type Failure, type HopPhase } from './errors.js';
import { HttpProtocolError, ResponseParser, type ResponseHead } from './response-parser.js';
import { createGuardedLookup, refusalFor } from './ssrf.js';
import type { CheckRequest, CheckTimings, HostResolver } from './types.js';

export interface HopRequest {
  url: URL;
  method: CheckRequest['method'];
  /** Header lines after Host, each ending in CRLF (Authorization, the monitor's own headers). */
  extraHeaders: string;
  body: string | null;
  /** What the Accept-Encoding header says: identity, or the codings decoded before judging the body. */
  acceptEncoding: string;
  /** False to accept any certificate (the monitor's "ignore TLS errors"). */
  rejectUnauthorized: boolean;
  /** What is left of the check's total budget. */
  remainingMs: number;
  /** The check's whole budget, for messages. */
  totalTimeoutMs: number;
  connectTimeoutMs: number;
  allowPrivateTargets: boolean;
  resolveHost: HostResolver;
  ca: CheckRequest['ca'];
  /** Says when response data arrived (the kernel's receive time where available). */
  clock: ReceiveClock;
  /** Called when the headers are in: a scanner to read the body with, or null to stop at the headers. */
  planBody(statusCode: number, headers: ResponseHead['headers']): BodyScanner | null;
}

export interface HopResult {
  /** Null when the exchange completed; a completed hop always has a status code. */
  failure: Failure | null;
  statusCode: number | null;
  location: string | null;
  /** The scanner that read the body, when planBody asked for one. */
  body: BodyScanner | null;
  timings: CheckTimings;
  certExpiresAt: Date | null;
  /** The certificate's facts (expiry, issuer, names), for https hops. */
  certificate: CertificateFacts | null;
  /** The response's Content-Encoding, if any. */
  contentEncoding: string | null;
  /** When the data that completed the response arrived (performance.now() clock); null when it did not. */
  respondedAt: number | null;
}

/** Header lines a check sends unless the monitor sets them itself. */
const DEFAULT_HEADERS: ReadonlyArray<[string, string]> = [
  ['User-Agent', 'BetterUptime/0.1 (uptime monitor)'],
  ['Accept', '*/*'],
];

/** Visible ASCII only: a request target or header value with anything else is refused, as node:http does. */
const UNSAFE_HEADER_TEXT = /[^\x21-\x7e]/;

const WAITING_FOR: Record<HopPhase, string> = {
  dns: 'during the DNS lookup',
  connect: 'while connecting',
  tls: 'during the TLS handshake',
  response: 'waiting for the response headers',
  body: 'while reading the body',
};

export function performHop(request: HopRequest): Promise<HopResult> {
  return new Promise((resolve) => new Hop(request, resolve).start());
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

function decodeCredential(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The request head, or an error message when the URL holds what cannot be sent. */
function requestHead(request: HopRequest, host: string, port: number, secure: boolean): string | Error {
  const { url, method } = request;
  const target = `${url.pathname || '/'}${url.search}`;
  if (UNSAFE_HEADER_TEXT.test(target)) return new Error('request path contains unescaped characters');
  const defaultPort = secure ? 443 : 80;
  const hostName = host.includes(':') ? `[${host}]` : host;
  let head = `${method} ${target} HTTP/1.1\r\nHost: ${port === defaultPort ? hostName : `${hostName}:${port}`}\r\n`;
  if ((url.username || url.password) && !/^authorization:/im.test(request.extraHeaders)) {
    const credentials = `${decodeCredential(url.username)}:${decodeCredential(url.password)}`;
    head += `Authorization: Basic ${Buffer.from(credentials, 'utf8').toString('base64')}\r\n`;
  }
  head += request.extraHeaders;
  for (const [name, value] of DEFAULT_HEADERS) {
    if (!new RegExp(`^${name}:`, 'im').test(request.extraHeaders)) head += `${name}: ${value}\r\n`;
  }
  head += `Accept-Encoding: ${request.acceptEncoding}\r\n`;
  if (request.body !== null) head += `Content-Length: ${Buffer.byteLength(request.body, 'utf8')}\r\n`;
  // One request per connection: the server may close when it has answered.
  return `${head}Connection: close\r\n\r\n`;
}

class Hop {
  private phase: HopPhase = 'dns';
  private readonly startedAt = performance.now();
  /** When the connection (and TLS) was ready and the request went out. */
  private readyAt: number | null = null;
  private connectStartedAt = this.startedAt;
  private connectedAt: number | null = null;
  private readonly timings: CheckTimings = { dnsMs: null, connectMs: null, tlsMs: null, firstByteMs: null };
  private certExpiresAt: Date | null = null;
  private certificate: CertificateFacts | null = null;
  private contentEncoding: string | null = null;
  private respondedAt: number | null = null;
  private statusCode: number | null = null;
  private location: string | null = null;
  private body: BodyScanner | null = null;
  private socket: Socket | null = null;
  private parser: ResponseParser | null = null;
  private requestText = '';
  private totalTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private settled = false;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;

  constructor(
    private readonly request: HopRequest,
    private readonly resolve: (result: HopResult) => void,
  ) {
    const { url } = request;
    this.secure = url.protocol === 'https:';
    // URL keeps IPv6 literals bracketed; sockets and the guard want the bare address.
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port ? Number(url.port) : this.secure ? 443 : 80;
  }

  start(): void {
    const { request } = this;
    const literal = isIP(this.host) !== 0;
    if (literal) {
      this.phase = 'connect';
      // Literal addresses never pass through lookup: judge them here, before any socket exists.
      const refusal = request.allowPrivateTargets ? null : refusalFor(this.host);
      if (refusal) return this.settle({ reason: 'connect', message: refusal.message });
    }
    const head = requestHead(request, this.host, this.port, this.secure);
    if (head instanceof Error) {
      return this.settle({ reason: 'protocol', message: tidyMessage(`invalid request: ${head.message}`) });
    }
    this.requestText = head;

    this.totalTimer = setTimeout(() => this.onTimeout('total'), Math.max(0, request.remainingMs));
    if (request.connectTimeoutMs < request.remainingMs) {
      this.connectTimer = setTimeout(() => this.onTimeout('connect'), request.connectTimeoutMs);
    }

    const lookup = literal
      ? undefined
      : createGuardedLookup({
          resolveHost: request.resolveHost,
          allowPrivateTargets: request.allowPrivateTargets,
          onResolved: (elapsedMs, answered) => this.onResolved(elapsedMs, answered),
        });
    try {
      const socket = this.secure
        ? tls.connect({
            host: this.host,
            port: this.port,
            // SNI as browsers send it: the host name, never an IP literal.
            servername: literal ? '' : this.host,
            ca: request.ca as tls.ConnectionOptions['ca'],
            rejectUnauthorized: request.rejectUnauthorized,
            lookup,
          })
        : net.createConnection({ host: this.host, port: this.port, lookup });
      this.socket = socket;
      this.watchSocket(socket);
    } catch (error) {
      // Synchronous rejections of the options, e.g. an unusable CA certificate.
      this.settle({
        reason: 'connect',
        message: tidyMessage(`could not connect: ${(error as Error).message}`),
      });
    }
  }

  private describe(error: unknown): Failure {
    return describeError(error, this.phase, { host: this.host, port: this.port });
  }

  private onResolved(elapsedMs: number, answered: boolean): void {
    this.timings.dnsMs = elapsedMs;
    if (!answered) return;
    this.phase = 'connect';
    this.connectStartedAt = performance.now();
  }

  private watchSocket(socket: Socket): void {
    socket.on('error', (error) => this.settle(this.describe(error)));
    socket.on('data', this.onData);
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.once('connect', () => {
      this.connectedAt = performance.now();
      this.timings.connectMs = this.connectedAt - this.connectStartedAt;
      // Second line of the guard: whatever route led here, judge the address actually connected to.
      const remote = socket.remoteAddress;
      const refusal = this.request.allowPrivateTargets || !remote ? null : refusalFor(remote);
      if (refusal) return this.settle({ reason: 'connect', message: refusal.message });
      if (this.secure) this.phase = 'tls';
      else this.onConnectionReady();
    });
    if (!this.secure) return;
    const tlsSocket = socket as TLSSocket;
    // Node emits the internal 'secure' event just before verifying the peer, and on a verification failure
    // destroys the socket, after which its certificate is gone. Reading it here keeps the expiry of a
    // rejected certificate; should Node stop emitting 'secure', only that best-effort extra is lost.
    tlsSocket.prependOnceListener('secure', () => this.recordCertificate(tlsSocket));
    tlsSocket.once('secureConnect', () => {
      if (this.connectedAt !== null) this.timings.tlsMs = performance.now() - this.connectedAt;
      this.recordCertificate(tlsSocket);
      this.onConnectionReady();
    });
  }

  private recordCertificate(socket: TLSSocket): void {
    if (this.certificate) return;
    this.certificate = certificateFacts(socket.getPeerCertificate());
    if (this.certificate?.expiresAt) this.certExpiresAt = new Date(this.certificate.expiresAt);
  }

  private onConnectionReady(): void {
    if (this.settled) return;
    clearTimeout(this.connectTimer);
    this.phase = 'response';
    this.parser = new ResponseParser(this.request.method === 'HEAD' ? 'HEAD' : 'GET', this);
    this.readyAt = performance.now();
    this.socket!.write(this.request.body === null ? this.requestText : this.requestText + this.request.body);
  }

  private readonly onData = (chunk: Buffer): void => {
    // First byte: for TLS these are decrypted application bytes, so the handshake is never counted as the
    // answer. The time is when the data reached this machine, not when the event loop got to it (see
    // @better-uptime/receive-time); when several segments were waiting, that of the latest, so it is early
    // by at most the estimate's half tick. Counted from the moment the request went out on a ready connection, so dns + connect + tls +
    // first byte adds up to the start of the response; bytes before that (none in practice) have no time.
    if (this.timings.firstByteMs === null && this.readyAt !== null)
      this.timings.firstByteMs = this.arrivalAfter(this.readyAt) - this.readyAt;
    if (this.settled || this.parser === null) return;
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.settle(this.protocolFailure(error));
    }
  };

  /** The peer closed the connection (or it closed under us): the end of a body read until close, or a loss. */
  private onEnd(): void {
    if (this.settled) return;
    if (this.parser === null) {
      return this.settle(this.describe(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    }
    try {
      this.parser.end();
    } catch (error) {
      this.settle(this.protocolFailure(error));
    }
  }

  /** ResponseHandler: the final response's head. */
  onHead(head: ResponseHead): boolean {
    this.phase = 'body';
    this.statusCode = head.statusCode;
    this.location = head.headers.location ?? null;
    this.contentEncoding = head.headers['content-encoding'] ?? null;
    const scanner = this.request.planBody(head.statusCode, head.headers);
    if (!scanner) {
      this.settle(null);
      return false;
    }
    this.body = scanner;
    return true;
  }

  /** ResponseHandler: decoded body bytes. */
  onBody(chunk: Buffer): boolean {
    if (!this.body!.push(chunk)) return false;
    this.settle(null);
    return true;
  }

  /** ResponseHandler: the whole response is in. */
  onComplete(): void {
    this.settle(null);
  }

  /**
   * A malformed response, or a connection that ended early. Before any response byte that is a connection
   * closed without an answer; within the body, a truncated message.
   */
  private protocolFailure(error: unknown): Failure {
    if (!(error instanceof HttpProtocolError)) return this.describe(error);
    if (error.code === 'HPE_CLOSED_CONNECTION')
      return this.describe(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    if (this.phase === 'body' && error.code === 'HPE_INVALID_EOF_STATE') {
      const bytes = this.body?.bytesRead ?? 0;
      return { reason: 'protocol', message: `connection closed mid-body after ${bytes} bytes` };
    }
    return this.describe(error);
  }

  private onTimeout(which: 'total' | 'connect'): void {
    if (which === 'total') {
      const ms = this.request.totalTimeoutMs;
      return this.settle({
        reason: 'timeout',
        message: `timed out after ${ms} ms ${WAITING_FOR[this.phase]}`,
      });
    }
    const ms = this.request.connectTimeoutMs;
    const where = `${this.host}:${this.port}`;
    const message =
      this.phase === 'dns'
        ? `DNS lookup for ${this.host} did not finish within ${ms} ms`
        : this.phase === 'tls'
          ? `TLS handshake with ${where} did not finish within ${ms} ms`
          : `could not connect to ${where} within ${ms} ms`;
    this.settle({ reason: 'timeout', message });
  }

  /** When the socket's latest data arrived, never before `readyAt` (the request went out); read while it is open. */
  private arrivalAfter(readyAt: number): number {
    return Math.max(this.request.clock.lastDataAt(this.socket!), readyAt);
  }

  /** The single exit: clears both timers and destroys the socket, whatever happened before. */
  private settle(failure: Failure | null): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.totalTimer);
    clearTimeout(this.connectTimer);
    // A completed response ends when its last needed byte arrived, and never before its first: the two
    // arrival times are estimated separately from a clock with a coarse tick.
    if (failure === null && this.readyAt !== null) {
      const lastByteAt = this.arrivalAfter(this.readyAt);
      const firstByteAt = this.readyAt + (this.timings.firstByteMs ?? 0);
      this.respondedAt = Math.max(lastByteAt, firstByteAt);
    }
    this.socket?.destroy();
    const { timings } = this;
    this.resolve({
      failure,
      statusCode: this.statusCode,
      location: this.location,
      body: this.body,
      timings: {
        dnsMs: round(timings.dnsMs),
        connectMs: round(timings.connectMs),
        tlsMs: round(timings.tlsMs),
        firstByteMs: round(timings.firstByteMs),
      },
      certExpiresAt: this.certExpiresAt,
      certificate: this.certificate,
      contentEncoding: this.contentEncoding,
      respondedAt: this.respondedAt,
    });
  }
}
