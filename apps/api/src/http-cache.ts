import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A strong ETag of a response body (or of what it is made from). */
export function etagOf(content: string): string {
  return `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
}

/**
 * Marks a public response cacheable for `maxAgeSeconds` with its ETag, and answers 304 when the client
 * already has it: returns true when the reply was sent.
 */
export function sendNotModified(
  request: FastifyRequest,
  reply: FastifyReply,
  etag: string,
  maxAgeSeconds: number,
): boolean {
  reply.header('cache-control', `public, max-age=${maxAgeSeconds}`).header('etag', etag);
  if (request.headers['if-none-match'] !== etag) return false;
  reply.code(304).send();
  return true;
}

export const gzipAsync = promisify(gzip);

/** Whether the client takes a gzipped answer (and so, that the answer varies with Accept-Encoding). */
export function acceptsGzip(request: FastifyRequest, reply: FastifyReply): boolean {
  reply.header('vary', 'accept-encoding');
  return /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
}

/** A body kept with its gzipped bytes, compressed once on first use, and the ETags of both. */
export interface CachedBody {
  plain: string;
  /** The plain body's UTF-8 bytes, encoded once (a string would be encoded again for every answer). */
  plainBytes(): Buffer;
  etag: string;
  gzipped(): Promise<Buffer>;
  /** A gzipped answer is another representation, so it has its own strong ETag. */
  gzippedEtag: string;
}

export function cachedBody(plain: string): CachedBody {
  const etag = etagOf(plain);
  let gzipped: Promise<Buffer> | undefined;
  let bytes: Buffer | undefined;
  return {
    plain,
    plainBytes: () => (bytes ??= Buffer.from(plain)),
    etag,
    gzipped: () => (gzipped ??= gzipAsync(plain, { level: 9 })),
    gzippedEtag: `${etag.slice(0, -1)}-gzip"`,
  };
}

/**
 * Sends a cached public body: 304 when the client has it, else gzipped (compressed once per computation)
 * when the client accepts it, else as it is.
 */
export async function sendCachedBody(
  request: FastifyRequest,
  reply: FastifyReply,
  body: CachedBody,
  maxAgeSeconds: number,
): Promise<FastifyReply> {
  const gzipped = acceptsGzip(request, reply);
  if (sendNotModified(request, reply, gzipped ? body.gzippedEtag : body.etag, maxAgeSeconds)) return reply;
  if (!gzipped) return reply.send(body.plainBytes());
  return reply.header('content-encoding', 'gzip').send(await body.gzipped());
}
