import { invalid } from './errors.js';

/**
 * Opaque page cursors: base64url of a small JSON object. Clients must treat them as opaque; we only
 * promise that a cursor from `nextCursor` fetches the next page. Decoding checks the shape strictly, so a
 * forged or truncated cursor is a 400, never a database error.
 */
export function encodeCursor(position: Record<string, string>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<K extends string>(
  cursor: string,
  keys: readonly K[],
  valid: (position: Record<K, string>) => boolean,
): Record<K, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('querystring/cursor', 'is not a valid cursor');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.keys(parsed).length !== keys.length ||
    !keys.every((k) => typeof (parsed as Record<string, unknown>)[k] === 'string') ||
    !valid(parsed as Record<K, string>)
  ) {
    throw invalid('querystring/cursor', 'is not a valid cursor');
  }
  return parsed as Record<K, string>;
}
