import { setMaxListeners } from 'node:events';
import { createClient } from 'redis';
import { entryAgeMs, type QueuedTask, type QueueStats, type TaskQueue } from './queue.js';
import type { CheckTask } from './task.js';
import type { DeadLetterEntry } from './dead-letter.js';
import { deadLetterPayload } from './dead-letter.js';
import { TASK_FIELD, decodeTask, encodeTask } from './codec.js';

export interface RedisTaskQueueOptions {
  url: string;
  /** The work stream, e.g. `BetterUptime:Websites`. */
  streamKey: string;
  /** Entries older than this are useless (their slot has passed) and are trimmed on publish. Default 1 hour. */
  maxAgeMs?: number;
  /** Default `${streamKey}:dead`. */
  deadLetterKey?: string;
  /** Approximate bound on the dead-letter stream. Default 10 000. */
  deadLetterMaxLen?: number;
  /** Connection errors (reconnects are automatic). Default: logged with console.error. */
  onError?: (err: Error) => void;
  /**
   * How long any command may take before it fails with RedisTimeoutError (default 2 s); a blocking read
   * may take its block time more. Callers never hang on a Redis that is down or does not answer.
   */
  commandTimeoutMs?: number;
}

/** A Redis command that got no answer in time: Redis is down, unreachable or stalled. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

type RedisClient = ReturnType<typeof createClient>;

/** One stream message as node-redis returns it (RESP2). */
interface StreamMessage {
  id: string;
  message: Record<string, string>;
}

/** XAUTOCLAIM rounds per claimIdle call: each scans up to 10 × COUNT pending entries, so this bounds the work. */
const MAX_CLAIM_ROUNDS = 10;
/** Ids looked up per round trip by pendingFor. */
const PENDING_LOOKUP_CHUNK = 500;
/** A stream id Redis accepts: "ms-seq", each part a 64-bit number (bounded here by its digits). */
const STREAM_ID = /^\d{1,19}-\d{1,19}$/;
const isStreamId = (id: string) => STREAM_ID.test(id);
/** How long close() waits for outstanding replies before dropping the connection. */
const CLOSE_GRACE_MS = 2_000;

/** Reconnect after 100 ms, doubling up to 5 s, with jitter so a fleet of workers does not reconnect in step. */
function reconnectDelay(retries: number): number {
  return Math.min(100 * 2 ** retries, 5_000) + Math.floor(Math.random() * 100);
}

/**
 * The work queue over Redis Streams: one stream, one consumer group per region (named after it), one
 * consumer per worker. Commands share one connection; each (region, consumer) reader blocks on a
 * connection of its own, so blocking reads neither delay publish/ack nor wait for one another.
 */
export class RedisTaskQueue implements TaskQueue {
  private readonly streamKey: string;
  private readonly maxAgeMs: number;
  private readonly deadLetterKey: string;
  private readonly deadLetterMaxLen: number;
  private readonly onError: (err: Error) => void;
  private readonly commandTimeoutMs: number;
  private readonly commands: RedisClient;
  /** Blocking connections by region and consumer, with their (shared) connect promise. */
  private readonly readers = new Map<string, { client: RedisClient; connected: Promise<void> }>();
  private closing: Promise<void> | undefined;
  /** Settles when close() starts, so a read still waiting for its connection gives up at once. */
  private readonly closeStarted: Promise<void>;
  private signalClose: () => void = () => undefined;

  constructor(options: RedisTaskQueueOptions) {
    this.streamKey = options.streamKey;
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.deadLetterKey = options.deadLetterKey ?? `${options.streamKey}:dead`;
    this.deadLetterMaxLen = options.deadLetterMaxLen ?? 10_000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
    this.onError =
      options.onError ?? ((err) => console.error(`[redis-stream] Redis connection error: ${err.message}`));
    this.commands = createClient({ url: options.url, socket: { reconnectStrategy: reconnectDelay } });
    this.commands.on('error', this.onError);
    this.closeStarted = new Promise((resolve) => {
      this.signalClose = resolve;
    });
  }

  /** Connects the command connection; waits (retrying with backoff) until Redis answers. */
  async connect(): Promise<this> {
    await this.commands.connect();
    return this;
  }

