/**
 * The tls kind: a TLS handshake with host:port whose certificate must be valid for the host and stay valid
 * for at least `minDaysValid` more days. Its expiry, issuer and names are recorded.
 */
import { Type } from '@sinclair/typebox';
import { openConnection } from '../connection.js';
import type { Failure } from '../errors.js';
import type { CheckOutcome } from '../types.js';
import { hostPortTarget, refineHost } from '../url.js';
import { defineKind } from './kind.js';
import { Host, Port } from './schema.js';

const DAY_MS = 86_400_000;

export const tlsKind = defineKind({
  name: 'tls',
  settings: Type.Object({
    host: Host,
    port: Type.Integer({ ...Port, default: 443 }),
    minDaysValid: Type.Integer({
      minimum: 0,
      maximum: 365,
      default: 14,
      description: 'Down when the certificate expires in fewer days than this',
    }),
  }),
  secrets: () => [],
  refine: refineHost,
  target: hostPortTarget,
  async probe(settings, options) {
    const startedAt = Date.now();
    const began = performance.now();
    const connection = await openConnection(
      { host: settings.host, port: settings.port, tls: { verify: true } },
      options,
      began + options.timeoutMs,
    );
    connection.socket?.destroy();
    const { certificate } = connection;
    const expiresAt = certificate?.expiresAt ? new Date(certificate.expiresAt) : null;
    const daysLeft = expiresAt ? Math.floor((expiresAt.getTime() - Date.now()) / DAY_MS) : null;
    let failure: Failure | null = connection.failure;
    if (!failure && daysLeft !== null && daysLeft < settings.minDaysValid) {
      failure = {
        reason: 'cert_expiry',
        message: `certificate expires in ${daysLeft} days (${expiresAt!.toISOString()}), fewer than ${settings.minDaysValid}`,
      };
    }
    const outcome: CheckOutcome = {
      status: failure ? 'Down' : 'Up',
      reason: failure?.reason ?? null,
      message: failure?.message ?? null,
      statusCode: null,
      responseTimeMs: Math.round(performance.now() - began),
      timings: connection.timings,
      certExpiresAt: expiresAt,
      details: certificate ? { certificate, daysLeft } : null,
      startedAt,
    };
    return outcome;
  },
});
