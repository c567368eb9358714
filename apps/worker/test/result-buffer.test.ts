import { describe, expect, it } from 'vitest';
import type { ResultRow } from '@better-uptime/db';
import { ResultBuffer, type ResultStore } from '../src/result-buffer.js';
import { newCounters } from '../src/stats.js';
import { silentLogger } from './helpers.js';

const row = (i: number): ResultRow => ({
  monitorId: `m${i}`,
  region: 'usa',
  scheduledAt: new Date(i),
  checkedAt: new Date(i),
  status: 'Up',
  responseTimeMs: 1,
  statusCode: 200,
  reason: null,
  message: null,
  dnsMs: null,
  connectMs: null,
  tlsMs: null,
  firstByteMs: 1,
  certExpiresAt: null,
});

/** A store whose inserts finish only when the test says so, recording how many ran at once. */
function controlledStore() {
  const waiting: Array<{ rows: number; finish(error?: Error): void }> = [];
  let running = 0;
  let mostAtOnce = 0;
  const store: ResultStore = {
    insert: (rows) =>
      new Promise<void>((resolve, reject) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        waiting.push({
          rows: rows.length,
          finish: (error) => {
            running--;
            if (error) reject(error);
            else resolve();
          },
        });
      }),
    insertOneByOne: async () => [],
  };
  return { store, waiting, mostAtOnce: () => mostAtOnce };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('ResultBuffer', () => {
  it('keeps two full batches in flight, acks each after its own commit, and drains only when both are done', async () => {
    const { store, waiting, mostAtOnce } = controlledStore();
    const acked: string[][] = [];
    const buffer = new ResultBuffer({
      store,
      ack: async (ids) => void acked.push(ids),
      logger: silentLogger,
      counters: newCounters(),
      maxRows: 2,
      maxDelayMs: 10_000,
    });
    for (let i = 0; i < 6; i++) buffer.add(`id${i}`, row(i));
    await tick();
    expect(waiting.map((w) => w.rows)).toEqual([2, 2]);
    expect(mostAtOnce()).toBe(2);

    waiting[1]!.finish();
    await tick();
    expect(acked).toEqual([['id2', 'id3']]);
    // The freed slot takes the next full batch.
    expect(waiting).toHaveLength(3);

    let drained: boolean | undefined;
    const draining = buffer.drain(5_000).then((result) => (drained = result));
    waiting[2]!.finish();
    await tick();
    expect(drained).toBeUndefined(); // the first batch is still being inserted
    waiting[0]!.finish();
    await draining;
    expect(drained).toBe(true);
    expect(acked.flat().sort()).toEqual(['id0', 'id1', 'id2', 'id3', 'id4', 'id5']);
    expect(mostAtOnce()).toBe(2);
  });

  it('goes back to one insert at a time while inserts fail', async () => {
    const { store, waiting, mostAtOnce } = controlledStore();
    const buffer = new ResultBuffer({
      store,
      ack: async () => undefined,
      logger: silentLogger,
      counters: newCounters(),
      maxRows: 1,
      maxDelayMs: 10_000,
    });
    buffer.add('a', row(1));
    buffer.add('b', row(2));
    await tick();
    expect(waiting).toHaveLength(2);
    waiting[0]!.finish(new Error('connection refused'));
    waiting[1]!.finish(new Error('connection refused'));
    await tick();
    buffer.add('c', row(3));
    // Retries after the backoff, now one batch at a time.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(waiting.length).toBe(3);
    waiting[2]!.finish();
    await tick();
    expect(mostAtOnce()).toBe(2);
    expect(waiting.slice(2).every((w) => w.rows === 1)).toBe(true);
    await buffer.drain(0);
  });
});
