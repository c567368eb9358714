import { apiKeyQueries, type ApiKeyRow, newId } from '@better-uptime/db';
import { generateApiKey } from '../auth/api-keys.js';
import { authOf, sessionOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { ApiKeyList, ApiKeyParams, CreateApiKeyBody, CreatedApiKey } from '../schemas/api-key.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';

const MAX_EXPIRY_MS = 10 * 366 * 86_400_000;

function apiKeyJson(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

export function apiKeyRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const tags = ['keys'];
  const security = AUTHENTICATED;

  app.post(
    '/api/keys',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags,
        security,
        summary: 'Create an API key (needs a signed-in session); the key is shown only in this answer',
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, ...errorResponses(400, 401, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { user } = sessionOf(request);
      const { name, scope, expiresAt } = request.body;
      let expires: Date | null = null;
      if (expiresAt !== undefined && expiresAt !== null) {
        expires = new Date(expiresAt);
        const ahead = expires.getTime() - ctx.now();
        if (ahead <= 0) throw invalid('body/expiresAt', 'must be in the future');
        if (ahead > MAX_EXPIRY_MS) throw invalid('body/expiresAt', 'must be at most 10 years ahead');
      }
      const { key, prefix, hash } = generateApiKey();
      const row = await apiKeyQueries.createApiKey(db, {
        id: newId(),
        userId: user.id,
        name: name.trim(),
        scope,
        prefix,
        keyHash: hash,
        expiresAt: expires,
      });
      if (!row) {
        throw new ApiError(
          409,
          'conflict',
          `At most ${apiKeyQueries.MAX_API_KEYS_PER_USER} API keys per user: delete one first`,
        );
      }
      request.log.info({ userId: user.id, apiKeyId: row.id, scope }, 'API key created');
      return reply.code(201).send({ apiKey: apiKeyJson(row), key });
    },
  );

  app.get(
    '/api/keys',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags,
        security,
        summary: 'Your API keys (never the keys themselves), newest first',
        response: { 200: ApiKeyList, ...errorResponses(401) },
      },
    },
    async (request) => ({
      apiKeys: (await apiKeyQueries.listApiKeys(db, authOf(request).user.id)).map(apiKeyJson),
    }),
  );

  app.delete(
    '/api/keys/:id',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags,
        security,
        summary: 'Delete an API key: it stops working at once',
        params: ApiKeyParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { user } = sessionOf(request);
      if (!(await apiKeyQueries.deleteApiKey(db, user.id, request.params.id))) throw notFound('API key');
      request.log.info({ userId: user.id, apiKeyId: request.params.id }, 'API key deleted');
      return reply.code(204).send(null);
    },
  );
}
