/**
 * A guarded TCP connection (and TLS on it, when asked) for the kinds that talk to a port themselves
 * (tcp, tls): the same private-target guard, phases and failure reasons as an HTTP hop, and the peer's
 * certificate facts. The HTTP engine keeps its own hop (hop.ts), which interleaves the request with these
 * phases.
 */
import net, { isIP, type Socket } from 'node:net';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import { describeError, tidyMessage, type Failure, type HopPhase } from './errors.js';
import type { ProbeOptions } from './kinds/kind.js';
import { createGuardedLookup, refusalFor, systemResolver } from './ssrf.js';
import type { CheckTimings } from './types.js';

/** What a check records of the peer's certificate. */
export interface CertificateFacts {
  expiresAt: string | null;
  issuer: string | null;
  subject: string | null;
  /** The names it is valid for (subject alternative names). */
  names: string[];
}

export interface ConnectTarget {
  host: string;
  port: number;
  /** TLS on the connection: verify it (true), or accept any certificate (ignore errors). */
  tls?: { verify: boolean };
}

export type ConnectResult =
  | { socket: Socket; timings: CheckTimings; certificate: CertificateFacts | null; failure: null }
  | { socket: null; timings: CheckTimings; certificate: CertificateFacts | null; failure: Failure };

const WAITING_FOR: Partial<Record<HopPhase, string>> = {
  dns: 'during the DNS lookup',
  connect: 'while connecting',
  tls: 'during the TLS handshake',
};

/** The facts of a certificate as Node describes it. */
export function certificateFacts(certificate: PeerCertificate | undefined): CertificateFacts | null {
  if (!certificate || Object.keys(certificate).length === 0) return null;
  const expires = certificate.valid_to ? new Date(certificate.valid_to) : null;
  const names = (certificate.subjectaltname ?? '')
    .split(',')
    .map((entry) => entry.trim().replace(/^(DNS|IP Address):/, ''))
    .filter((name) => name.length > 0);
  const text = (value: unknown) =>
    typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : null;
  return {
    expiresAt: expires && !Number.isNaN(expires.getTime()) ? expires.toISOString() : null,
    issuer: text(certificate.issuer?.O) ?? text(certificate.issuer?.CN),
    subject: text(certificate.subject?.CN),
    names,
  };
}

/**
 * Connects to host:port before `deadline` (performance.now() time). Resolves, never rejects: with the open
 * socket (the caller destroys it) or a failure with its reason. `timeoutMs` words the timeout message.
 */
export function openConnection(
  target: ConnectTarget,
  options: ProbeOptions,
  deadline: number,
): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const timings: CheckTimings = { dnsMs: null, connectMs: null, tlsMs: null, firstByteMs: null };
    const started = performance.now();
    let connectStarted = started;
    let connectedAt: number | null = null;
    let phase: HopPhase = 'dns';
    let certificate: CertificateFacts | null = null;
    let socket: Socket | null = null;
    let done = false;
    const where = { host: target.host, port: target.port };
    const round = (t: CheckTimings): CheckTimings => ({
      dnsMs: t.dnsMs === null ? null : Math.round(t.dnsMs),
      connectMs: t.connectMs === null ? null : Math.round(t.connectMs),
      tlsMs: t.tlsMs === null ? null : Math.round(t.tlsMs),
      firstByteMs: null,
    });
    const fail = (failure: Failure) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve({ socket: null, timings: round(timings), certificate, failure });
    };
    const succeed = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ socket: socket!, timings: round(timings), certificate, failure: null });
    };
    const timer = setTimeout(
      () =>
        fail({
          reason: 'timeout',
          message: `timed out after ${options.timeoutMs} ms ${WAITING_FOR[phase] ?? ''}`.trim(),
        }),
      Math.max(0, deadline - performance.now()),
    );

    const literal = isIP(target.host) !== 0;
    if (literal) {
      phase = 'connect';
      const refusal = options.allowPrivateTargets ? null : refusalFor(target.host);
      if (refusal) return fail({ reason: 'connect', message: refusal.message });
    }
    const lookup = literal
      ? undefined
      : createGuardedLookup({
          resolveHost: options.resolveHost ?? systemResolver,
          allowPrivateTargets: options.allowPrivateTargets,
          onResolved: (elapsedMs, answered) => {
            timings.dnsMs = elapsedMs;
            if (!answered) return;
            phase = 'connect';
            connectStarted = performance.now();
          },
        });
    try {
      socket = target.tls
        ? tls.connect({
            host: target.host,
            port: target.port,
            servername: literal ? '' : target.host,
            ca: options.ca as tls.ConnectionOptions['ca'],
            rejectUnauthorized: target.tls.verify,
            lookup,
          })
        : net.createConnection({ host: target.host, port: target.port, lookup });
    } catch (error) {
      return fail({
        reason: 'connect',
        message: tidyMessage(`could not connect: ${(error as Error).message}`),
      });
    }
    const s = socket;
    s.on('error', (error) => fail(describeError(error, phase, where)));
    s.on('close', () =>
      fail(
        phase === 'tls'
          ? {
              reason: 'tls',
              message: `${target.host}:${target.port} closed the connection during the TLS handshake`,
            }
          : describeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), phase, where),
      ),
    );
    s.once('connect', () => {
      connectedAt = performance.now();
      timings.connectMs = connectedAt - connectStarted;
      const remote = s.remoteAddress;
      const refusal = options.allowPrivateTargets || !remote ? null : refusalFor(remote);
      if (refusal) return fail({ reason: 'connect', message: refusal.message });
      if (target.tls) phase = 'tls';
      else succeed();
    });
    if (!target.tls) return;
    const tlsSocket = s as TLSSocket;
    // Read before Node verifies the peer, so a rejected certificate's facts are kept (see hop.ts).
    tlsSocket.prependOnceListener('secure', () => {
      certificate ??= certificateFacts(tlsSocket.getPeerCertificate());
    });
    tlsSocket.once('secureConnect', () => {
      if (connectedAt !== null) timings.tlsMs = performance.now() - connectedAt;
      certificate ??= certificateFacts(tlsSocket.getPeerCertificate());
      succeed();
    });
  });
}
