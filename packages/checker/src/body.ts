/**
 * Incremental body reading: counts bytes against the cap and searches for the keyword chunk by chunk,
 * including matches that straddle two chunks, so the check can stop reading the moment it knows the answer.
 *
 * Encoding: the body is taken as UTF-8 and the keyword is searched as its UTF-8 bytes. Because UTF-8 is
 * self-synchronising, a byte match is exactly a match in the decoded text, with no decoding cost and no
 * risk of a multi-byte character being cut at a chunk boundary. Matching is case-sensitive.
 */
import zlib from 'node:zlib';
import type { FailureReason } from './reasons.js';

/** The most body a check ever reads: 1 MiB. */
export const MAX_BODY_BYTES = 1_048_576;

export type KeywordMode = 'present' | 'absent';

export class BodyScanner {
  private readonly needle: Buffer | null;
  /** The last needle.length - 1 bytes seen, to find a match that straddles two chunks. */
  private tail: Buffer = Buffer.alloc(0);
  bytesRead = 0;
  keywordFound = false;
  /** True once the body turned out longer than the limit; the rest is never looked at. */
  limitReached = false;

  /** The bytes read, when kept (a body judged as a whole, or to be decoded first). */
  private readonly kept: Buffer[] | null;

  constructor(
    keyword: string | null,
    private readonly limit = MAX_BODY_BYTES,
    keep = false,
  ) {
    this.needle = keyword ? Buffer.from(keyword, 'utf8') : null;
    this.kept = keep ? [] : null;
  }

  /**
   * Feeds the next chunk; returns true when reading can stop (keyword found, unless the whole body is
   * kept, or limit reached).
   */
  push(chunk: Buffer): boolean {
    const room = this.limit - this.bytesRead;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // A body of exactly `limit` bytes is complete, not too large: only a byte beyond it counts.
    if (chunk.length > room) this.limitReached = true;
    this.bytesRead += part.length;
    if (this.needle && !this.keywordFound && part.length > 0) this.search(this.needle, part);
    if (this.kept) {
      if (part.length > 0) this.kept.push(Buffer.from(part));
      return this.limitReached;
    }
    return this.keywordFound || this.limitReached;
  }

  /** The kept bytes (empty when not kept). */
  bytes(): Buffer {
    return this.kept ? Buffer.concat(this.kept) : Buffer.alloc(0);
  }

  private search(needle: Buffer, part: Buffer): void {
    if (this.tail.length > 0) {
      const seam = Buffer.concat([this.tail, part.subarray(0, needle.length - 1)]);
      if (seam.includes(needle)) {
        this.keywordFound = true;
        return;
      }
    }
    if (part.includes(needle)) {
      this.keywordFound = true;
      return;
    }
    const keep = needle.length - 1;
    const recent = part.length >= keep ? part : Buffer.concat([this.tail, part]);
    // Copy, so the tail does not keep the whole chunk alive.
    this.tail = Buffer.from(recent.subarray(Math.max(0, recent.length - keep)));
  }
}

export interface BodyVerdict {
  reason: FailureReason;
  message: string;
}

function quote(keyword: string): string {
  return JSON.stringify(keyword.length > 60 ? `${keyword.slice(0, 57)}...` : keyword);
}

/** Null when the keyword condition holds (or there is none), else why the check is Down. */
export function judgeBody(scan: BodyScanner, keyword: string | null, mode: KeywordMode): BodyVerdict | null {
  if (!keyword) return null;
  if (mode === 'present') {
    if (scan.keywordFound) return null;
    if (scan.limitReached) {
      return {
        reason: 'too_large',
        message: `keyword ${quote(keyword)} not found in the first 1 MiB of the body`,
      };
    }
    return {
      reason: 'keyword',
      message: `keyword ${quote(keyword)} not found in the body (${scan.bytesRead} bytes)`,
    };
  }
  if (scan.keywordFound) return { reason: 'keyword', message: `keyword ${quote(keyword)} found in the body` };
  if (scan.limitReached) {
    return {
      reason: 'too_large',
      message: `body is larger than 1 MiB, so the absence of keyword ${quote(keyword)} cannot be confirmed`,
    };
  }
  return null;
}

/** Content codings a check asks for when it judges the body, and decodes before judging. */
export const ACCEPTED_ENCODINGS = 'gzip, deflate, br';

/**
 * The body as sent before its content coding (gzip, deflate, br), bounded like a plain body: more than
 * `limit` bytes decoded is `too_large` rather than a decompression bomb in memory. Identity (or no coding)
 * is returned as it is; an unknown coding or a corrupt body is a protocol failure.
 */
export function decodeBody(
  body: Buffer,
  coding: string | undefined,
  limit = MAX_BODY_BYTES,
): { body: Buffer; limitReached: boolean } | BodyVerdict {
  const name = (coding ?? 'identity').trim().toLowerCase();
  const options = { maxOutputLength: limit + 1 };
  try {
    let decoded: Buffer;
    if (name === 'identity' || name === '') return { body, limitReached: false };
    else if (name === 'gzip' || name === 'x-gzip') decoded = zlib.gunzipSync(body, options);
    else if (name === 'deflate') decoded = inflateEither(body, options);
    else if (name === 'br') decoded = zlib.brotliDecompressSync(body, options);
    else return { reason: 'protocol', message: `unsupported content coding ${JSON.stringify(name)}` };
    return decoded.length > limit
      ? { body: decoded.subarray(0, limit), limitReached: true }
      : { body: decoded, limitReached: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      return { body: Buffer.alloc(0), limitReached: true };
    }
    return { reason: 'protocol', message: `could not decode the ${name} body: ${(error as Error).message}` };
  }
}

/** "deflate" is meant as zlib-wrapped, but some servers send it raw. */
function inflateEither(body: Buffer, options: zlib.ZlibOptions): Buffer {
  try {
    return zlib.inflateSync(body, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'Z_DATA_ERROR') throw error;
    return zlib.inflateRawSync(body, options);
  }
}
