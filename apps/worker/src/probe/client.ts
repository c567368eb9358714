import WebSocket from 'ws';
import type { Logger } from '@better-uptime/config';
import type { ReceiveClock } from '@better-uptime/receive-time';
import type { ResultRow, RowOutcome } from '@better-uptime/db';
import type { QueuedTask, QueueStats, TaskQueue } from '@better-uptime/redis-stream';
import { Reclaimer } from '../reclaimer.js';
import type { ResultStore } from '../result-buffer.js';
import { type Probe, Worker } from '../worker.js';
import {
  CLOSE_REVOKED,
  DeliveredEntries,
  type InstanceMessage,
  PROBE_CONNECT_PATH,
  type ProbeCall,
  type ProbeMessage,
  slotKey,
  toWireResult,
  type WireTask,
} from './protocol.js';

export interface ProbeClientOptions {
  /** The instance's URL (https://..., or http:// to a loopback address). */
  server: string;
  token: string;
  reconnectMaxMs: number;
  concurrency: number;
  allowPrivateTargets: boolean;
  clock?: ReceiveClock;
  probe: Probe;
  version: string;
  logger: Logger;
  /** Called when the instance refuses the token (revoked or unknown): the probe cannot go on. */
  onRefused?: () => void;
}

type Reply = Extract<InstanceMessage, { type: 'reply'; ok: true }>;

const FIRST_RETRY_MS = 250;
/** A connection that heard nothing (the instance pings every few seconds) for this long is presumed dead. */
const SILENCE_MS = 20_000;
const CALL_TIMEOUT_MS = 30_000;
const STATS_INTERVAL_MS = 10_000;

/**
 * The probe side of a remote region: one connection to the instance, kept open with reconnects (exponential
 * backoff with jitter, up to `reconnectMaxMs`), and the worker as it runs in a data centre, reading its
 * region's tasks and writing its results through that connection. While the connection is down the worker
 * keeps its tasks and results: results are sent when it is back, stale slots are shed and counted.
 */
export class ProbeClient {
  private socket: WebSocket | undefined;
  private open = false;
  private readonly calls = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextCallId = 1;
  /** The probe's clock minus the instance's, as the instance measured it. */
  private offsetMs = 0;
  private connectWaiters: Array<() => void> = [];
  private stopping = false;
  private refused = false;
  private loop: Promise<void> | undefined;
  private wakeRetry: (() => void) | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  worker: Worker | undefined;
  private reclaimer: Reclaimer | undefined;
  /** The entries the worker holds, by slot: each result names its entry. */
  readonly held = new DeliveredEntries();
  /** Set once the instance has welcomed the probe. */
  region: string | undefined;
  connections = 0;

  constructor(private readonly options: ProbeClientOptions) {}

  start(): void {
    this.loop ??= this.connectForever();
  }

  /** The instance's time, as this probe's clock corrected by the measured offset. */
  readonly instanceNow = (): number => Date.now() - this.offsetMs;

  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  get isConnected(): boolean {
    return this.open;
  }

