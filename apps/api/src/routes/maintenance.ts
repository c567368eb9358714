import { isUuid, maintenanceWindowQueries, newId, ownedIds } from '@better-uptime/db';
import { isValidTimeZone } from '@better-uptime/incidents';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { invalid, notFound } from '../errors.js';
import { maintenanceJson } from '../present.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import {
  MaintenanceInput,
  type MaintenanceInputBody,
  MaintenanceListQuery,
  MaintenanceListResponse,
  MaintenanceParams,
  MaintenanceResponse,
  WEEKDAYS,
} from '../schemas/maintenance.js';

const DEFAULT_LIMIT = 100;

/**
 * A window's fields from a request, with the rules the schema cannot express: a one-off window needs
 * both ends, in order; a weekly one a real time zone; every monitor must be one of the caller's.
 */
async function windowFields(
  ctx: ApiContext,
  userId: string,
  body: MaintenanceInputBody,
): Promise<maintenanceWindowQueries.WindowFields & { monitorIds: string[] }> {
  const time = (field: 'startsAt' | 'endsAt') => {
    const value = body[field];
    if (value === undefined) return null;
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) throw invalid(`body/${field}`, 'must be a date-time');
    return ms;
  };
  const startsAt = time('startsAt');
  const endsAt = time('endsAt');
  if (!body.weekly) {
    if (startsAt === null)
      throw invalid('body/startsAt', 'is required for a one-off window (or give weekly)');
    if (endsAt === null) throw invalid('body/endsAt', 'is required for a one-off window (or give weekly)');
  }
  if (startsAt !== null && endsAt !== null && endsAt <= startsAt) {
    throw invalid('body/endsAt', 'must be after body/startsAt');
  }
  const timeZone = body.timeZone ?? 'UTC';
  if (!isValidTimeZone(timeZone))
    throw invalid('body/timeZone', 'must be an IANA time zone such as Europe/Berlin');
  const owned = await ownedIds(ctx.db, 'monitors', userId, body.monitorIds);
  body.monitorIds.forEach((id, i) => {
    if (!owned.has(id)) throw invalid(`body/monitorIds/${i}`, 'is not one of your monitors');
  });
  return {
    name: body.name,
    startsAt,
    endsAt,
    weeklyDays: body.weekly ? body.weekly.days.map((d) => WEEKDAYS.indexOf(d) + 1).sort() : null,
    weeklyTime: body.weekly?.time ?? null,
    durationMinutes: body.weekly?.durationMinutes ?? null,
    timeZone,
    monitorIds: body.monitorIds,
  };
}

/** Maintenance windows: during one, checks run and are stored, but no incident opens. */
export function maintenanceRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const common = { onRequest: ctx.authenticate };
  const tags = ['maintenance'];
  const security = AUTHENTICATED;

  app.post(
    '/api/maintenance',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Schedule a maintenance window for some of your monitors',
        description:
          'One-off: startsAt and endsAt. Weekly: weekly {days, time, durationMinutes} in timeZone, optionally ' +
          'bounded by startsAt and endsAt. During a window checks still run and are stored, the monitors show ' +
          '`maintenance`, and no incident opens; if a target is still down when the window ends, the incident ' +
          'opens then (starting at the window’s end). Uptime figures count the checks of a window as measured.',
        body: MaintenanceInput,
        response: { 201: MaintenanceResponse, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const userId = authOf(request).user.id;
      const fields = await windowFields(ctx, userId, request.body);
      const window = await maintenanceWindowQueries.insertWindow(db, { id: newId(), userId, ...fields });
      return reply.code(201).send({ window: maintenanceJson(window, ctx.now()) });
    },
  );

  app.get(
    '/api/maintenance',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Your maintenance windows, newest first',
        querystring: MaintenanceListQuery,
        response: { 200: MaintenanceListResponse, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const beforeId =
        request.query.cursor === undefined
          ? undefined
          : decodeCursor(request.query.cursor, ['id'], (p) => isUuid(p.id)).id;
      const rows = await maintenanceWindowQueries.listWindows(db, userId, { limit: limit + 1, beforeId });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const last = page[page.length - 1];
      const now = ctx.now();
      return {
        windows: page.map((w) => maintenanceJson(w, now)),
        nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
      };
    },
  );

  app.get(
    '/api/maintenance/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'A maintenance window',
        params: MaintenanceParams,
        response: { 200: MaintenanceResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const window = await maintenanceWindowQueries.findWindow(
        db,
        authOf(request).user.id,
        request.params.id,
      );
      if (!window) throw notFound('Maintenance window');
      return { window: maintenanceJson(window, ctx.now()) };
    },
  );

  app.put(
    '/api/maintenance/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Replace a maintenance window (the whole window, as for creation)',
        params: MaintenanceParams,
        body: MaintenanceInput,
        response: { 200: MaintenanceResponse, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      if (!(await maintenanceWindowQueries.findWindow(db, userId, request.params.id))) {
        throw notFound('Maintenance window');
      }
      const fields = await windowFields(ctx, userId, request.body);
      const window = await maintenanceWindowQueries.replaceWindow(db, userId, request.params.id, fields);
      if (!window) throw notFound('Maintenance window');
      return { window: maintenanceJson(window, ctx.now()) };
    },
  );

  app.delete(
    '/api/maintenance/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Delete a maintenance window',
        params: MaintenanceParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await maintenanceWindowQueries.deleteWindow(db, authOf(request).user.id, request.params.id))) {
        throw notFound('Maintenance window');
      }
      return reply.code(204).send(null);
    },
  );
}