  async publish(tasks: readonly CheckTask[]): Promise<void> {
    this.assertOpen();
    if (tasks.length === 0) return;
    const trimBefore = Date.now() - this.maxAgeMs;
    // Issued together, node-redis writes them in one round trip; unsent ones are dropped at the deadline.
    await this.bounded((redis) =>
      Promise.all(
        tasks.map((task) =>
          redis.xAdd(
            this.streamKey,
            '*',
            { [TASK_FIELD]: encodeTask(task) },
            // MINID ~: drops whole stream nodes older than the cutoff, cheaply; a few stale entries may linger.
            { TRIM: { strategy: 'MINID', strategyModifier: '~', threshold: trimBefore } },
          ),
        ),
      ),
    );
  }

  async ensureGroup(region: string): Promise<void> {
    this.assertOpen();
    try {
      // From 0, so a region added later still gets the tasks already waiting in the stream.
      await this.bounded((redis) => redis.xGroupCreate(this.streamKey, region, '0', { MKSTREAM: true }));
    } catch (err) {
      if (!hasErrorCode(err, 'BUSYGROUP')) throw err;
    }
  }

  async read(region: string, consumer: string, count: number, blockMs: number): Promise<QueuedTask[]> {
    const limit = Math.floor(count);
    if (this.closing || !(limit >= 1)) return [];
    try {
      const reader = await this.readerFor(region, consumer);
      if (!reader) return [];
      try {
        return await this.readNew(reader, region, consumer, limit, blockMs);
      } catch (err) {
        // The group is gone (never created, or the stream was deleted): recreate it and read again.
        if (!hasErrorCode(err, 'NOGROUP')) throw err;
        await this.ensureGroup(region);
        return await this.readNew(reader, region, consumer, limit, blockMs);
      }
    } catch (err) {
      // close() destroys the blocking connection under a pending read: that is a normal end, not a failure.
      if (this.closing) return [];
      throw err;
    }
  }

