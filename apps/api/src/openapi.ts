import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ApiServer } from './context.js';
import { SESSION_COOKIE } from './auth/cookies.js';
import { DOCS_CONTENT_SECURITY_POLICY, setPageSecurityHeaders } from './static.js';

/**
 * An operation's id from its method and path, for generated clients: `get /api/monitor/:id` ->
 * `getMonitorById`, `post /api/auth/totp/setup` -> `postAuthTotpSetup`.
 */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/?/, '')
    .split('/')
    .filter((part) => part !== '')
    .flatMap((part) => (part.startsWith(':') ? ['by', part.slice(1)] : part.split(/[^A-Za-z0-9]+/)));
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/** The OpenAPI 3.1 description, built from the route schemas, and readable docs at /docs. */
export function registerOpenApi(app: ApiServer): void {
  // Every documented operation gets an id, and says its security: public routes say so with `[]`.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean; operationId?: string; security?: unknown[] } | undefined;
    if (!schema || schema.hide) return;
    const method = Array.isArray(route.method) ? route.method[0]! : route.method;
    schema.operationId ??= operationIdOf(method, route.url);
    schema.security ??= [];
  });
  app.register(swagger, {
    transformObject: (document) =>
      namedComponents(exclusiveVariants((document as { openapiObject: object }).openapiObject)),
    openapi: {
      openapi: '3.1.0',
      servers: [{ url: '/', description: 'This server (the API is served beside the dashboard)' }],
      info: {
        title: 'Better Uptime API',
        version: '0.1.0',
        description:
          'Uptime monitors and their check results. Authenticate with `Authorization: Bearer <token>` ' +
          'from login or signup, or an API key (`Authorization: Bearer bu_...`, from POST /api/keys), ' +
          `or the \`${SESSION_COOKIE}\` cookie (then send the \`bu_csrf\` cookie's ` +
          'value as `x-csrf-token` on POST, PUT and DELETE). Errors are `{"error": {"code", "message"}}`.',
      },
      tags: [
        { name: 'auth', description: 'Accounts and sessions' },
        { name: 'keys', description: 'API keys for scripts: `Authorization: Bearer bu_...`' },
        { name: 'monitors', description: 'What to check, how and how often' },
        { name: 'results', description: 'Check results' },
        { name: 'stats', description: 'Aggregates for the dashboard: overview, uptime, percentiles, series' },
        {
          name: 'heartbeats',
          description:
            'Push URLs of heartbeat monitors: public, the token is the secret (`GET|POST /api/push/hb_...`)',
        },
        { name: 'badges', description: 'Public SVG badges of monitors whose owner turned publicBadges on' },
        { name: 'status pages', description: 'Public status pages of your monitors, and their public views' },
        {
          name: 'probes',
          description:
            'Remote probes (administrators only): a region run from any machine by `better-uptime probe`, ' +
            'which connects out to `GET /api/probes/connect` (a WebSocket, `Authorization: Bearer bu_probe_...`)',
        },
        { name: 'health', description: 'Service health' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'A JWT from login or signup, or an API key (bu_...)',
          },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
    },
  });
  app.register(swaggerUi, {
    routePrefix: '/docs',
    // No badge from the public validator service: the policy below would block it anyway.
    uiConfig: { validatorUrl: null },
    // The same protections as the dashboard: no framing, no sniffing, scripts only from this origin.
    uiHooks: {
      onRequest: async (_request, reply) => setPageSecurityHeaders(reply, DOCS_CONTENT_SECURITY_POLICY),
    },
  });
  app.register(async (scope) => {
    scope.get('/api/openapi.json', { schema: { hide: true } }, async () => scope.swagger());
  });
}

interface SchemaNode {
  anyOf?: Array<{ required?: string[] }>;
  oneOf?: unknown[];
  discriminator?: { propertyName: string };
  [key: string]: unknown;
}

/**
 * TypeBox writes every union as `anyOf`. A union under a discriminator whose variants all require it (a
 * channel or monitor answer, a new channel: one object per type or kind) matches exactly one variant, and
 * is documented as what it is: `oneOf`. Unions whose variants may leave it out (edits, a new monitor of
 * the default kind) stay `anyOf`.
 */
function exclusiveVariants<T extends object>(document: T): T {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const schema = node as SchemaNode;
    const property = schema.discriminator?.propertyName;
    if (property && schema.anyOf?.every((variant) => variant.required?.includes(property))) {
      schema.oneOf = schema.anyOf;
      delete schema.anyOf;
    }
    Object.values(schema).forEach(visit);
  };
  visit(document);
  return document;
}

/**
 * Every schema with a `title` (TypeBox's `{ title: 'Monitor' }`) moves to `components.schemas` under that
 * name and is referred to by `$ref`, innermost first, so generated clients get named types (a `Monitor`,
 * an `HttpMonitor`) instead of one anonymous type per use. Two different schemas under one title get
 * numbered names. A discriminated union whose variants all became references gets its `mapping`.
 */
function namedComponents<T extends object>(document: T): T {
  const doc = document as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  doc.components ??= {};
  const components = (doc.components.schemas ??= {});
  const texts = new Map<string, string>(
    Object.entries(components).map(([name, s]) => [JSON.stringify(s), name]),
  );
  const nameOf = (title: string, schema: object): string => {
    const text = JSON.stringify(schema);
    const known = texts.get(text);
    if (known !== undefined) return known;
    const base = title
      .split(/[^A-Za-z0-9]+/)
      .filter((word) => word !== '')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join('');
    let name = base;
    for (let n = 2; name in components; n++) name = `${base}${n}`;
    components[name] = schema;
    texts.set(text, name);
    return name;
  };
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== 'object' || node === null) return node;
    const schema = node as SchemaNode & { title?: unknown; $ref?: unknown };
    for (const [key, value] of Object.entries(schema)) schema[key] = visit(value);
    const variants = (schema.oneOf ?? schema.anyOf) as Array<{ $ref?: string }> | undefined;
    const property = schema.discriminator?.propertyName;
    if (property && variants?.every((variant) => typeof variant.$ref === 'string')) {
      const mapping: Record<string, string> = {};
      for (const variant of variants) {
        const target = components[variant.$ref!.split('/').pop()!] as SchemaNode | undefined;
        const properties = target?.properties as
          Record<string, { const?: unknown; enum?: unknown[] }> | undefined;
        const tag = properties?.[property];
        const value = tag?.const ?? (tag?.enum?.length === 1 ? tag.enum[0] : undefined);
        if (typeof value === 'string') mapping[value] = variant.$ref!;
      }
      schema.discriminator = { propertyName: property, mapping } as SchemaNode['discriminator'];
    }
    if (typeof schema.title !== 'string' || schema.$ref !== undefined) return schema;
    const { description, ...shared } = schema;
    const ref = `#/components/schemas/${nameOf(schema.title, shared)}`;
    return description === undefined ? { $ref: ref } : { $ref: ref, description };
  };
  doc.paths = visit(doc.paths);
  return document;
}
