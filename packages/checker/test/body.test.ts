import { describe, expect, it } from 'vitest';
import { BodyScanner, MAX_BODY_BYTES, judgeBody } from '../src/index.js';

/** Feeds `text` in pieces of `size` bytes; returns the scanner and whether it asked to stop early. */
function scan(text: string | Buffer, size: number, keyword: string | null, limit?: number) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const scanner = new BodyScanner(keyword, limit);
  let stoppedAt: number | null = null;
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (scanner.push(bytes.subarray(offset, offset + size))) {
      stoppedAt = offset;
      break;
    }
  }
  return { scanner, stoppedAt };
}

describe('BodyScanner', () => {
  it.each([1, 2, 3, 5, 7, 64])('finds a keyword split across chunks of %i bytes', (size) => {
    const { scanner } = scan('lorem ipsum status: healthy dolor sit amet', size, 'healthy');
    expect(scanner.keywordFound).toBe(true);
  });

  it.each([1, 2, 3])('finds multi-byte UTF-8 keywords cut mid-character (chunks of %i)', (size) => {
    expect(scan('le café est prêt, 日本語のテキスト', size, '日本語').scanner.keywordFound).toBe(true);
    expect(scan('le café est prêt', size, 'café').scanner.keywordFound).toBe(true);
    expect(scan('le cafe est pret', size, 'café').scanner.keywordFound).toBe(false);
  });

  it('is case-sensitive and does not invent matches from earlier chunks', () => {
    expect(scan('Healthy', 3, 'healthy').scanner.keywordFound).toBe(false);
    expect(scan('heal...thy', 4, 'healthy').scanner.keywordFound).toBe(false);
  });

  it('stops as soon as the keyword is found', () => {
    const { scanner, stoppedAt } = scan(`needle${'x'.repeat(10_000)}`, 100, 'needle');
    expect(stoppedAt).toBe(0);
    expect(scanner.bytesRead).toBe(100);
  });

  it('never reads beyond the limit, and a keyword past the limit is not found', () => {
    const body = `${'x'.repeat(95)}needle`;
    const { scanner } = scan(body, 10, 'needle', 100);
    expect(scanner.bytesRead).toBe(100);
    expect(scanner.limitReached).toBe(true);
    expect(scanner.keywordFound).toBe(false);
    expect(judgeBody(scanner, 'needle', 'present')?.reason).toBe('too_large');
    expect(judgeBody(scanner, 'needle', 'absent')?.reason).toBe('too_large');
  });

  it('treats a body of exactly the limit as complete, not too large', () => {
    const { scanner } = scan(`${'x'.repeat(94)}needle`, 7, 'needle', 100);
    expect(scanner.limitReached).toBe(false);
    expect(scanner.keywordFound).toBe(true);
    const exact = scan('x'.repeat(100), 30, null, 100).scanner;
    expect(exact.limitReached).toBe(false);
    expect(exact.push(Buffer.from('y'))).toBe(true);
    expect(exact.limitReached).toBe(true);
    expect(exact.bytesRead).toBe(100);
  });

  it('defaults to a 1 MiB limit', () => {
    const { scanner } = scan(Buffer.alloc(MAX_BODY_BYTES + 1, 'x'), 65_536, null);
    expect(MAX_BODY_BYTES).toBe(1_048_576);
    expect(scanner.bytesRead).toBe(MAX_BODY_BYTES);
    expect(scanner.limitReached).toBe(true);
    expect(judgeBody(scanner, null, 'present')).toBeNull();
  });

  it('judges both keyword modes', () => {
    const found = scan('all systems operational', 4, 'operational').scanner;
    const missing = scan('all systems down', 4, 'operational').scanner;
    expect(judgeBody(found, 'operational', 'present')).toBeNull();
    expect(judgeBody(missing, 'operational', 'present')).toEqual({
      reason: 'keyword',
      message: 'keyword "operational" not found in the body (16 bytes)',
    });
    expect(judgeBody(found, 'operational', 'absent')).toEqual({
      reason: 'keyword',
      message: 'keyword "operational" found in the body',
    });
    expect(judgeBody(missing, 'operational', 'absent')).toBeNull();
  });
});
