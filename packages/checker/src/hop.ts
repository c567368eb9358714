/**
 * One HTTP request/response exchange on a fresh connection: no agent reuse, no TLS session reuse. The
 * hop owns its socket and timers and releases both on every path before its promise resolves; that
 * promise never rejects.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import net, { isIP, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { BodyScanner } from './body.js';
import { describeError, tidyMessage, type Failure, type HopPhase } from './errors.js';
import { createGuardedLookup, refusalFor } from './ssrf.js';
import type { CheckRequest, CheckTimings, HostResolver } from './types.js';

export interface HopRequest {
  url: URL;
  method: CheckRequest['method'];
  /** What is left of the check's total budget. */
  remainingMs: number;
  /** The check's whole budget, for messages. */
  totalTimeoutMs: number;
  connectTimeoutMs: number;
  allowPrivateTargets: boolean;
  resolveHost: HostResolver;
  ca: CheckRequest['ca'];
  /** Called when the headers are in: a scanner to read the body with, or null to stop at the headers. */
  planBody(statusCode: number, headers: IncomingHttpHeaders): BodyScanner | null;
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
}

const REQUEST_HEADERS = {
  'user-agent': 'BetterUptime/0.1 (uptime monitor)',
  accept: '*/*',
  // The keyword search needs the body as sent, not compressed.
  'accept-encoding': 'identity',
};

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

/** The request's options, as ClientRequest passes them to `createConnection` (it drops the URL path). */
function connectTcp(options: http.ClientRequestArgs): Socket {
  return net.createConnection(options as net.NetConnectOpts);
}

function connectTls(options: http.ClientRequestArgs): TLSSocket {
  return tls.connect(options as tls.ConnectionOptions);
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

class Hop {
  private phase: HopPhase = 'dns';
  private readonly startedAt = performance.now();
  /** When the connection (and TLS) was ready and the request went out. */
  private readyAt: number | null = null;
  private connectStartedAt = this.startedAt;
  private connectedAt: number | null = null;
  /** When the first response byte came off the socket (before the headers were parsed). */
  private firstByteAt: number | null = null;
  private readonly timings: CheckTimings = { dnsMs: null, connectMs: null, tlsMs: null, firstByteMs: null };
  private certExpiresAt: Date | null = null;
  private statusCode: number | null = null;
  private location: string | null = null;
  private body: BodyScanner | null = null;
  private clientRequest: http.ClientRequest | null = null;
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

    this.totalTimer = setTimeout(() => this.onTimeout('total'), Math.max(0, request.remainingMs));
    if (request.connectTimeoutMs < request.remainingMs) {
      this.connectTimer = setTimeout(() => this.onTimeout('connect'), request.connectTimeoutMs);
    }

    const { url } = request;
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: this.host,
      port: this.port,
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers: REQUEST_HEADERS,
      // No agent at all: the connection is made here for this one request (Connection: close), so there is
      // never a reused socket or TLS session, and no Agent object is built per check as `agent: false` does.
      createConnection: this.secure ? connectTls : connectTcp,
      // Without an agent the request does not know the scheme's port, which the Host header leaves out.
      defaultPort: this.secure ? 443 : 80,
      rejectUnauthorized: true,
    };
    // SNI as the https agent would send it: the host name, never an IP literal.
    if (this.secure) options.servername = literal ? '' : this.host;
    if (url.username) options.auth = `${decodeCredential(url.username)}:${decodeCredential(url.password)}`;
    if (request.ca !== undefined) options.ca = request.ca as https.RequestOptions['ca'];
    if (!literal) {
      options.lookup = createGuardedLookup({
        resolveHost: request.resolveHost,
        allowPrivateTargets: request.allowPrivateTargets,
        onResolved: (elapsedMs, answered) => this.onResolved(elapsedMs, answered),
      });
    }

    try {
      const clientRequest = (this.secure ? https : http).request(options);
      this.clientRequest = clientRequest;
      clientRequest.on('socket', (socket) => this.watchSocket(socket));
      clientRequest.on('response', (response) => this.onResponse(response));
      clientRequest.on('upgrade', (response, socket) => this.onUpgrade(response, socket));
      clientRequest.on('error', (error) => this.settle(this.describe(error)));
      clientRequest.end();
    } catch (error) {
      // Synchronous rejections of the options, e.g. characters Node refuses in a path or header.
      this.settle({
        reason: 'protocol',
        message: tidyMessage(`invalid request: ${(error as Error).message}`),
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
    // First byte is the first response data off the socket, taken before the http parser runs (the
    // 'response' event comes after the header block is parsed). For TLS these are decrypted application
    // bytes, so the handshake is never counted as the answer.
    socket.prependOnceListener('data', () => {
      this.firstByteAt = performance.now();
    });
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
    if (this.certExpiresAt) return;
    const validTo = socket.getPeerCertificate()?.valid_to;
    if (!validTo) return;
    const expiresAt = new Date(validTo);
    if (!Number.isNaN(expiresAt.getTime())) this.certExpiresAt = expiresAt;
  }

  private onConnectionReady(): void {
    this.readyAt = performance.now();
    clearTimeout(this.connectTimer);
    this.phase = 'response';
  }

  private onResponse(response: IncomingMessage): void {
    // Counted from the moment the connection was ready (request sent) to the first response byte, so the
    // phases add up: dns + connect + tls + first byte is the time to the start of the response.
    this.timings.firstByteMs = this.firstByteSince();
    this.phase = 'body';
    this.statusCode = response.statusCode ?? null;
    this.location = typeof response.headers.location === 'string' ? response.headers.location : null;
    // Keep an error listener for the whole life of the response: an unhandled 'error' would crash the process.
    response.on('error', (error) => this.settle(this.bodyLost(error)));
    const scanner =
      this.statusCode === null ? null : this.request.planBody(this.statusCode, response.headers);
    if (!scanner) return this.settle(null);
    this.body = scanner;
    response.on('data', (chunk: Buffer) => {
      if (scanner.push(chunk)) this.settle(null);
    });
    response.on('end', () => this.settle(null));
    response.on('close', () => {
      if (!response.complete) this.settle(this.bodyLost(null));
    });
  }

  /**
   * A 101 answer hands the socket over instead of emitting 'response'; without this the check would sit
   * until the timeout. The status is judged like any other (it rarely is expected).
   */
  private onUpgrade(response: IncomingMessage, socket: Socket): void {
    this.timings.firstByteMs = this.firstByteSince();
    this.statusCode = response.statusCode ?? null;
    socket.destroy(); // no longer owned by the request, so settle() would not close it
    this.settle(null);
  }

  private firstByteSince(): number {
    return (this.firstByteAt ?? performance.now()) - (this.readyAt ?? this.startedAt);
  }

  /** A connection that ends mid-body makes an incomplete HTTP message: reason protocol. */
  private bodyLost(error: unknown): Failure {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (code?.startsWith('HPE_')) return this.describe(error);
    const bytes = this.body?.bytesRead ?? 0;
    return { reason: 'protocol', message: `connection closed mid-body after ${bytes} bytes` };
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

  /** The single exit: clears both timers and destroys the socket, whatever happened before. */
  private settle(failure: Failure | null): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.totalTimer);
    clearTimeout(this.connectTimer);
    this.clientRequest?.destroy();
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
    });
  }
}
