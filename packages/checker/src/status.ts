/**
 * Expected-status specs: "200", "200-299" or "2xx". Monitors store them as strings; the checker parses them
 * into inclusive ranges.
 */

/** Inclusive [low, high] range of HTTP status codes. */
export type StatusRange = [number, number];

/** What a monitor expects when it says nothing else. */
export const DEFAULT_EXPECTED_STATUS: readonly StatusRange[] = [[200, 299]];

const MIN_STATUS = 100;
const MAX_STATUS = 599;

const SINGLE = /^(\d{3})$/;
const RANGE = /^(\d{3})\s*-\s*(\d{3})$/;
const CLASS = /^([1-5])xx$/i;

function isStatusCode(code: number): boolean {
  return code >= MIN_STATUS && code <= MAX_STATUS;
}

/** Parses one spec, or returns null when it is not valid. */
function parseSpec(spec: string): StatusRange | null {
  const text = spec.trim();
  const single = SINGLE.exec(text);
  if (single) {
    const code = Number(single[1]);
    return isStatusCode(code) ? [code, code] : null;
  }
  const range = RANGE.exec(text);
  if (range) {
    const low = Number(range[1]);
    const high = Number(range[2]);
    return isStatusCode(low) && isStatusCode(high) && low <= high ? [low, high] : null;
  }
  const statusClass = CLASS.exec(text);
  if (statusClass) {
    const hundred = Number(statusClass[1]) * 100;
    return [hundred, hundred + 99];
  }
  return null;
}

/** True when `spec` is a code (100-599), an ascending range of codes such as "200-299", or a class such as "2xx". */
export function isValidStatusSpec(spec: string): boolean {
  return parseSpec(spec) !== null;
}

/**
 * Turns specs into ranges. Invalid entries are skipped rather than thrown on, because a check must never
 * throw: the API validates specs with {@link isValidStatusSpec} before they are stored.
 */
export function parseExpectedStatus(list: readonly string[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const spec of list) {
    const range = parseSpec(spec);
    if (range) ranges.push(range);
  }
  return ranges;
}

export function statusMatches(code: number, ranges: readonly (readonly [number, number])[]): boolean {
  return ranges.some(([low, high]) => code >= low && code <= high);
}

/** Short text for messages: "200-299, 304". */
export function describeRanges(ranges: readonly (readonly [number, number])[]): string {
  return ranges.map(([low, high]) => (low === high ? String(low) : `${low}-${high}`)).join(', ');
}
