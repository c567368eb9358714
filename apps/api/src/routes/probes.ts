import { randomBytes } from 'node:crypto';
import { newId, probeQueries, type ProbeRow } from '@better-uptime/db';
import { requireAdmin } from '../auth/admin.js';
import { sha256Hex } from '../auth/api-keys.js';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { notFound } from '../errors.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import { CreatedProbe, CreateProbeBody, ProbeList, ProbeParams } from '../schemas/probe.js';

/** Probe tokens: `bu_probe_` and 32 base64url characters (192 random bits); only the SHA-256 is stored. */
export const PROBE_TOKEN_PREFIX = 'bu_probe_';
/** A connection is trusted as live in the database only while refreshed this recently (every 10 s). */
const CONNECTED_FRESH_MS = 30_000;
/** Beyond this offset the probe's clock is shown as skewed. */
const CLOCK_SKEW_BOUND_MS = 1_000;

export function probeRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const tags = ['probes'];
  const security = AUTHENTICATED;
  // Signed in, then an administrator (403 for anyone else).
  const adminOnly = {
    onRequest: ctx.authenticate,
    preHandler: async (request: Parameters<typeof authOf>[0]) =>
      requireAdmin(db, ctx.config.adminEmails, authOf(request)),
  };

  const probeJson = (row: ProbeRow) => {
    const fresh = row.lastSeenAt !== null && ctx.now() - row.lastSeenAt.getTime() < CONNECTED_FRESH_MS;
    return {
      id: row.id,
      name: row.name,
      region: row.region,
      tokenHint: row.tokenHint,
      createdAt: row.createdAt.toISOString(),
      connected: ctx.probes.isConnected(row.id) || (row.connected && fresh),
      lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
      version: row.version,
      clockOffsetMs: row.clockOffsetMs,
      clockSkewed: row.clockOffsetMs !== null && Math.abs(row.clockOffsetMs) > CLOCK_SKEW_BOUND_MS,
      checksPerSecond: row.checksPerSecond,
      lagMs: row.lagMs,
    };
  };

  app.post(
    '/api/probes',
    {
      ...adminOnly,
      schema: {
        tags,
        security,
        summary:
          'Create a remote probe for a region (administrators only); its token is shown only in this answer',
        body: CreateProbeBody,
        response: { 201: CreatedProbe, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const token = PROBE_TOKEN_PREFIX + randomBytes(24).toString('base64url');
      const row = await probeQueries.createProbe(db, {
        id: newId(),
        name: request.body.name.trim(),
        region: request.body.region,
        tokenHash: sha256Hex(token),
        tokenHint: token.slice(-4),
        createdBy: authOf(request).user.id,
      });
      await ctx.regions.refresh();
      request.log.info({ probeId: row.id, region: row.region }, 'probe created');
      return reply.code(201).send({ probe: probeJson(row), token });
    },
  );

  app.get(
    '/api/probes',
    {
      ...adminOnly,
      schema: {
        tags,
        security,
        summary: 'The remote probes (administrators only): region, connection, clock, pace',
        response: { 200: ProbeList, ...errorResponses(401, 403) },
      },
    },
    async () => ({ probes: (await probeQueries.listProbes(db)).map(probeJson) }),
  );

  app.delete(
    '/api/probes/:id',
    {
      ...adminOnly,
      schema: {
        tags,
        security,
        summary:
          'Revoke a probe (administrators only): its token stops working and its connection closes at once',
        params: ProbeParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await probeQueries.revokeProbe(db, request.params.id))) throw notFound('Probe');
      ctx.probes.disconnect(request.params.id);
      await ctx.regions.refresh();
      request.log.info({ probeId: request.params.id }, 'probe revoked');
      return reply.code(204).send(null);
    },
  );
}
