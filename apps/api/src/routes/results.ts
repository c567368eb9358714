import { judgedRegions } from '@better-uptime/checker';
import { monitorQueries, resultQueries } from '@better-uptime/db';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { invalid, notFound } from '../errors.js';
import { checkJson, checkViewJson } from '../present.js';
import {
  ChecksQuery,
  ChecksResponse,
  CleanupQuery,
  CleanupResponse,
  LatestResponse,
  ResultParams,
} from '../schemas/check.js';
import { AUTHENTICATED, errorResponses, REGION_NAME } from '../schemas/common.js';
import { isDateTime } from '../validation.js';

const DEFAULT_LIMIT = 100;
const DEFAULT_CLEANUP_DAYS = 90;
const DAY_MS = 86_400_000;

export function resultRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const common = { onRequest: ctx.authenticate };
  const tags = ['results'];
  const security = AUTHENTICATED;

  /** Results are reachable only through a monitor the caller owns; anything else is "not found". */
  async function requireOwnMonitor(userId: string, monitorId: string): Promise<void> {
    if (!(await monitorQueries.monitorBelongsTo(db, userId, monitorId))) throw notFound('Monitor');
  }

  app.get(
    '/api/results/:monitorId/checks',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'A monitor’s checks, newest first, a page at a time',
        description:
          'Ordered by scheduled time, newest first (same slot: by region, descending). `from` and `to` are ' +
          'inclusive bounds on the scheduled time.',
        params: ResultParams,
        querystring: ChecksQuery,
        response: { 200: ChecksResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { monitorId } = request.params;
      const { from, to, region, status, cursor } = request.query;
      if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to)) {
        throw invalid('querystring/from', 'must not be after querystring/to');
      }
      const after =
        cursor === undefined
          ? undefined
          : decodeCursor(cursor, ['t', 'r'], (p) => isDateTime(p.t) && REGION_NAME.test(p.r));
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      // The ownership check and the page in one query: null when the caller has no such monitor.
      const rows = await resultQueries.listOwnChecks(
        db,
        { userId: authOf(request).user.id, monitorId },
        {
          limit: limit + 1,
          after: after && { scheduledAt: after.t, region: after.r },
          filter: { from, to, region, status },
          // The default page, the dashboard's and most clients': one cached plan per connection.
          cachedPlan: limit === DEFAULT_LIMIT,
        },
      );
      if (!rows) throw notFound('Monitor');
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        checks: page.map(checkViewJson),
        nextCursor: rows.length > limit && last ? encodeCursor({ t: last.position, r: last.region }) : null,
      };
    },
  );

  app.get(
    '/api/results/:monitorId/latest',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'The newest check of each region',
        params: ResultParams,
        response: { 200: LatestResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { monitorId } = request.params;
      const monitor = await monitorQueries.findMonitor(db, authOf(request).user.id, monitorId);
      if (!monitor) throw notFound('Monitor');
      // Every configured region, and a push kind's own.
      const regions = new Set([...ctx.regions.list, ...judgedRegions(monitor, ctx.regions.list)]);
      const rows = await resultQueries.latestChecks(db, monitorId, [...regions]);
      return { latest: rows.map((row) => checkJson(row, monitor.kind)) };
    },
  );

  app.delete(
    '/api/results/:monitorId/cleanup',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Delete a monitor’s checks older than `days` days',
        description:
          'Deletes the checks whose scheduled time is strictly before now minus `days` × 24 h; a check ' +
          'scheduled exactly at that instant is kept. Runs in batches, so it never holds long locks.',
        params: ResultParams,
        querystring: CleanupQuery,
        response: { 200: CleanupResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { monitorId } = request.params;
      await requireOwnMonitor(authOf(request).user.id, monitorId);
      const days = request.query.days ?? DEFAULT_CLEANUP_DAYS;
      const cutoff = new Date(ctx.now() - days * DAY_MS);
      const deleted = await resultQueries.deleteChecksBefore(db, monitorId, cutoff);
      request.log.info({ monitorId, days, deleted }, 'old checks deleted');
      return { deleted };
    },
  );
}
