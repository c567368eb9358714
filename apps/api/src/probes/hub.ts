import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Static } from '@sinclair/typebox';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '@better-uptime/config';
import { type Database, isRowDataError, probeQueries, type ProbeRow } from '@better-uptime/db';
import type { QueuedTask, TaskQueue } from '@better-uptime/redis-stream';
import { probeProtocol, type ResultStore } from '@better-uptime/worker';
import { sha256Hex } from '../auth/api-keys.js';
import { ProbeMessage } from '../schemas/probe.js';

const {
  CLOSE_PROTOCOL,
  CLOSE_REPLACED,
  CLOSE_REVOKED,
  DeliveredEntries,
  fromWireResult,
  PROBE_CONNECT_PATH,
  slotKey,
} = probeProtocol;
type Delivered = probeProtocol.DeliveredEntries;
type InstanceMessage = probeProtocol.InstanceMessage;

export interface ProbeHubOptions {
  db: Database;
  /** The work queue; without one (an API without REDIS_URL) probes are refused with 503. */
  queue: TaskQueue | undefined;
  /** Where results go: the same store a worker writes through. */
  store: ResultStore;
  logger: Logger;
  reclaimIdleMs: number;
  reclaimIntervalMs: number;
  maxDeliveries: number;
}

const checkMessage = TypeCompiler.Compile(ProbeMessage);
type Message = Static<typeof ProbeMessage>;
type Call = Extract<Message, { type: 'call' }>;

const PING_INTERVAL_MS = 5_000;
const REFRESH_INTERVAL_MS = 10_000;
/** A probe that says nothing (it answers every clock ping) for this long is presumed dead. */
const SILENCE_MS = 20_000;
/** Clock samples kept; the offset is the one measured over the shortest round trip. */
const CLOCK_SAMPLES = 8;
const MAX_PAYLOAD = 16 * 1024 * 1024;

/**
 * The instance's side of remote probes: accepts their WebSocket connections (authenticated by token),
 * makes each probe a consumer of its region's group on the queue, and stores the results it sends through
 * the workers' result store, acknowledging each entry only after its result is committed.
 */
export class ProbeHub {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
  private readonly sessions = new Map<string, ProbeSession>();
  private readonly delivered = new Map<string, Delivered>();
  private closed = false;

  constructor(readonly options: ProbeHubOptions) {}

  /** Whether the probe is connected to this process. */
  isConnected(probeId: string): boolean {
    return this.sessions.has(probeId);
  }

  /** Closes the probe's connection at once (it was revoked). */
  disconnect(probeId: string): void {
    this.sessions.get(probeId)?.close(CLOSE_REVOKED, 'revoked');
    this.delivered.delete(probeId);
  }

  /** The `upgrade` handler of the API's HTTP server; answers requests for other paths with 404. */
  readonly handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== PROBE_CONNECT_PATH) return refuseUpgrade(socket, 404, 'not_found', 'Not found');
    void this.authenticate(request).then(
      (probe) => {
        if (this.closed) return refuseUpgrade(socket, 503, 'unavailable', 'The instance is stopping');
        if (!probe) {
          return refuseUpgrade(socket, 401, 'unauthorized', 'Authentication required: a valid probe token');
        }
        if (!this.options.queue) {
          return refuseUpgrade(socket, 503, 'unavailable', 'This API has no queue (REDIS_URL is not set)');
        }
        this.server.handleUpgrade(request, socket, head, (ws) => this.accept(probe, ws));
      },
      (error: unknown) => {
        this.options.logger.warn({ err: error }, 'probe authentication failed');
        refuseUpgrade(socket, 503, 'unavailable', 'The database does not answer');
      },
    );
  };

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions.values()].map((s) => s.close(1001, 'instance stopping')));
    this.server.close();
  }

  private async authenticate(request: IncomingMessage): Promise<ProbeRow | null> {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (bu_probe_[A-Za-z0-9_-]{20,200})$/.exec(header);
    if (!match) return null;
    return probeQueries.findProbeByTokenHash(this.options.db, sha256Hex(match[1]!));
  }

  private accept(probe: ProbeRow, ws: WebSocket): void {
    this.sessions.get(probe.id)?.close(CLOSE_REPLACED, 'connected again');
    let delivered = this.delivered.get(probe.id);
    if (!delivered) this.delivered.set(probe.id, (delivered = new DeliveredEntries()));
    const session = new ProbeSession(probe, ws, this.options, delivered, () => {
      if (this.sessions.get(probe.id) === session) this.sessions.delete(probe.id);
    });
    this.sessions.set(probe.id, session);
    session.start();
  }
}