  async ack(region: string, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0) return;
    await this.bounded((redis) => redis.xAck(this.streamKey, region, [...ids]));
  }

  async claimIdle(region: string, consumer: string, minIdleMs: number, count: number): Promise<QueuedTask[]> {
    this.assertOpen();
    const limit = Math.floor(count);
    if (!(limit >= 1)) return [];
    const claimed: StreamMessage[] = [];
    let cursor = '0-0';
    try {
      for (let round = 0; round < MAX_CLAIM_ROUNDS && claimed.length < limit; round += 1) {
        const reply = await this.bounded((redis) =>
          redis.xAutoClaim(this.streamKey, region, consumer, Math.max(0, Math.floor(minIdleMs)), cursor, {
            COUNT: limit - claimed.length,
          }),
        );
        // Entries trimmed while pending come back as deleted ids (Redis 7, already dropped from the
        // pending list) or as nulls (Redis 6.2); either way there is nothing left to run.
        for (const message of reply.messages) if (message) claimed.push(message);
        cursor = String(reply.nextId);
        if (cursor === '0-0') break;
      }
    } catch (err) {
      if (hasErrorCode(err, 'NOGROUP')) return [];
      throw err;
    }
    if (claimed.length === 0) return [];
    return this.withDeliveryCounts(region, consumer, claimed);
  }

  async touch(region: string, consumer: string, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0) return;
    try {
      // XCLAIM with JUSTID resets the idle time without incrementing the delivery counter.
      await this.bounded((redis) =>
        redis.sendCommand(['XCLAIM', this.streamKey, region, consumer, '0', ...ids, 'JUSTID']),
      );
    } catch (err) {
      if (hasErrorCode(err, 'NOGROUP')) return;
      throw err;
    }
  }

  async pendingFor(region: string, consumer: string, ids: readonly string[]): Promise<QueuedTask[]> {
    this.assertOpen();
    const wanted = [...new Set(ids)].filter(isStreamId);
    const found: QueuedTask[] = [];
    try {
      for (let i = 0; i < wanted.length; i += PENDING_LOOKUP_CHUNK) {
        const chunk = wanted.slice(i, i + PENDING_LOOKUP_CHUNK);
        // Both commands per id issued together: node-redis pipelines the chunk into one round trip.
        const replies = await this.bounded((redis) =>
          Promise.all(
            chunk.map((id) =>
              Promise.all([
                redis.xPendingRange(this.streamKey, region, id, id, 1, { consumer }),
                redis.xRange(this.streamKey, id, id),
              ]),
            ),
          ),
        );
        for (const [pending, entries] of replies) {
          const message = entries[0];
          if (pending[0] && message) found.push(toQueuedTask(message, Number(pending[0].deliveriesCounter)));
        }
      }
    } catch (err) {
      if (hasErrorCode(err, 'NOGROUP')) return [];
      throw err;
    }
    return found;
  }

  async deadLetter(region: string, entries: readonly QueuedTask[], reason: string): Promise<void> {
    this.assertOpen();
    if (entries.length === 0) return;
    const now = String(Date.now());
    await this.bounded((redis) => {
      const copies = entries.map((entry) =>
        redis.xAdd(
          this.deadLetterKey,
          '*',
          {
            originalId: entry.id,
            region,
            reason,
            deliveries: String(entry.deliveries),
            payload: deadLetterPayload(entry),
            deadLetteredAt: now,
          },
          { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: this.deadLetterMaxLen } },
        ),
      );
      // After the copies, on the same connection and in the same round trip: an entry is never acked
      // without its dead letter.
      const ack = redis.xAck(
        this.streamKey,
        region,
        entries.map((entry) => entry.id),
      );
      return Promise.all([...copies, ack]);
    });
  }

  /** The newest dead letters first, at most `count`: for inspection by operators and tests. */
  async recentDeadLetters(count = 100): Promise<DeadLetterEntry[]> {
    this.assertOpen();
    const limit = Math.floor(count);
    if (!(limit >= 1)) return [];
    const messages = await this.bounded((redis) =>
      redis.xRevRange(this.deadLetterKey, '+', '-', { COUNT: limit }),
    );
    return messages.map(({ id, message }) => ({
      id: String(id),
      originalId: message.originalId ?? '',
      region: message.region ?? '',
      reason: message.reason ?? '',
      deliveries: Number(message.deliveries ?? 0),
      payload: message.payload ?? '',
      deadLetteredAt: Number(message.deadLetteredAt ?? 0),
    }));
  }

  async stats(region: string): Promise<QueueStats> {
    this.assertOpen();
    // Issued together, so node-redis pipelines them into one round trip.
    const [length, { pending, oldestPendingAgeMs }, deadLetters] = await this.bounded((redis) =>
      Promise.all([
        redis.xLen(this.streamKey),
        redis.xPending(this.streamKey, region).then(
          (summary) => ({
            pending: Number(summary.pending),
            oldestPendingAgeMs: summary.firstId ? entryAgeMs(String(summary.firstId)) : null,
          }),
          (err: unknown) => {
            if (hasErrorCode(err, 'NOGROUP')) return { pending: 0, oldestPendingAgeMs: null };
            throw err;
          },
        ),
        redis.xLen(this.deadLetterKey),
      ]),
    );
    return { length, pending, deadLetters, oldestPendingAgeMs };
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.signalClose();
      this.closing = this.closeConnections();
    }
    return this.closing;
  }

  private async closeConnections(): Promise<void> {
    // Destroying (not closing) a reader rejects its pending XREADGROUP at once; read() turns that into [].
    for (const { client } of this.readers.values()) destroyQuietly(client);
    this.readers.clear();
    await closeGracefully(this.commands);
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('The task queue is closed');
  }

  /**
   * Runs commands on `client` (the command connection by default) under a deadline: they fail with
   * RedisTimeoutError after `ms`, and those not yet sent (queued while Redis is unreachable) are withdrawn,
   * so they are not sent late, after the caller has given up on them. `onTimeout` runs first.
   */
  private async bounded<T>(
    run: (redis: RedisClient) => Promise<T>,
    {
      client = this.commands,
      ms = this.commandTimeoutMs,
      onTimeout,
    }: { client?: RedisClient; ms?: number; onTimeout?: () => void } = {},
  ): Promise<T> {
    const controller = new AbortController();
    // One listener per command on this one signal (a publish of 500 tasks: 500), none of them a leak.
    setMaxListeners(0, controller.signal);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new RedisTimeoutError(ms);
        controller.abort(error);
        onTimeout?.();
        reject(error);
      }, ms);
    });
    const work = run(client.withAbortSignal(controller.signal) as RedisClient);
    work.catch(() => undefined); // Settles after the deadline: the caller has its RedisTimeoutError.
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private dropReader(client: RedisClient): void {
    for (const [key, reader] of this.readers) if (reader.client === client) this.readers.delete(key);
    destroyQuietly(client);
  }

  /** The reader's connected blocking connection, or undefined when the queue closed first. */
  private async readerFor(region: string, consumer: string): Promise<RedisClient | undefined> {
    const key = `${region}\u0000${consumer}`;
    let reader = this.readers.get(key);
    if (!reader) {
      const client = this.commands.duplicate();
      client.on('error', this.onError);
      const connected = client.connect().then(
        () => undefined,
        (err: unknown) => {
          if (this.readers.get(key)?.client === client) this.readers.delete(key);
          destroyQuietly(client);
          throw err;
        },
      );
      reader = { client, connected };
      this.readers.set(key, reader);
    }
    // While Redis is down, connect() keeps retrying; neither close() nor the reader waits for that (the
    // next read finds the same attempt going on).
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      reader.connected.then(() => 'connected' as const),
      this.closeStarted,
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), this.commandTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome === 'late') throw new RedisTimeoutError(this.commandTimeoutMs);
    return outcome === 'connected' && !this.closing ? reader.client : undefined;
  }

  private async readNew(
    reader: RedisClient,
    region: string,
    consumer: string,
    count: number,
    blockMs: number,
  ): Promise<QueuedTask[]> {
    const block = blockMs > 0 ? Math.ceil(blockMs) : 0;
    const reply = await this.bounded(
      (redis) =>
        redis.xReadGroup(
          region,
          consumer,
          { key: this.streamKey, id: '>' },
          // BLOCK 0 would mean "forever" to Redis; the contract says blockMs <= 0 does not wait.
          block > 0 ? { COUNT: count, BLOCK: block } : { COUNT: count },
        ),
      {
        client: reader,
        ms: block + this.commandTimeoutMs,
        // A read still pending would hold up the next one on this connection: start a new one instead.
        // What it may yet deliver stays pending for this consumer, and the reclaimer takes it back.
        onTimeout: () => this.dropReader(reader),
      },
    );
    const messages = (reply as { messages: StreamMessage[] }[] | null)?.[0]?.messages ?? [];
    return messages.map((message) => toQueuedTask(message, 1));
  }

  /**
   * XAUTOCLAIM counted the delivery; an XPENDING per id (issued together: node-redis pipelines them into
   * one round trip) reads the new count.
   */
  private async withDeliveryCounts(
    region: string,
    consumer: string,
    claimed: readonly StreamMessage[],
  ): Promise<QueuedTask[]> {
    const replies = await this.bounded((redis) =>
      Promise.all(
        claimed.map(({ id }) => redis.xPendingRange(this.streamKey, region, id, id, 1, { consumer })),
      ),
    );
    const result: QueuedTask[] = [];
    claimed.forEach((message, index) => {
      const pending = replies[index]?.[0];
      // Not pending for us any more: acked by the original worker (or claimed away) in between.
      if (pending) result.push(toQueuedTask(message, Number(pending.deliveriesCounter)));
    });
    return result;
  }
}

