import { incidentQueries, isUuid } from '@better-uptime/db';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { notFound } from '../errors.js';
import { incidentJson, timelineJson } from '../present.js';
import { AUTHENTICATED, errorResponses } from '../schemas/common.js';
import {
  IncidentDetailResponse,
  IncidentListQuery,
  IncidentListResponse,
  IncidentParams,
  IncidentResponse,
} from '../schemas/incident.js';

const DEFAULT_LIMIT = 50;

/** A user's incidents: the list (open first), one with its timeline, and acknowledging one. */
export function incidentRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const common = { onRequest: ctx.authenticate };
  const tags = ['incidents'];
  const security = AUTHENTICATED;

  app.get(
    '/api/incidents',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Your incidents: open ones first, then the newest, a page at a time',
        querystring: IncidentListQuery,
        response: { 200: IncidentListResponse, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const { status, monitorId, cursor } = request.query;
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const after =
        cursor === undefined
          ? undefined
          : decodeCursor(cursor, ['id', 'o'], (p) => isUuid(p.id) && (p.o === '1' || p.o === '0'));
      const rows = await incidentQueries.listIncidents(db, userId, {
        status,
        monitorId,
        after: after ? { id: after.id, open: after.o === '1' } : undefined,
        limit: limit + 1,
      });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const last = page[page.length - 1];
      return {
        incidents: page.map(incidentJson),
        nextCursor:
          rows.length > limit && last
            ? encodeCursor({ id: last.id, o: last.status === 'open' ? '1' : '0' })
            : null,
      };
    },
  );

  app.get(
    '/api/incidents/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'An incident with its timeline: each region’s transitions and the monitor’s, with times',
        params: IncidentParams,
        response: { 200: IncidentDetailResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const incident = await incidentQueries.findIncident(db, authOf(request).user.id, request.params.id);
      if (!incident) throw notFound('Incident');
      const timeline = await incidentQueries.incidentTimeline(db, incident.id);
      return { incident: incidentJson(incident), timeline: timeline.map(timelineJson) };
    },
  );

  app.post(
    '/api/incidents/:id/acknowledge',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Acknowledge an incident (someone is on it); acknowledging again keeps the first time',
        params: IncidentParams,
        response: { 200: IncidentResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      if (!(await incidentQueries.acknowledgeIncident(db, userId, request.params.id)))
        throw notFound('Incident');
      const incident = await incidentQueries.findIncident(db, userId, request.params.id);
      if (!incident) throw notFound('Incident');
      return { incident: incidentJson(incident) };
    },
  );
}
