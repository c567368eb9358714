import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  type EventPayload,
  maskSecret,
  messageFor,
  parseRetryAfter,
  signature,
} from '../src/index.js';
import { duration } from '../src/message.js';

const SETTINGS = { retryBaseMs: 1_000, giveUpAfterMs: 86_400_000 };
const failure = (extra: Partial<{ retryable: boolean; retryAfterMs: number }> = {}) => ({
  ok: false as const,
  statusCode: 500,
  error: 'HTTP 500',
  retryable: true,
  ...extra,
});

describe('retries', () => {
  it('backs off exponentially with ±20% jitter, capped at an hour', () => {
    const at = (attempts: number, random: number) => {
      const next = afterFailure(failure(), attempts, 0, 0, SETTINGS, () => random);
      return next.outcome === 'retry' ? Math.round(next.at) : next;
    };
    expect(at(1, 0.5)).toBe(1_000);
    expect(at(3, 0.5)).toBe(4_000);
    expect(at(3, 0)).toBe(3_200);
    expect(at(3, 1)).toBe(4_800);
    expect(at(30, 0.5)).toBe(3_600_000);
  });

  it('obeys Retry-After, fails at once when retrying cannot help, and gives up after the window', () => {
    expect(afterFailure(failure({ retryAfterMs: 7_000 }), 1, 0, 0, SETTINGS)).toEqual({
      outcome: 'retry',
      at: 7_000,
    });
    // A hostile (or careless) Retry-After of 0 still waits the base delay.
    expect(afterFailure(failure({ retryAfterMs: 0 }), 5, 0, 0, SETTINGS)).toEqual({
      outcome: 'retry',
      at: 1_000,
    });
    expect(afterFailure(failure({ retryable: false }), 1, 0, 0, SETTINGS)).toEqual({
      outcome: 'failed',
      error: 'HTTP 500',
    });
    const late = afterFailure(failure(), 12, 0, 86_000_000, SETTINGS, () => 0.5);
    expect(late).toEqual({ outcome: 'failed', error: 'gave up after 12 attempts: HTTP 500' });
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores nonsense', () => {
    const now = Date.parse('2026-12-03T07:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3_000);
    expect(parseRetryAfter('Thu, 03 Dec 2026 07:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 03 Dec 2026 06:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('messages', () => {
  const event = (i: number, type: EventPayload['type'] = 'incident.opened'): EventPayload => ({
    id: `e${i}`,
    type,
    createdAt: '2026-12-03T07:00:00.000Z',
    monitor: { id: `m${i}`, name: `site ${i}`, url: `https://site${i}.example/` },
    incident: {
      id: `i${i}`,
      startedAt: '2026-12-03T06:59:00.000Z',
      resolvedAt: type === 'incident.resolved' ? '2026-12-03T07:00:00.000Z' : null,
      durationMs: type === 'incident.resolved' ? 60_000 : null,
      cause: { reason: 'timeout', statusCode: null, message: 'no answer within 30000 ms', regions: [] },
    },
  });

  it('says what failed and links to the incident', () => {
    const message = messageFor([event(1)], 'https://uptime.example');
    expect(message.title).toBe('🔴 site 1 is down');
    expect(message.lines).toContain('Cause: timeout: no answer within 30000 ms');
    expect(message.link).toBe('https://uptime.example/incidents/i1');
    expect(messageFor([event(1, 'incident.resolved')], 'https://u.example').lines[1]).toContain(
      'Down for 1m',
    );
  });

  it('groups a storm: counts by kind, lists 50 by name and counts the rest', () => {
    const events = [
      ...Array.from({ length: 55 }, (_, i) => event(i)),
      ...Array.from({ length: 5 }, (_, i) => event(100 + i, 'incident.resolved')),
    ];
    const message = messageFor(events, 'https://uptime.example');
    expect(message.grouped).toBe(true);
    expect(message.title).toBe('60 monitors changed state: 55 down, 5 up again');
    expect(message.lines).toHaveLength(51);
    expect(message.lines[50]).toBe('… and 10 more');
  });

  it('formats durations', () => {
    expect(duration(0)).toBe('0s');
    expect(duration(3_725_000)).toBe('1h 2m 5s');
    expect(duration(90_000_000)).toBe('1d 1h');
  });
});

describe('secrets', () => {
  it('masks a URL to its origin and last four characters, anything else to its last four', () => {
    expect(maskSecret('https://hooks.slack.com/services/T0/B0/abcdefghijkl')).toBe(
      'https://hooks.slack.com/…ijkl',
    );
    expect(maskSecret('R0UT1NGKEY0123456789abcdefABCDEF')).toBe('…CDEF');
    expect(maskSecret('short')).toBe('…');
  });

  it('signs "<t>.<body>" with HMAC-SHA256', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expect(signature('whsec_test', '{"a":1}', 1_700_000_000)).toBe(
      't=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789',
    );
    expect(signature('whsec_test', '{"a":1}', 1_700_000_000)).not.toBe(
      signature('whsec_test', '{"a":2}', 1_700_000_000),
    );
  });
});