function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** One probe's connection. */
class ProbeSession {
  private readonly consumer: string;
  private readonly logger: Logger;
  private readonly queue: TaskQueue;
  private pingTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private silence: NodeJS.Timeout | undefined;
  private readonly clockSamples: Array<{ rttMs: number; offsetMs: number }> = [];
  private version: string | null = null;
  private lagMs: number | null = null;
  private stored = 0;
  private storedAtRefresh = 0;
  private lastRefresh = Date.now();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly probe: ProbeRow,
    private readonly ws: WebSocket,
    private readonly options: ProbeHubOptions,
    private readonly delivered: Delivered,
    private readonly onClosed: () => void,
  ) {
    this.consumer = `probe-${probe.id}`;
    this.logger = options.logger.child({ probeId: probe.id, region: probe.region });
    this.queue = options.queue!;
  }

  start(): void {
    const { ws, probe, options } = this;
    ws.on('message', (data) => this.onMessage(data));
    ws.on('error', (error) => this.logger.debug({ err: error }, 'probe connection error'));
    ws.on('close', () => void this.onClose());
    this.heard();
    void this.queue.ensureGroup(probe.region).then(
      () => {
        this.send({
          type: 'welcome',
          probeId: probe.id,
          name: probe.name,
          region: probe.region,
          reclaimIdleMs: options.reclaimIdleMs,
          reclaimIntervalMs: options.reclaimIntervalMs,
          maxDeliveries: options.maxDeliveries,
        });
        this.logger.info('probe connected');
      },
      (error: unknown) => {
        this.logger.warn({ err: error }, 'could not prepare the queue for a probe');
        this.close(1011, 'queue unavailable');
      },
    );
    // A few clock samples at once, then one every few seconds.
    for (const delay of [0, 200, 400]) setTimeout(() => this.ping(), delay).unref();
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.refreshTimer = setInterval(() => void this.refresh(true), REFRESH_INTERVAL_MS);
    void this.refresh(true);
  }

  close(code: number, reason: string): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.ws.close(code, reason);
      // A peer that does not answer the close is cut off.
      setTimeout(() => this.ws.terminate(), 2_000).unref();
    }
    return (this.closing ??= new Promise<void>((resolve) => {
      if (this.ws.readyState === this.ws.CLOSED) resolve();
      else this.ws.once('close', () => resolve());
    }));
  }

  private async onClose(): Promise<void> {
    this.closed = true;
    clearInterval(this.pingTimer);
    clearInterval(this.refreshTimer);
    clearTimeout(this.silence);
    this.onClosed();
    this.logger.info('probe disconnected');
    await this.refresh(false);
  }

  private heard(): void {
    clearTimeout(this.silence);
    this.silence = setTimeout(() => this.ws.terminate(), SILENCE_MS);
    this.silence.unref();
  }

  private send(message: InstanceMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private ping(): void {
    this.send({ type: 'clock', serverTime: Date.now() });
  }

  /** Writes what the connection measured; a probe revoked meanwhile (by any API process) is disconnected. */
  private async refresh(connected: boolean): Promise<void> {
    const now = Date.now();
    const seconds = (now - this.lastRefresh) / 1000;
    const checksPerSecond = seconds > 0 ? (this.stored - this.storedAtRefresh) / seconds : null;
    this.lastRefresh = now;
    this.storedAtRefresh = this.stored;
    try {
      const current = await probeQueries.recordProbeSeen(this.options.db, this.probe.id, connected, {
        version: this.version,
        clockOffsetMs: this.clockOffset() ?? null,
        checksPerSecond,
        lagMs: this.lagMs,
      });
      if (!current && connected) this.close(CLOSE_REVOKED, 'revoked');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not record the probe as seen');
    }
  }

  private clockOffset(): number | undefined {
    let best: { rttMs: number; offsetMs: number } | undefined;
    for (const sample of this.clockSamples) if (!best || sample.rttMs < best.rttMs) best = sample;
    return best?.offsetMs;
  }

  private onMessage(data: RawData): void {
    this.heard();
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      message = undefined;
    }
    if (!checkMessage.Check(message)) {
      this.logger.warn('probe sent a message outside the protocol; closing');
      void this.close(CLOSE_PROTOCOL, 'protocol error');
      return;
    }
    switch (message.type) {
      case 'hello':
        this.version = message.version;
        return;
      case 'clock': {
        const receivedAt = Date.now();
        const rttMs = receivedAt - message.serverTime;
        if (rttMs < 0 || rttMs > 60_000) return;
        this.clockSamples.push({ rttMs, offsetMs: message.probeTime - (message.serverTime + rttMs / 2) });
        if (this.clockSamples.length > CLOCK_SAMPLES) this.clockSamples.shift();
        this.send({ type: 'offset', offsetMs: this.clockOffset()! });
        return;
      }
      case 'call':
        this.answer(message).then(
          (reply) => this.send({ type: 'reply', id: message.id, ok: true, ...reply }),
          (error: unknown) => {
            this.logger.warn({ err: error, op: message.op }, 'probe call failed');
            this.send({ type: 'reply', id: message.id, ok: false, error: 'failed on the instance; retry' });
          },
        );
        return;
    }
  }

  private async answer(
    call: Call,
  ): Promise<Omit<Extract<InstanceMessage, { ok: true }>, 'type' | 'id' | 'ok'>> {
    const { queue, consumer, delivered } = this;
    const region = this.probe.region;
    switch (call.op) {
      case 'read': {
        const entries = await queue.read(region, consumer, call.count, call.blockMs);
        delivered.add(entries);
        return { tasks: entries.map(wireTask) };
      }
      case 'claim': {
        // Never sooner than the instance's own bound: a probe cannot take a live consumer's work early.
        const minIdleMs = Math.max(call.minIdleMs, this.options.reclaimIdleMs);
        const entries = await queue.claimIdle(region, consumer, minIdleMs, call.count);
        delivered.add(entries);
        return { tasks: entries.map(wireTask) };
      }
      case 'touch': {
        const ids = (await this.owned(call.ids)).map((e) => e.id);
        if (ids.length > 0) await queue.touch(region, consumer, ids);
        return {};
      }
      case 'ack': {
        // The probe acknowledges what it sent; an entry whose row the database refused stays pending.
        const ids = (await this.owned(call.ids)).map((e) => e.id).filter((id) => !delivered.isRefused(id));
        if (ids.length > 0) await queue.ack(region, ids);
        delivered.forget(ids);
        return {};
      }
      case 'deadLetter': {
        const entries = await this.owned(call.ids);
        if (entries.length > 0) await queue.deadLetter(region, entries, call.reason);
        delivered.forget(entries.map((e) => e.id));
        return {};
      }
      case 'results':
        return this.storeResults(call.rows);
      case 'stats':
        this.lagMs = call.latenessP99Ms;
        return {};
      default:
        return {};
    }
  }

  /**
   * The entries among `ids` delivered to this probe: those this process sent it, and those another process
   * did (before the probe reconnected here), which the queue's pending list of the probe's consumer proves.
   */
  private async owned(ids: readonly string[]): Promise<QueuedTask[]> {
    const unknown = this.delivered.unknown(ids);
    if (unknown.length > 0) {
      this.delivered.add(await this.queue.pendingFor(this.probe.region, this.consumer, unknown));
    }
    return this.delivered.entries(ids);
  }

  /**
   * Stores the rows of slots sent to this probe, under its region, then acknowledges their entries; any
   * other row (another region's, a slot never sent to it) is refused and counted in the answer.
   */
  private async storeResults(rows: Extract<Call, { op: 'results' }>['rows']) {
    const { delivered, queue } = this;
    const region = this.probe.region;
    // The entries the rows name; those sent by another API process are learned from the queue (owned()
    // asks it only about entries this process does not know).
    const named = rows.flatMap((wire) =>
      wire.region === region && wire.entryId !== undefined ? [wire.entryId] : [],
    );
    if (named.length > 0) await this.owned(named);
    const accepted = new Map<string, { id: string; row: ReturnType<typeof fromWireResult> }>();
    let refused = 0;
    for (const wire of rows) {
      const key = slotKey(wire.monitorId, wire.scheduledAt);
      // The entry the row names if it was sent for this slot (a slot published twice has two), else the
      // slot's entry; a row for a slot never sent to this probe has neither.
      const id =
        wire.region !== region
          ? undefined
          : ((wire.entryId === undefined ? undefined : delivered.entryForSlot(wire.entryId, key)) ??
            delivered.idOfSlot(key));
      if (id === undefined || accepted.has(key)) refused++;
      else accepted.set(key, { id, row: fromWireResult(wire) });
    }
    if (refused > 0) this.logger.warn({ refused }, 'refused results for slots not sent to this probe');
    const batch = [...accepted.values()];
    if (batch.length === 0) return { stored: 0, refused };
    let ids = batch.map((b) => b.id);
    try {
      await this.options.store.insert(batch.map((b) => b.row));
    } catch (error) {
      if (!isRowDataError(error)) throw error;
      // Some row is bad: store the others; the bad one's entry stays pending and ends dead-lettered.
      const outcomes = await this.options.store.insertOneByOne(batch.map((b) => b.row));
      delivered.refusedByDatabase(ids.filter((_id, i) => outcomes[i] === 'rejected'));
      ids = ids.filter((_id, i) => outcomes[i] !== 'rejected');
    }
    await queue.ack(region, ids);
    delivered.forget(ids);
    this.stored += ids.length;
    return { stored: ids.length, refused };
  }
}

function wireTask(entry: QueuedTask): probeProtocol.WireTask {
  return { id: entry.id, deliveries: entry.deliveries, task: entry.task };
}
