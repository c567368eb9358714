import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { newId, ownedIds, sqlState, statusPageQueries, UNIQUE_VIOLATION } from '@better-uptime/db';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { sendCachedBody } from '../http-cache.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import {
  PublicStatusPage,
  SlugParams,
  StatusPage,
  StatusPageBody,
  type StatusPageBodyJson,
  type StatusPageJson,
  StatusPageParams,
} from '../schemas/status-page.js';
import {
  buildPublicPage,
  createPageCache,
  PAGE_TTL_MS,
  type RenderedPage,
} from '../status-pages/public-page.js';

const MAX_PAGES_PER_USER = 100;
/**
 * How long a public page's lookup (by slug, or by the Host of a custom domain) is reused, also when no page
 * matches; this process's own edits clear them at once.
 */
const LOOKUP_TTL_MS = 5_000;
const MAX_CACHED_LOOKUPS = 1_000;

function pageJson(p: statusPageQueries.StatusPageRecord): StatusPageJson {
  return {
    id: p.id,
    slug: p.slug,
    title: p.title,
    description: p.description,
    sections: p.sections,
    show: p.show,
    published: p.published,
    customDomain: p.customDomain,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** A page's fields from a request: defaults filled in, every monitor one of the caller's. */
async function pageFields(
  ctx: ApiContext,
  userId: string,
  body: StatusPageBodyJson,
): Promise<statusPageQueries.StatusPageFields> {
  const ids = body.sections.flatMap((s) => s.monitors.map((m) => m.monitorId));
  const owned = await ownedIds(ctx.db, 'monitors', userId, [...new Set(ids)]);
  body.sections.forEach((section, i) =>
    section.monitors.forEach((m, j) => {
      if (!owned.has(m.monitorId))
        throw invalid(`body/sections/${i}/monitors/${j}/monitorId`, 'is not one of your monitors');
    }),
  );
  return {
    slug: body.slug,
    title: body.title,
    description: body.description ?? '',
    sections: body.sections,
    show: {
      uptimeBars: body.show?.uptimeBars ?? true,
      uptimePercent: body.show?.uptimePercent ?? true,
      incidents: body.show?.incidents ?? true,
      maintenance: body.show?.maintenance ?? true,
    },
    published: body.published ?? true,
    customDomain: body.customDomain?.toLowerCase() ?? null,
  };
}

/** A slug or custom domain another page has: 409 naming the field. */
async function saving<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
    const field = String(
      (error as { constraint?: string; cause?: { constraint?: string } }).cause?.constraint ??
        (error as { constraint?: string }).constraint ??
        '',
    ).includes('domain')
      ? 'customDomain'
      : 'slug';
    throw new ApiError(409, 'conflict', `body/${field} is taken by another status page`);
  }
}

/**
 * Status pages: the owner's CRUD under /api/status-pages, and the public page (no login) as JSON at
 * /api/public/status-pages/:slug, as HTML at /status/:slug, and at / for a request whose Host is the
 * page's custom domain.
 */
