import { statusPageQueries } from '@better-uptime/db';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { notFound } from '../errors.js';
import { AUTHENTICATED, errorResponses } from '../schemas/common.js';
import { IncidentParams } from '../schemas/incident.js';
import { IncidentUpdateBody, IncidentUpdateResponse } from '../schemas/status-page.js';

/** Operators tell the public what is going on: updates appear under the incident on status pages. */
export function incidentUpdateRoutes(app: ApiServer, ctx: ApiContext): void {
  app.post(
    '/api/incidents/:id/updates',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['incidents'],
        security: AUTHENTICATED,
        summary: 'Post an update (investigating, identified, monitoring, resolved) shown on status pages',
        description:
          'The text appears under the incident on every status page showing its monitor. It tells; it does ' +
          'not decide: the incident opens and resolves from the checks, whatever status an update gives.',
        params: IncidentParams,
        body: IncidentUpdateBody,
        response: { 201: IncidentUpdateResponse, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const update = await statusPageQueries.addIncidentUpdate(
        ctx.db,
        authOf(request).user.id,
        request.params.id,
        request.body,
      );
      if (!update) throw notFound('Incident');
      return reply.code(201).send({
        update: {
          id: update.id,
          incidentId: update.incidentId,
          status: update.status,
          message: update.message,
          at: new Date(update.createdAt).toISOString(),
        },
      });
    },
  );
}
