import { describe, expect, it } from 'vitest';
import { type CheckTask, TASK_FORMAT_VERSION, decodeTask, encodeTask } from '../src/index.js';

const task: CheckTask = {
  monitorId: 'mon-1',
  userId: 'user-1',
  kind: 'http',
  settings: {
    url: 'https://example.com/health',
    method: 'HEAD',
    expectedStatus: ['200-299', '304'],
    keyword: 'ok',
    keywordMode: 'absent',
    followRedirects: false,
  },
  scheduledAt: 1_700_000_000_000,
  intervalSeconds: 30,
  timeoutMs: 5_000,
  regions: ['usa', 'india'],
};

/** A task as a v1 producer (before kinds) wrote it. */
const v1 = {
  v: 1,
  monitorId: 'mon-1',
  url: 'https://example.com/health',
  scheduledAt: 1_700_000_000_000,
  intervalSeconds: 30,
  timeoutMs: 5_000,
  method: 'HEAD',
  expectedStatus: ['200-299', '304'],
  keyword: 'ok',
  keywordMode: 'absent',
  followRedirects: false,
  regions: ['usa', 'india'],
};

const encodedWith = (changes: Record<string, unknown>) =>
  JSON.stringify({ ...JSON.parse(encodeTask(task)), ...changes });
const v1With = (changes: Record<string, unknown>) => JSON.stringify({ ...v1, ...changes });

describe('task codec', () => {
  it('round-trips a task of any kind and records the format version', () => {
    expect(decodeTask(encodeTask(task))).toEqual(task);
    expect(JSON.parse(encodeTask(task))).toMatchObject({ v: TASK_FORMAT_VERSION, userId: 'user-1' });
    const tcp = { ...task, kind: 'tcp', settings: { host: '127.0.0.1', port: 22, nested: { a: [1] } } };
    expect(decodeTask(encodeTask(tcp))).toEqual(tcp);
  });

  it('writes and keeps only the known fields', () => {
    const withExtra = { ...task, secret: 'x' } as CheckTask;
    expect(JSON.parse(encodeTask(withExtra))).not.toHaveProperty('secret');
    expect(decodeTask(encodedWith({ extra: 1 }))).toEqual(task);
  });

  it('decodes a v1 task (before kinds) as the same http check, with its owner when it carried one', () => {
    expect(decodeTask(JSON.stringify(v1))).toEqual({ ...task, userId: '' });
    expect(decodeTask(v1With({ userId: 'user-1' }))).toEqual(task);
    expect(decodeTask(v1With({ keyword: null }))?.settings).toMatchObject({ keyword: null });
  });

  it.each([
    ['not JSON', 'nope'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
    ['no version', JSON.stringify({ ...task })],
    ['an unknown version', encodedWith({ v: 3 })],
    ['an empty monitorId', encodedWith({ monitorId: '' })],
    ['a numeric userId', encodedWith({ userId: 7 })],
    ['an empty kind', encodedWith({ kind: '' })],
    ['settings not an object', encodedWith({ settings: ['url'] })],
    ['null settings', encodedWith({ settings: null })],
    ['a string scheduledAt', encodedWith({ scheduledAt: '1700000000000' })],
    ['a zero interval', encodedWith({ intervalSeconds: 0 })],
    ['a negative timeout', encodedWith({ timeoutMs: -1 })],
    ['regions not an array', encodedWith({ regions: 'usa' })],
    ['a missing field', encodedWith({ regions: undefined })],
    ['v1: a numeric url', v1With({ url: 42 })],
    ['v1: an unknown method', v1With({ method: 'POST' })],
    ['v1: expectedStatus with a number', v1With({ expectedStatus: [200] })],
    ['v1: a numeric keyword', v1With({ keyword: 5 })],
    ['v1: an unknown keywordMode', v1With({ keywordMode: 'maybe' })],
    ['v1: a string followRedirects', v1With({ followRedirects: 'true' })],
    ['a numeric userId', encodedWith({ userId: 7 })],
  ])('decodes %s as null', (_, payload) => {
    expect(decodeTask(payload)).toBeNull();
  });

  it('carries the owner, and decodes a task without one (an older producer) as ownerless', () => {
    const owned = { ...task, userId: 'user-1' };
    expect(decodeTask(encodeTask(owned))).toEqual(owned);
    // A v1 task from a producer that knew no owners gets the empty owner, which the worker's fair share
    // counts as an owner of its own per monitor.
    expect(decodeTask(JSON.stringify(v1))?.userId).toBe('');
  });

  it('decodes a missing payload as null', () => {
    expect(decodeTask(undefined)).toBeNull();
    expect(decodeTask(null)).toBeNull();
  });
});
