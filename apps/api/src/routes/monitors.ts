import type { FastifyBaseLogger } from 'fastify';
import { isUuid, monitorQueries, type MonitorRow, newId } from '@better-uptime/db';
import { nextSlotAfter } from '@better-uptime/scheduler';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { notFound } from '../errors.js';
import { rescheduledAt, settingsForCreate, settingsForUpdate } from '../monitors/input.js';
import { monitorJson } from '../present.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import {
  MonitorListQuery,
  MonitorListResponse,
  MonitorParams,
  MonitorResponse,
  monitorInputSchemas,
} from '../schemas/monitor.js';
import { withTimeout } from '../timeout.js';

const DEFAULT_LIMIT = 100;
const HOOK_TIMEOUT_MS = 5_000;

export function monitorRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const input = monitorInputSchemas(ctx.config.regions);
  const common = { onRequest: ctx.authenticate };
  const tags = ['monitors'];
  const security = AUTHENTICATED;

  /** Tells the scheduling hook; its failure or slowness is logged and otherwise ignored. */
  async function announce(event: 'created' | 'updated', monitor: MonitorRow, log: FastifyBaseLogger) {
    if (!ctx.monitorEvents) return;
    try {
      await withTimeout(ctx.monitorEvents[event](monitor), HOOK_TIMEOUT_MS, `monitor ${event} hook`);
    } catch (error) {
      log.warn(
        { err: error, monitorId: monitor.id },
        `monitor ${event} hook failed; the producer will schedule it`,
      );
    }
  }

  app.post(
    '/api/monitor',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Create a monitor',
        body: input.create,
        response: { 201: MonitorResponse, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const { user } = authOf(request);
      const settings = settingsForCreate(request.body);
      const id = newId();
      const monitor = await monitorQueries.insertMonitor(db, {
        id,
        userId: user.id,
        ...settings,
        nextCheckAt: new Date(nextSlotAfter(id, settings.intervalSeconds, ctx.now())),
      });
      await announce('created', monitor, request.log);
      return reply.code(201).send({ monitor: monitorJson(monitor) });
    },
  );

  app.get(
    '/api/monitor',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'List your monitors, newest first, a page at a time',
        querystring: MonitorListQuery,
        response: { 200: MonitorListResponse, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { user } = authOf(request);
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const beforeId =
        request.query.cursor === undefined
          ? undefined
          : decodeCursor(request.query.cursor, ['id'], (p) => isUuid(p.id)).id;
      // One row more than the page tells whether there is a next page without counting.
      // Plain rows already in the answer's shape (public fields by name, ISO timestamps from the database).
      const rows = await monitorQueries.listMonitorViews(db, user.id, { limit: limit + 1, beforeId });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const last = page[page.length - 1];
      return {
        monitors: page,
        nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
      };
    },
  );

  app.get(
    '/api/monitor/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Get a monitor',
        params: MonitorParams,
        response: { 200: MonitorResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const monitor = await monitorQueries.findMonitor(db, authOf(request).user.id, request.params.id);
      if (!monitor) throw notFound('Monitor');
      return { monitor: monitorJson(monitor) };
    },
  );

  app.put(
    '/api/monitor/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Change any subset of a monitor’s settings',
        description:
          'Changing intervalSeconds, or unpausing, reschedules the next check to the first slot after now.',
        params: MonitorParams,
        body: input.update,
        response: { 200: MonitorResponse, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const changes = settingsForUpdate(request.body);
      const monitor = await monitorQueries.updateMonitor(
        db,
        authOf(request).user.id,
        request.params.id,
        changes,
        (current) => rescheduledAt(current, changes, ctx.now()),
      );
      if (!monitor) throw notFound('Monitor');
      await announce('updated', monitor, request.log);
      return { monitor: monitorJson(monitor) };
    },
  );

  app.delete(
    '/api/monitor/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Delete a monitor and all its results',
        params: MonitorParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const deleted = await monitorQueries.deleteMonitor(db, authOf(request).user.id, request.params.id);
      if (!deleted) throw notFound('Monitor');
      return reply.code(204).send(null);
    },
  );
}
