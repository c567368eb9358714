/**
 * Hostile HTTP(S) targets for checker, pipeline and benchmark tests. Every server listens on 127.0.0.1 on an
 * ephemeral port, records each request it receives, counts its open connections (so tests can prove that
 * clients closed theirs) and can have any path's behaviour replaced while it runs.
 *
 * Routes (HEAD works on all of them; Node drops the body):
 *
 * | path                                    | behaviour                                                          |
 * | --------------------------------------- | ------------------------------------------------------------------ |
 * | `/ok`                                   | 200 `ok`                                                           |
 * | `/status/:code`                         | that status (200-599), body `status :code`                         |
 * | `/delay/:ms`                            | 200 `ok` after `ms` milliseconds                                   |
 * | `/hang`                                 | accepts the request and never answers                              |
 * | `/reset`                                | resets the connection (TCP RST) before any response                |
 * | `/reset-mid-body`                       | headers announcing 1000 bytes, 10 bytes of body, then closes       |
 * | `/endless`                              | 200 and an endless body, until the client goes away                |
 * | `/big/:bytes?suffix=TEXT`               | 200, exactly `bytes` filler bytes (`.`) followed by TEXT           |
 * | `/chunks?part=A&part=B&gapMs=20`        | 200, each part written separately, `gapMs` apart                   |
 * | `/keyword?text=TEXT`                    | 200, a small HTML page containing TEXT                             |
 * | `/redirect/:n?status=302`               | a chain of `n` redirects ending at `/ok`                           |
 * | `/redirect-loop`                        | 302 to itself                                                      |
 * | `/redirect-to?location=URL&status=302`  | a redirect to any Location                                         |
 * | `/garbage`                              | non-HTTP bytes written on the raw connection, then closes          |
 * | anything else                           | 404 `not found`                                                    |
 *
 * Example:
 *
 * ```ts
 * const target = await startTarget();
 * target.override('/flaky', { status: 500 }); // `${target.url}/flaky` now answers 500
 * target.override('/flaky', null); // back to the default (404 here)
 * await target.waitForHits('/ok', 3); // resolves once /ok has been requested three times
 * await target.close();
 * ```
 */
import { X509Certificate } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { generate } from 'selfsigned';

/** One request received by a target. */
export interface TargetHit {
  method: string;
  /** Path without the query string, e.g. `/delay/50`. */
  path: string;
  /** Path with the query string, as requested. */
  url: string;
  /** Wall-clock arrival time, epoch milliseconds. */
  at: number;
}

/**
 * What an overridden path does: a canned response (optionally delayed), `hang` (never answer), `reset`
 * (TCP RST), or a handler of your own.
 */
export type TargetBehaviour =
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  | 'hang'
  | 'reset'
  | ((request: IncomingMessage, response: ServerResponse) => void);

export interface TargetServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  /** Requests received so far, oldest first; with `path`, only those for that exact path. */
  hits(path?: string): TargetHit[];
  hitCount(path?: string): number;
  clearHits(): void;
  /** Resolves with the hits for `path` once there are at least `count`; rejects after `timeoutMs`. */
  waitForHits(path: string, count: number, timeoutMs?: number): Promise<TargetHit[]>;
  /** Replaces the behaviour of an exact path (query ignored) until called again with null. */
  override(path: string, behaviour: TargetBehaviour | null): void;
  /** TCP connections accepted and not yet closed. */
  openConnections(): number;
  /** Resolves once no connection is open; rejects after `timeoutMs` saying how many remain. */
  waitForNoConnections(timeoutMs?: number): Promise<void>;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

export interface TlsTargetOptions {
  /**
   * `self-signed` (default): a certificate nobody trusts, so checks fail with reason tls. `test-ca`: signed by
   * a CA made for this server and returned as `ca`, so a check that trusts it succeeds.
   */
  issuer?: 'self-signed' | 'test-ca';
  /** Validity of the server certificate; default from one hour ago to 30 days ahead. */
  notBefore?: Date;
  notAfter?: Date;
  /** Host names and IP addresses the certificate is for; default localhost, 127.0.0.1 and ::1. */
  altNames?: readonly string[];
}

export interface TlsTargetServer extends TargetServer {
  /** The server certificate, PEM. */
  readonly certificate: string;
  /** With `issuer: 'test-ca'`, the CA certificate to trust (PEM); null for a self-signed certificate. */
  readonly ca: string | null;
  /** The server certificate's notAfter, as clients will read it. */
  readonly certExpiresAt: Date;
}

