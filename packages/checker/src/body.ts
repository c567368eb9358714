/**
 * Incremental body reading: counts bytes against the cap and searches for the keyword chunk by chunk,
 * including matches that straddle two chunks, so the check can stop reading the moment it knows the answer.
 *
 * Encoding: the body is taken as UTF-8 and the keyword is searched as its UTF-8 bytes. Because UTF-8 is
 * self-synchronising, a byte match is exactly a match in the decoded text, with no decoding cost and no
 * risk of a multi-byte character being cut at a chunk boundary. Matching is case-sensitive.
 */
import type { FailureReason } from '@better-uptime/db';

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

  constructor(
    keyword: string | null,
    private readonly limit = MAX_BODY_BYTES,
  ) {
    this.needle = keyword ? Buffer.from(keyword, 'utf8') : null;
  }

  /** Feeds the next chunk; returns true when reading can stop (keyword found or limit reached). */
  push(chunk: Buffer): boolean {
    const room = this.limit - this.bytesRead;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // A body of exactly `limit` bytes is complete, not too large: only a byte beyond it counts.
    if (chunk.length > room) this.limitReached = true;
    this.bytesRead += part.length;
    if (this.needle && !this.keywordFound && part.length > 0) this.search(this.needle, part);
    return this.keywordFound || this.limitReached;
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
