import { describe, expect, it } from 'vitest';
import { type CheckTask, TASK_FORMAT_VERSION, decodeTask, encodeTask } from '../src/index.js';

const task: CheckTask = {
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

describe('task codec', () => {
  it('round-trips a task and records the format version', () => {
    expect(decodeTask(encodeTask(task))).toEqual(task);
    expect(JSON.parse(encodeTask(task))).toMatchObject({ v: TASK_FORMAT_VERSION });
    expect(decodeTask(encodeTask({ ...task, keyword: null }))).toEqual({ ...task, keyword: null });
  });

  it('writes and keeps only the known fields', () => {
    const withExtra = { ...task, secret: 'x' } as CheckTask;
    expect(JSON.parse(encodeTask(withExtra))).not.toHaveProperty('secret');
    expect(decodeTask(encodedWith({ extra: 1 }))).toEqual(task);
  });

  it.each([
    ['not JSON', 'nope'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
    ['no version', JSON.stringify({ ...task })],
    ['an unknown version', encodedWith({ v: 2 })],
    ['an empty monitorId', encodedWith({ monitorId: '' })],
    ['a numeric url', encodedWith({ url: 42 })],
    ['a string scheduledAt', encodedWith({ scheduledAt: '1700000000000' })],
    ['a zero interval', encodedWith({ intervalSeconds: 0 })],
    ['a negative timeout', encodedWith({ timeoutMs: -1 })],
    ['an unknown method', encodedWith({ method: 'POST' })],
    ['expectedStatus with a number', encodedWith({ expectedStatus: [200] })],
    ['a numeric keyword', encodedWith({ keyword: 5 })],
    ['an unknown keywordMode', encodedWith({ keywordMode: 'maybe' })],
    ['a string followRedirects', encodedWith({ followRedirects: 'true' })],
    ['regions not an array', encodedWith({ regions: 'usa' })],
    ['a missing field', encodedWith({ regions: undefined })],
  ])('decodes %s as null', (_, payload) => {
    expect(decodeTask(payload)).toBeNull();
  });

  it('decodes a missing payload as null', () => {
    expect(decodeTask(undefined)).toBeNull();
    expect(decodeTask(null)).toBeNull();
  });
});