const FILLER_CHUNK = Buffer.alloc(64 * 1024, '.');
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/** Starts a plain HTTP target. */
export async function startTarget(): Promise<TargetServer> {
  const state = new TargetState();
  const server = http.createServer((request, response) => state.handle(request, response));
  return listen(server, 'http', state);
}

/** Starts an HTTPS target with a certificate generated on the spot (EC keys: fast to make). */
export async function startTlsTarget(options: TlsTargetOptions = {}): Promise<TlsTargetServer> {
  const { certificate, key, ca } = await makeCertificate(options);
  const state = new TargetState();
  const server = https.createServer({ cert: certificate, key }, (request, response) =>
    state.handle(request, response),
  );
  const target = await listen(server, 'https', state);
  const certExpiresAt = new Date(new X509Certificate(certificate).validTo);
  return Object.assign(target, { certificate, ca, certExpiresAt });
}

/** A server certificate and key as the TLS target uses them, for servers a test runs elsewhere. */
export async function makeCertificate(
  options: TlsTargetOptions = {},
): Promise<{ certificate: string; key: string; ca: string | null }> {
  const notBeforeDate = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfterDate = options.notAfter ?? new Date(Date.now() + 30 * 86_400_000);
  const altNames = (options.altNames ?? ['localhost', '127.0.0.1', '::1']).map((name) =>
    /^[\d.]+$|:/.test(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
  );
  const leafExtensions = [
    { name: 'basicConstraints' as const, cA: false },
    { name: 'keyUsage' as const, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage' as const, serverAuth: true },
    { name: 'subjectAltName' as const, altNames },
  ];
  /** The certificate the target serves: self-signed, or signed by `ca`. */
  const generateLeaf = (ca?: { key: string; cert: string }) =>
    generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: leafExtensions,
      ...(ca && { ca }),
    });
  if (options.issuer !== 'test-ca') {
    const leaf = await generateLeaf();
    return { certificate: leaf.cert, key: leaf.private, ca: null };
  }
  const authority = await generate([{ name: 'commonName', value: 'Better Uptime Test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 86_400_000),
    notAfterDate: new Date(Date.now() + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generateLeaf({ key: authority.private, cert: authority.cert });
  return { certificate: leaf.cert, key: leaf.private, ca: authority.cert };
}

async function listen(server: http.Server | https.Server, scheme: 'http' | 'https', state: TargetState) {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Errors of clients that went away (resets, TLS alerts) are part of the game, not test failures.
  server.on('clientError', (_error, socket: Socket) => socket.destroy());
  server.on('tlsClientError', (_error, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const target: TargetServer = {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    hits: (path) => state.hitsFor(path),
    hitCount: (path) => state.hitsFor(path).length,
    clearHits: () => state.hits.splice(0),
    waitForHits: (path, count, timeoutMs = 5_000) => state.waitForHits(path, count, timeoutMs),
    override: (path, behaviour) => {
      if (behaviour === null) state.overrides.delete(path);
      else state.overrides.set(path, behaviour);
    },
    openConnections: () => sockets.size,
    waitForNoConnections: async (timeoutMs = 2_000) => {
      const deadline = Date.now() + timeoutMs;
      while (sockets.size > 0) {
        if (Date.now() > deadline)
          throw new Error(`${sockets.size} connection(s) still open after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: async () => {
      state.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return target;
}

class TargetState {
  readonly hits: TargetHit[] = [];
  readonly overrides = new Map<string, TargetBehaviour>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly hitListeners = new Set<() => void>();

  hitsFor(path?: string): TargetHit[] {
    return path === undefined ? [...this.hits] : this.hits.filter((hit) => hit.path === path);
  }

  waitForHits(path: string, count: number, timeoutMs: number): Promise<TargetHit[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hits = this.hitsFor(path);
        if (hits.length < count) return;
        cleanup();
        resolve(hits);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${path}: ${this.hitsFor(path).length} of ${count} hits after ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.hitListeners.delete(check);
      };
      this.hitListeners.add(check);
      check();
    });
  }

  /**
   * Runs `fn` `ms` after now, never sooner, unless the response closes first or the server stops. A timer
   * counts from the event loop's cached time, which can be a few ms behind a busy loop, so it may fire
   * early by that much: then it waits out the rest.
   */
  private later(response: ServerResponse, ms: number, fn: () => void): void {
    const due = performance.now() + ms;
    let timer: NodeJS.Timeout;
    const arm = (delay: number) => {
      timer = setTimeout(() => {
        this.timers.delete(timer);
        const left = due - performance.now();
        if (left > 0) return arm(Math.ceil(left));
        fn();
      }, delay);
      this.timers.add(timer);
    };
    arm(ms);
    response.once('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://target');
    this.hits.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      url: request.url ?? '/',
      at: Date.now(),
    });
    for (const listener of this.hitListeners) listener();

    const override = this.overrides.get(url.pathname);
    if (override !== undefined) return this.behave(override, request, response);
    const [, route = '', argument = ''] = /^\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname) ?? [];
    const number = Number(argument);
    const query = url.searchParams;
    switch (route) {
      case 'ok':
        return send(response, 200, 'ok');
      case 'status':
        if (!Number.isInteger(number) || number < 200 || number > 599)
          return send(response, 400, 'bad status');
        return send(response, number, `status ${number}`);
      case 'delay':
        return this.later(response, number || 0, () => send(response, 200, 'ok'));
      case 'hang':
        return;
      case 'reset':
        return this.behave('reset', request, response);
      case 'reset-mid-body':
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
        response.write('0123456789');
        // Give the headers and first bytes time to reach the client before the connection drops.
        return this.later(response, 20, () => request.socket.destroy());
      case 'endless':
        response.writeHead(200, { 'content-type': 'text/plain' });
        return streamFiller(response, Number.POSITIVE_INFINITY, '');
      case 'big': {
        const suffix = query.get('suffix') ?? '';
        const length = (Number.isInteger(number) && number >= 0 ? number : 0) + Buffer.byteLength(suffix);
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(length) });
        return streamFiller(response, length - Buffer.byteLength(suffix), suffix);
      }
      case 'chunks':
        response.writeHead(200, { 'content-type': 'text/plain' });
        return this.writeParts(response, query.getAll('part'), Number(query.get('gapMs') ?? 20));
      case 'keyword': {
        const text = query.get('text') ?? '';
        return send(
          response,
          200,
          `<html><body><p>before</p><p>${text}</p><p>after</p></body></html>`,
          'text/html',
        );
      }
      case 'redirect': {
        const status = redirectStatus(query.get('status'));
        return redirect(response, status, number > 1 ? `/redirect/${number - 1}?status=${status}` : '/ok');
      }
      case 'redirect-loop':
        return redirect(response, 302, '/redirect-loop');
      case 'redirect-to':
        return redirect(response, redirectStatus(query.get('status')), query.get('location') ?? '/ok');
      case 'garbage':
        // Bypasses the HTTP layer: what comes back is not an HTTP response at all.
        request.socket.end('SSH-2.0-OpenSSH_9.6 definitely not HTTP\r\n');
        return;
      default:
        return send(response, 404, 'not found');
    }
  }

  private behave(behaviour: TargetBehaviour, request: IncomingMessage, response: ServerResponse): void {
    if (typeof behaviour === 'function') return behaviour(request, response);
    if (behaviour === 'hang') return;
    if (behaviour === 'reset') {
      request.socket.resetAndDestroy();
      return;
    }
    const respond = () => {
      response.writeHead(behaviour.status, { 'content-type': 'text/plain', ...behaviour.headers });
      response.end(behaviour.body ?? '');
    };
    if (behaviour.delayMs) this.later(response, behaviour.delayMs, respond);
    else respond();
  }

  private writeParts(response: ServerResponse, parts: string[], gapMs: number): void {
    const [first, ...rest] = parts;
    if (first === undefined) return void response.end();
    response.write(first);
    this.later(response, gapMs, () => this.writeParts(response, rest, gapMs));
  }
}

function send(response: ServerResponse, status: number, body: string, contentType = 'text/plain'): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

function redirect(response: ServerResponse, status: number, location: string): void {
  response.writeHead(status, { location, 'content-length': '0' });
  response.end();
}

function redirectStatus(text: string | null): number {
  const status = Number(text ?? 302);
  return REDIRECT_CODES.has(status) ? status : 302;
}

/** Writes `bytes` filler bytes, then `suffix`, honouring backpressure and stopping if the client leaves. */
function streamFiller(response: ServerResponse, bytes: number, suffix: string): void {
  // A HEAD response swallows writes without ever pushing back: the loop below would never yield.
  if (response.req.method === 'HEAD') return void response.end();
  let remaining = bytes;
  const pump = () => {
    while (remaining > 0 && !response.destroyed) {
      const chunk = remaining >= FILLER_CHUNK.length ? FILLER_CHUNK : FILLER_CHUNK.subarray(0, remaining);
      remaining -= chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end(suffix);
  };
  pump();
}
