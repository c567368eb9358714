import { describe, expect, it } from 'vitest';
import { isValidStatusSpec, parseExpectedStatus, statusMatches } from '../src/index.js';

describe('expected status specs', () => {
  it.each([
    ['200', true],
    ['304', true],
    ['200-299', true],
    [' 200 - 399 ', true],
    ['2xx', true],
    ['5XX', true],
    ['100', true],
    ['599', true],
    ['600', false],
    ['99', false],
    ['299-200', false],
    ['200-', false],
    ['abc', false],
    ['', false],
    ['6xx', false],
    ['200,300', false],
  ])('isValidStatusSpec(%j) is %s', (spec, valid) => {
    expect(isValidStatusSpec(spec)).toBe(valid);
  });

  it('parses codes, ranges and classes into inclusive ranges, skipping invalid entries', () => {
    expect(parseExpectedStatus(['200-299', '304', '4xx', 'nonsense'])).toEqual([
      [200, 299],
      [304, 304],
      [400, 499],
    ]);
    expect(parseExpectedStatus([])).toEqual([]);
  });

  it('matches codes against the ranges', () => {
    const ranges = parseExpectedStatus(['200-299', '304']);
    expect(statusMatches(200, ranges)).toBe(true);
    expect(statusMatches(299, ranges)).toBe(true);
    expect(statusMatches(304, ranges)).toBe(true);
    expect(statusMatches(301, ranges)).toBe(false);
    expect(statusMatches(500, ranges)).toBe(false);
    expect(statusMatches(200, [])).toBe(false);
  });
});
