import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiServer } from './context.js';

/**
 * Where the built dashboard may be, relative to this code: apps/web/dist seen from apps/api/src (running
 * from source), or, from a production bundle in dist/, a `web` folder beside it or the repository's
 * apps/web/dist. The first that holds an index.html wins.
 */
const DASHBOARD_CANDIDATES = ['../../web/dist', './web', '../apps/web/dist'].map((path) =>
  resolve(fileURLToPath(new URL(path, import.meta.url))),
);

export function findDashboardDir(): string {
  return DASHBOARD_CANDIDATES.find((dir) => existsSync(join(dir, 'index.html'))) ?? DASHBOARD_CANDIDATES[0]!;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.webmanifest', '.txt']);

/**
 * Scripts and styles only from this origin, so even markup that slipped past escaping could not run.
 * (Styles the dashboard sets from script go through the CSSOM, which the policy does not restrict.)
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The API docs (Swagger UI) load only their own scripts too; their styles include inline ones that the
 * UI's components set, hence 'unsafe-inline' for styles alone.
 */
export const DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
  "style-src 'self'",
  "style-src 'self' 'unsafe-inline'",
);

/** The headers every page we serve carries (the dashboard's and the docs'). */
export function setPageSecurityHeaders(reply: FastifyReply, policy: string): void {
  reply
    .header('content-security-policy', policy)
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff');
}

/** Paths the dashboard must never answer for: the API's own 404s stay JSON. */
const NOT_DASHBOARD = /^\/(api|docs)(\/|$)/;

interface CachedFile {
  mtimeMs: number;
  body: Buffer;
  gzipped: Buffer | null;
  etag: string;
}

const gzipAsync = promisify(gzip);

/**
 * Serves the built dashboard at `/`: files of apps/web/dist as they are, and index.html for any other
 * GET path outside /api and /docs (the dashboard routes in the browser). Vite names the files under
 * /assets/ by their content hash, so they are cached for a year; everything else is revalidated. Files
 * are read once, gzipped once, and kept in memory while unchanged on disk (the build is small).
 */
export function registerDashboard(app: ApiServer, dir?: string): void {
  const cache = new Map<string, CachedFile>();
  // Looked up again while missing, so a dashboard built after the API started is served without a restart.
  let root = dir ?? findDashboardDir();
  const located = () =>
    dir !== undefined || existsSync(join(root, 'index.html')) ? root : (root = findDashboardDir());

  async function load(path: string): Promise<CachedFile | null> {
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return null;
    const cached = cache.get(path);
    if (cached && cached.mtimeMs === info.mtimeMs) return cached;
    const body = await readFile(path);
    const file: CachedFile = {
      mtimeMs: info.mtimeMs,
      body,
      gzipped: COMPRESSIBLE.has(extname(path)) && body.length > 1024 ? await gzipAsync(body) : null,
      etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
    };
    cache.set(path, file);
    return file;
  }

  function send(request: FastifyRequest, reply: FastifyReply, path: string, file: CachedFile, root: string) {
    const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
    const immutable = path.startsWith(join(root, 'assets') + sep);
    reply
      .header('content-type', type)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('etag', file.etag)
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'accept-encoding');
    if (type.startsWith('text/html')) setPageSecurityHeaders(reply, CONTENT_SECURITY_POLICY);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    if (file.gzipped && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
      return reply.header('content-encoding', 'gzip').send(file.gzipped);
    }
    return reply.send(file.body);
  }

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const root = located();
    const pathname = request.url.split('?')[0]!;
    if (NOT_DASHBOARD.test(pathname)) return reply.callNotFound();
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return reply.callNotFound();
    }
    // No dot-dot segments, no NUL; the prefix check is a second guard that nothing escapes the root.
    if (decoded.includes('\0') || decoded.split(/[/\\]/).includes('..')) return reply.callNotFound();
    const candidate = join(root, normalize(decoded));
    if (candidate !== root && !candidate.startsWith(root + sep)) return reply.callNotFound();
    const file = candidate === root ? null : await load(candidate);
    if (file) return send(request, reply, candidate, file, root);
    // A missing file (it has an extension) is a 404; any other path is a dashboard page.
    if (extname(decoded) !== '') return reply.callNotFound();
    const index = join(root, 'index.html');
    const page = await load(index);
    if (page) return send(request, reply, index, page, root);
    return reply
      .code(503)
      .header('content-type', 'text/plain; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        'The dashboard is not built yet: run `npm run build:web`, then reload. The API is at /api, its docs at /docs.\n',
      );
  });
}