/** Creates a Redis task queue and connects it. */
export async function createRedisTaskQueue(options: RedisTaskQueueOptions): Promise<RedisTaskQueue> {
  return new RedisTaskQueue(options).connect();
}

function toQueuedTask(message: StreamMessage, deliveries: number): QueuedTask {
  const payload = message.message[TASK_FIELD];
  return {
    id: String(message.id),
    task: decodeTask(payload),
    deliveries,
    ...(payload !== undefined ? { payload } : {}),
  };
}

/** Redis error replies start with their code, e.g. "NOGROUP No such key ...". */
function hasErrorCode(err: unknown, code: string): boolean {
  return err instanceof Error && err.message.startsWith(`${code} `);
}

function destroyQuietly(client: RedisClient): void {
  try {
    if (client.isOpen) client.destroy();
  } catch {
    // Already closed: nothing to release.
  }
}

/**
 * Lets outstanding replies arrive before closing. A connection that is down (reconnecting) is destroyed
 * instead, which fails its queued commands rather than leaving their callers waiting forever.
 */
async function closeGracefully(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    destroyQuietly(client);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_GRACE_MS);
  });
  try {
    await Promise.race([client.close(), gaveUp]);
  } catch {
    destroyQuietly(client);
  } finally {
    clearTimeout(timer);
  }
}