export function statusPageRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const common = { onRequest: ctx.authenticate };
  const tags = ['status pages'];
  const security = AUTHENTICATED;
  const cache = createPageCache((page) => buildPublicPage(db, page, ctx.now()));
  const lookups = new Map<string, { at: number; page: statusPageQueries.StatusPageRecord | null }>();

  async function lookup(key: string, find: () => Promise<statusPageQueries.StatusPageRecord | null>) {
    let entry = lookups.get(key);
    if (!entry || performance.now() - entry.at >= LOOKUP_TTL_MS) {
      entry = { at: performance.now(), page: await find() };
      lookups.delete(key);
      lookups.set(key, entry);
      if (lookups.size > MAX_CACHED_LOOKUPS) lookups.delete(lookups.keys().next().value!);
    }
    return entry.page;
  }

  app.post(
    '/api/status-pages',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Create a public status page of some of your monitors',
        body: StatusPageBody,
        response: {
          201: Type.Object({ statusPage: StatusPage }),
          ...errorResponses(400, 401, 403, 409, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const userId = authOf(request).user.id;
      const fields = await pageFields(ctx, userId, request.body);
      if ((await statusPageQueries.listStatusPages(db, userId)).length >= MAX_PAGES_PER_USER) {
        throw new ApiError(409, 'conflict', `at most ${MAX_PAGES_PER_USER} status pages per account`);
      }
      const page = await saving(() =>
        statusPageQueries.insertStatusPage(db, { id: newId(), userId, ...fields }),
      );
      lookups.clear();
      return reply.code(201).send({ statusPage: pageJson(page) });
    },
  );

  app.get(
    '/api/status-pages',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Your status pages, newest first',
        response: { 200: Type.Object({ statusPages: Type.Array(StatusPage) }), ...errorResponses(401) },
      },
    },
    async (request) => ({
      statusPages: (await statusPageQueries.listStatusPages(db, authOf(request).user.id)).map(pageJson),
    }),
  );

  app.get(
    '/api/status-pages/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'One of your status pages',
        params: StatusPageParams,
        response: { 200: Type.Object({ statusPage: StatusPage }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const page = await statusPageQueries.findStatusPage(db, authOf(request).user.id, request.params.id);
      if (!page) throw notFound('Status page');
      return { statusPage: pageJson(page) };
    },
  );

  app.put(
    '/api/status-pages/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Replace a status page (every field; omitted optional ones take their defaults)',
        params: StatusPageParams,
        body: StatusPageBody,
        response: {
          200: Type.Object({ statusPage: StatusPage }),
          ...errorResponses(400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      // Another user's page answers 404 before its body is looked at, like a missing one.
      if (!(await statusPageQueries.findStatusPage(db, userId, request.params.id)))
        throw notFound('Status page');
      const fields = await pageFields(ctx, userId, request.body);
      const page = await saving(() =>
        statusPageQueries.replaceStatusPage(db, userId, request.params.id, fields),
      );
      if (!page) throw notFound('Status page');
      lookups.clear();
      return { statusPage: pageJson(page) };
    },
  );

  app.delete(
    '/api/status-pages/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Delete a status page',
        params: StatusPageParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await statusPageQueries.deleteStatusPage(db, authOf(request).user.id, request.params.id))) {
        throw notFound('Status page');
      }
      lookups.clear();
      return reply.code(204).send(null);
    },
  );

  async function published(slug: string) {
    const page = await lookup(`slug:${slug}`, () => statusPageQueries.findPublishedPage(db, { slug }));
    if (!page) throw notFound('Status page');
    return cache.get(page);
  }

  function sendHtml(request: FastifyRequest, reply: FastifyReply, rendered: RenderedPage) {
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
    return sendCachedBody(request, reply, rendered.html(), PAGE_TTL_MS / 1000);
  }

  app.get(
    '/api/public/status-pages/:slug',
    {
      schema: {
        tags,
        summary: 'A published status page (no login): states, 90 daily uptime bars, incidents, maintenance',
        params: SlugParams,
        response: { 200: PublicStatusPage, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const rendered = await published(request.params.slug);
      // Bytes with a JSON type are sent as they are: the cached answer, already written through the schema.
      reply.type('application/json; charset=utf-8');
      return sendCachedBody(request, reply, rendered.body, PAGE_TTL_MS / 1000) as never;
    },
  );

  app.get('/status/:slug', { schema: { hide: true, params: SlugParams } }, async (request, reply) =>
    sendHtml(request, reply, await published(request.params.slug)),
  );

  // A custom domain: the page at / when the Host header names it.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.url.split('?')[0] !== '/') return;
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!host) return;
    const page = await lookup(`host:${host}`, () =>
      statusPageQueries.findPublishedPage(db, { customDomain: host }),
    );
    if (!page) return;
    await sendHtml(request, reply, await cache.get(page));
    return reply;
  });
}