  /**
   * Graceful stop: no new work; checks in flight finish and their results are sent (for up to
   * `flushDeadlineMs`), then the connection closes. Tasks not started stay pending on the instance and
   * are reclaimed by another probe of the region.
   */
  async stop(flushDeadlineMs = 15_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.statsTimer);
    await this.reclaimer?.stop();
    await this.worker?.stop(flushDeadlineMs);
    this.wakeRetry?.();
    this.socket?.close(1000, 'probe stopping');
    for (const wake of this.connectWaiters.splice(0)) wake();
    await this.loop;
  }

  /** Resolves true once connected and welcomed, false after `timeoutMs` (or when stopping). */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.open) return Promise.resolve(true);
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.connectWaiters = this.connectWaiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(this.open);
      };
      this.connectWaiters.push(wake);
    });
  }

  call(call: ProbeCall, timeoutMs = CALL_TIMEOUT_MS): Promise<Reply> {
    const socket = this.socket;
    if (!this.open || !socket) return Promise.reject(new Error('not connected to the instance'));
    const id = this.nextCallId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`${call.op} timed out`));
      }, timeoutMs);
      this.calls.set(id, { resolve, reject, timer });
      this.send({ type: 'call', id, ...call } as ProbeMessage);
    });
  }

  private send(message: ProbeMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private async connectForever(): Promise<void> {
    const { logger, reconnectMaxMs } = this.options;
    let failures = 0;
    while (!this.stopping && !this.refused) {
      const welcomed = await this.connectOnce();
      if (this.stopping || this.refused) break;
      failures = welcomed ? 1 : failures + 1;
      // Full jitter over an exponential ceiling: probes cut off together do not all return at once.
      const ceiling = Math.min(reconnectMaxMs, FIRST_RETRY_MS * 2 ** (failures - 1));
      const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      if (failures === 1 || failures % 10 === 0)
        logger.warn({ failures, retryInMs: delay }, 'not connected to the instance; reconnecting');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRetry = undefined;
    }
  }

  /** One connection, from opening to closing; true when the instance welcomed the probe. */
  private connectOnce(): Promise<boolean> {
    const { server, token, logger } = this.options;
    const url = new URL(PROBE_CONNECT_PATH, server.replace(/^http/, 'ws') + '/');
    return new Promise((resolve) => {
      let welcomed = false;
      let silence: NodeJS.Timeout | undefined;
      const heard = () => {
        clearTimeout(silence);
        silence = setTimeout(() => socket.terminate(), SILENCE_MS);
      };
      const socket = new WebSocket(url, {
        headers: { authorization: `Bearer ${token}` },
        handshakeTimeout: 10_000,
        maxPayload: 16 * 1024 * 1024,
      });
      this.socket = socket;
      socket.on('unexpected-response', (_request, response) => {
        if (response.statusCode === 401) {
          this.refuse('the instance refused PROBE_TOKEN (revoked or unknown)');
        } else logger.warn({ status: response.statusCode }, 'the instance did not accept the connection');
        response.resume();
        socket.terminate();
      });
      socket.on('open', () => {
        heard();
        this.send({ type: 'hello', version: this.options.version });
      });
      socket.on('message', (data) => {
        heard();
        let message: InstanceMessage;
        try {
          message = JSON.parse(data.toString()) as InstanceMessage;
        } catch {
          return;
        }
        if (message.type === 'welcome') {
          welcomed = true;
          this.onWelcome(message);
        } else this.onMessage(message);
      });
      socket.on('error', (error) => logger.debug({ err: error }, 'connection error'));
      socket.on('close', (code) => {
        clearTimeout(silence);
        const wasOpen = this.open;
        this.open = false;
        this.socket = undefined;
        for (const [id, call] of this.calls) {
          clearTimeout(call.timer);
          call.reject(new Error('connection to the instance closed'));
          this.calls.delete(id);
        }
        if (code === CLOSE_REVOKED) this.refuse('the probe was revoked on the instance');
        else if (wasOpen && !this.stopping) logger.warn({ code }, 'connection to the instance lost');
        resolve(welcomed);
      });
    });
  }

  private refuse(reason: string): void {
    if (this.refused) return;
    this.refused = true;
    this.options.logger.error(reason);
    this.options.onRefused?.();
  }

  private onWelcome(welcome: Extract<InstanceMessage, { type: 'welcome' }>): void {
    const { logger } = this.options;
    this.connections++;
    this.open = true;
    if (this.region === undefined) {
      this.region = welcome.region;
      this.startWorker(welcome);
    }
    logger.info(
      { probe: welcome.name, region: welcome.region, connections: this.connections },
      'connected to the instance',
    );
    for (const wake of this.connectWaiters.splice(0)) wake();
  }

  private onMessage(message: InstanceMessage): void {
    switch (message.type) {
      case 'reply': {
        const call = this.calls.get(message.id);
        if (!call) return;
        this.calls.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message);
        else call.reject(new Error(message.error));
        return;
      }
      case 'clock':
        this.send({ type: 'clock', serverTime: message.serverTime, probeTime: Date.now() });
        return;
      case 'offset':
        this.offsetMs = message.offsetMs;
        return;
      default:
        return;
    }
  }

  private startWorker(welcome: Extract<InstanceMessage, { type: 'welcome' }>): void {
    const { logger } = this.options;
    const queue = new RemoteQueue(this);
    const consumer = `probe-${welcome.probeId}`;
    this.worker = new Worker({
      region: welcome.region,
      consumer,
      queue,
      store: remoteResultStore(this),
      probe: this.options.probe,
      logger,
      concurrency: this.options.concurrency,
      maxDeliveries: welcome.maxDeliveries,
      allowPrivateTargets: this.options.allowPrivateTargets,
      clock: this.options.clock,
      now: this.instanceNow,
    });
    this.reclaimer = new Reclaimer({
      queue,
      worker: this.worker,
      region: welcome.region,
      consumer,
      logger,
      idleMs: welcome.reclaimIdleMs,
      intervalMs: welcome.reclaimIntervalMs,
    });
    void this.worker.start();
    this.reclaimer.start();
    this.statsTimer = setInterval(() => {
      const worker = this.worker!;
      this.call({
        op: 'stats',
        checked: worker.counters.checked,
        droppedStale: worker.counters.droppedStale,
        latenessP99Ms: worker.lateness.percentile(99) ?? null,
      }).catch(() => undefined);
      if (worker.counters.droppedStale > 0 || worker.counters.checked > 0)
        logger.info({ ...worker.counters, clockOffsetMs: this.offsetMs }, 'probe summary');
    }, STATS_INTERVAL_MS);
    this.statsTimer.unref();
  }
}

