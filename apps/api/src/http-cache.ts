import { createHash } from 'node:crypto';
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
