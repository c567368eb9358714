/**
 * The tcp kind: a port accepts a connection (and a TLS handshake, when asked); optionally a string is
 * sent and the reply must contain another.
 */
import { Type } from '@sinclair/typebox';
import type { Socket } from 'node:net';
import { BodyScanner } from '../body.js';
import { openConnection } from '../connection.js';
import { tidyMessage, type Failure } from '../errors.js';
import type { CheckOutcome } from '../types.js';
import { hostPortTarget, refineHost } from '../url.js';
import { defineKind } from './kind.js';
import { Host, Port } from './schema.js';

/** The most of a reply a check reads while looking for the expected text. */
export const MAX_REPLY_BYTES = 65_536;

export const tcpKind = defineKind({
  name: 'tcp',
  settings: Type.Object({
    host: Host,
    port: Port,
    tls: Type.Boolean({
      default: false,
      description: 'Make a TLS handshake (certificate verified) after connecting',
    }),
    send: Type.Union([Type.String({ minLength: 1, maxLength: 1000 }), Type.Null()], {
      default: null,
      description: 'Text sent once connected (escape sequences such as \\r\\n are taken as JSON gives them)',
    }),
    expect: Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()], {
      default: null,
      description: `Text the reply must contain (read up to ${MAX_REPLY_BYTES} bytes)`,
    }),
  }),
  secrets: () => [],
  refine: refineHost,
  target: hostPortTarget,
  async probe(settings, options) {
    const startedAt = Date.now();
    const began = performance.now();
    const deadline = began + options.timeoutMs;
    const connection = await openConnection(
      { host: settings.host, port: settings.port, ...(settings.tls ? { tls: { verify: true } } : {}) },
      options,
      deadline,
    );
    const outcome = (failure: Failure | null, firstByteMs: number | null = null): CheckOutcome => ({
      status: failure ? 'Down' : 'Up',
      reason: failure?.reason ?? null,
      message: failure ? tidyMessage(failure.message) : null,
      statusCode: null,
      responseTimeMs: Math.round(performance.now() - began),
      timings: { ...connection.timings, firstByteMs },
      certExpiresAt: connection.certificate?.expiresAt ? new Date(connection.certificate.expiresAt) : null,
      details: connection.certificate ? { certificate: connection.certificate } : null,
      startedAt,
    });
    if (connection.failure) return outcome(connection.failure);
    const socket = connection.socket;
    if (settings.send === null && settings.expect === null) {
      // Connecting (and the handshake) was the whole check.
      socket.destroy();
      return outcome(null);
    }
    const reply = await exchange(socket, settings.send, settings.expect, deadline, options.timeoutMs);
    socket.destroy();
    return outcome(reply.failure, reply.firstByteMs);
  },
});

/** Sends `send` and reads until the reply contains `expect`, the peer closes, the cap or the deadline. */
function exchange(
  socket: Socket,
  send: string | null,
  expect: string | null,
  deadline: number,
  timeoutMs: number,
): Promise<{ failure: Failure | null; firstByteMs: number | null }> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    let firstByteMs: number | null = null;
    const reply = new BodyScanner(expect, MAX_REPLY_BYTES);
    let done = false;
    const finish = (failure: Failure | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ failure, firstByteMs });
    };
    const missing = (): Failure =>
      reply.bytesRead === 0
        ? { reason: 'protocol', message: 'the connection was closed before any reply' }
        : { reason: 'keyword', message: `the reply did not contain "${expect}"` };
    const timer = setTimeout(
      () =>
        finish({
          reason: 'timeout',
          message:
            reply.bytesRead === 0
              ? `no reply within ${timeoutMs} ms`
              : `the reply did not contain "${expect}" within ${timeoutMs} ms`,
        }),
      Math.max(0, deadline - performance.now()),
    );
    socket.on('data', (chunk: Buffer) => {
      firstByteMs ??= Math.round(performance.now() - sentAt);
      if (!reply.push(chunk)) return;
      if (reply.keywordFound) return finish(null);
      finish({
        reason: 'keyword',
        message: `the first ${MAX_REPLY_BYTES} bytes of the reply did not contain "${expect}"`,
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(
        reply.bytesRead === 0
          ? {
              reason: 'protocol',
              message: `the connection was reset before any reply (${error.code ?? error.message})`,
            }
          : missing(),
      ),
    );
    socket.on('close', () => finish(missing()));
    if (send !== null) socket.write(send, () => (expect === null ? finish(null) : undefined));
  });
}