function fromWireTask(wire: WireTask): QueuedTask {
  return { id: wire.id, task: wire.task, deliveries: wire.deliveries };
}

/**
 * The queue as the probe's worker sees it: each call is a call on the connection, for the probe's own region
 * and consumer (the instance decides both from the token). While disconnected, a read waits for the
 * connection and returns nothing; the other calls fail and their callers retry, as against Redis.
 */
class RemoteQueue implements TaskQueue {
  constructor(private readonly client: ProbeClient) {}

  publish(): Promise<void> {
    return Promise.reject(new Error('a probe does not publish tasks'));
  }

  async ensureGroup(): Promise<void> {
    // The instance creates the region's group when the probe connects.
  }

  async read(_region: string, _consumer: string, count: number, blockMs: number): Promise<QueuedTask[]> {
    if (!(await this.client.whenConnected(blockMs))) return [];
    const reply = await this.client.call({ op: 'read', count, blockMs }, blockMs + CALL_TIMEOUT_MS);
    return this.received(reply);
  }

  async ack(_region: string, ids: readonly string[]): Promise<void> {
    await this.client.call({ op: 'ack', ids: [...ids] });
    this.client.held.forget(ids);
  }

  async claimIdle(
    _region: string,
    _consumer: string,
    minIdleMs: number,
    count: number,
  ): Promise<QueuedTask[]> {
    const reply = await this.client.call({ op: 'claim', minIdleMs, count });
    return this.received(reply);
  }

  async touch(_region: string, _consumer: string, ids: readonly string[]): Promise<void> {
    await this.client.call({ op: 'touch', ids: [...ids] });
  }

  /** As far as the probe knows: the entries it holds (the worker does not ask). */
  async pendingFor(_region: string, _consumer: string, ids: readonly string[]): Promise<QueuedTask[]> {
    return this.client.held.entries(ids);
  }

  async deadLetter(_region: string, entries: readonly QueuedTask[], reason: string): Promise<void> {
    const ids = entries.map((e) => e.id);
    await this.client.call({ op: 'deadLetter', ids, reason });
    this.client.held.forget(ids);
  }

  async stats(): Promise<QueueStats> {
    return { length: 0, pending: 0, deadLetters: 0, oldestPendingAgeMs: null };
  }

  async close(): Promise<void> {}

  private received(reply: Reply): QueuedTask[] {
    const entries = (reply.tasks ?? []).map(fromWireTask);
    this.client.held.add(entries);
    return entries;
  }
}

/** Results are stored by the instance, which acknowledges their entries once they are committed. */
function remoteResultStore(client: ProbeClient): ResultStore {
  const send = (rows: readonly ResultRow[]) =>
    client.call({
      op: 'results',
      rows: rows.map((row) =>
        toWireResult(row, client.held.idOfSlot(slotKey(row.monitorId, row.scheduledAt.getTime()))),
      ),
    });
  return {
    insert: send,
    // The instance isolates a row the database refuses itself; its entry stays pending there.
    insertOneByOne: async (rows) => {
      await send(rows);
      return rows.map((): RowOutcome => 'stored');
    },
  };
}
