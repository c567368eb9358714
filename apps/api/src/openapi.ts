import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ApiServer } from './context.js';
import { SESSION_COOKIE } from './auth/cookies.js';

/** The OpenAPI 3.1 description, built from the route schemas, and readable docs at /docs. */
export function registerOpenApi(app: ApiServer): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Better Uptime API',
        version: '0.1.0',
        description:
          'Uptime monitors and their check results. Authenticate with `Authorization: Bearer <token>` ' +
          `from login or signup, or with the \`${SESSION_COOKIE}\` cookie (then send the \`bu_csrf\` cookie's ` +
          'value as `x-csrf-token` on POST, PUT and DELETE). Errors are `{"error": {"code", "message"}}`.',
      },
      tags: [
        { name: 'auth', description: 'Accounts and sessions' },
        { name: 'monitors', description: 'What to check, how and how often' },
        { name: 'results', description: 'Check results' },
        { name: 'stats', description: 'Aggregates for the dashboard: overview, uptime, percentiles, series' },
        { name: 'health', description: 'Service health' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs' });
  app.register(async (scope) => {
    scope.get('/api/openapi.json', { schema: { hide: true } }, async () => scope.swagger());
  });
}
