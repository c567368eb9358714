/**
 * Figure 4, result ingest: rows/s of the worker's result writer (ResultBuffer over the database store, 500
 * rows per flush, up to two in flight), which stores each batch with the region states, monitor states,
 * incidents and events it causes in one transaction (recordResults). Baselines in the same run,
 * alternating: the same ResultBuffer over the bare idempotent insert the worker used before incidents
 * (one INSERT ... SELECT FROM unnest per batch and nothing else), and COPY of the same rows.
 */
import { createLogger } from '@better-uptime/config';
import { insertResults, insertResultsOneByOne, type ResultRow } from '@better-uptime/db';
import { databaseResultStore, newCounters, ResultBuffer, type ResultStore } from '@better-uptime/worker';
import { type BenchContext, type Figure, type FigureResult, atLeast, ratio } from './lib/figure.js';
import { insertBenchUser, insertMonitors } from './lib/load.js';
import { copyFrom } from './lib/pg-copy.js';
import { type BenchDatabase, createBenchDatabase } from './lib/services.js';
import { median, round } from './lib/stats.js';

const MONITORS = 1_000;
const REGIONS = ['usa', 'india'];
const INTERVAL_MS = 30_000;
const COLUMNS =
  'monitor_id, region, scheduled_at, checked_at, status, response_time_ms, status_code, reason, message, dns_ms, connect_ms, tls_ms, first_byte_ms, cert_expires_at';

/**
 * 1 in 50 slots fails, scattered by a hash of the slot's number (murmur3's finaliser): failures seldom
 * repeat, and now and then one does.
 */
function fails(i: number): boolean {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 50 === 0;
}

/**
 * Results as workers write them: every monitor checked from both regions every 30 s, in slot order, for as
 * many intervals as `count` needs, all after the monitors' states began (`from`); Up with timing phases,
 * the scattered failed slots Down in both regions (as an outage of the target is) with a reason and a
 * message. A failed slot followed by another of the same monitor confirms an outage (the default quorum of
 * two regions is both), and two good checks resolve it: every path of the state writer runs.
 */
function makeRows(monitorIds: readonly string[], count: number, from: number): ResultRow[] {
  const perInterval = monitorIds.length * REGIONS.length;
  const phaseStep = Math.floor(INTERVAL_MS / monitorIds.length);
  return Array.from({ length: count }, (_, i): ResultRow => {
    const down = fails(Math.floor(i / REGIONS.length));
    const slot = i % perInterval;
    const monitor = Math.floor(slot / REGIONS.length);
    const scheduledAt = new Date(from + Math.floor(i / perInterval) * INTERVAL_MS + monitor * phaseStep);
    return {
      monitorId: monitorIds[monitor]!,
      region: REGIONS[slot % REGIONS.length]!,
      scheduledAt,
      checkedAt: new Date(scheduledAt.getTime() + 3),
      status: down ? 'Down' : 'Up',
      responseTimeMs: 40 + (i % 200),
      statusCode: down ? 503 : 200,
      reason: down ? 'http_status' : null,
      message: down ? 'status 503 is not one of the expected 200-299' : null,
      dnsMs: 2,
      connectMs: 5 + (i % 7),
      tlsMs: 12 + (i % 9),
      firstByteMs: 20 + (i % 150),
      certExpiresAt: new Date(from + 60 * 86_400_000),
    };
  });
}

/** The rows in COPY's text format (tab-separated, \N for null), in chunks of about 1 MB. */
function copyText(rows: readonly ResultRow[]): Buffer[] {
  const value = (v: string | number | Date | null) =>
    v === null
      ? '\\N'
      : v instanceof Date
        ? v.toISOString()
        : String(v).replace(/[\\\t\n\r]/g, (c) => `\\${c}`);
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  let size = 0;
  for (const r of rows) {
    const line = [
      r.monitorId,
      r.region,
      r.scheduledAt,
      r.checkedAt,
      r.status,
      r.responseTimeMs,
      r.statusCode,
      r.reason,
      r.message,
      r.dnsMs,
      r.connectMs,
      r.tlsMs,
      r.firstByteMs,
      r.certExpiresAt,
    ]
      .map(value)
      .join('\t');
    lines.push(line);
    size += line.length + 1;
    if (size > 1_000_000) {
      chunks.push(Buffer.from(`${lines.join('\n')}\n`));
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) chunks.push(Buffer.from(`${lines.join('\n')}\n`));
  return chunks;
}

/** What the worker writes with now: results with their states, incidents and events (recordResults). */
function stateStore(db: BenchDatabase): ResultStore {
  return databaseResultStore(db.handle.db, {
    regions: [...REGIONS],
    logger: createLogger('bench-ingest', 'warn'),
  });
}

/** What the worker wrote with before incidents: the idempotent insert alone. */
function bareStore(db: BenchDatabase): ResultStore {
  return {
    insert: (rows) => insertResults(db.handle.db, rows),
    insertOneByOne: (rows) => insertResultsOneByOne(db.handle.db, rows),
  };
}

/** Rows/s through the worker's ResultBuffer, fed as fast as it accepts them (it pushes back when full). */
async function writerRun(store: ResultStore, rows: readonly ResultRow[]): Promise<number> {
  const counters = newCounters();
  let room: (() => void) | undefined;
  const buffer = new ResultBuffer({
    store,
    ack: async () => undefined,
    logger: createLogger('bench-ingest', 'warn'),
    counters,
    onRoom: () => room?.(),
  });
  const started = performance.now();
  for (const [i, row] of rows.entries()) {
    // Like the worker's reader: stop while the buffer is full, go on when a flush made room.
    while (buffer.full) await new Promise<void>((resolve) => (room = resolve));
    buffer.add(String(i), row);
  }
  if (!(await buffer.drain(300_000))) throw new Error('the result writer did not drain within 300 s');
  const seconds = (performance.now() - started) / 1000;
  if (counters.stored !== rows.length)
    throw new Error(`writer stored ${counters.stored} of ${rows.length} rows`);
  return rows.length / seconds;
}

/**
 * Empties the results and everything they caused, and puts every monitor back to pending from `from`
 * (before the first slot), so each run starts from the same state.
 */
async function reset(db: BenchDatabase, from: number): Promise<void> {
  await db.pool.query('TRUNCATE check_results, region_states, state_changes, events, incidents');
  await db.pool.query(
    `UPDATE monitor_states SET state = 'pending', since = $1, settled_at = $1, retrying = false,
       open_incident_id = NULL`,
    [new Date(from)],
  );
  await db.pool.query(`UPDATE monitors SET next_check_at = now() + interval '1 year'`);
  await db.pool.query('VACUUM ANALYZE check_results, region_states, monitor_states, monitors');
}

/** What a run of the state writer caused, to show the work it did beside the rows. */
async function caused(db: BenchDatabase): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM incidents) AS incidents, (SELECT count(*) FROM state_changes) AS "stateChanges",
            (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM region_states) AS "regionStates"`,
  );
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

async function copyRun(db: BenchDatabase, data: readonly Buffer[], expected: number): Promise<number> {
  const client = await db.pool.connect();
  try {
    const started = performance.now();
    const copied = await copyFrom(client, `COPY check_results (${COLUMNS}) FROM STDIN`, data);
    const seconds = (performance.now() - started) / 1000;
    if (copied !== expected) throw new Error(`COPY stored ${copied} of ${expected} rows`);
    return expected / seconds;
  } finally {
    client.release();
  }
}

async function run(ctx: BenchContext): Promise<FigureResult> {
  const db = await createBenchDatabase('ingest');
  ctx.defer(() => db.drop());
  const userId = await insertBenchUser(db.pool);
  const monitorIds = await insertMonitors(db.pool, {
    userId,
    count: MONITORS,
    url: (i) => `http://127.0.0.1:9/never?m=${i}`,
    intervalSeconds: INTERVAL_MS / 1000,
    firstCheck: { kind: 'never' },
  });
  const count = ctx.quick ? 50_000 : 300_000;
  // The slots end a minute ago; the monitors' states begin a minute before the first.
  const intervals = Math.ceil(count / (MONITORS * REGIONS.length));
  const firstSlot = Date.now() - 60_000 - intervals * INTERVAL_MS;
  const statesFrom = firstSlot - 60_000;
  const rows = makeRows(monitorIds, count, firstSlot);
  const data = copyText(rows);
  const rounds: Array<{ writer: number; bare: number; copy: number; caused: Record<string, number> }> = [];
  for (let n = 1; n <= ctx.runs; n++) {
    const measureWriter = async () => {
      await reset(db, statesFrom);
      ctx.progress.step(`round ${n}/${ctx.runs}: result writer (recordResults), ${count} rows`);
      const rate = await ctx.progress.during(writerRun(stateStore(db), rows), () => 'writing...');
      return { rate, caused: await caused(db) };
    };
    const measureBare = async () => {
      await reset(db, statesFrom);
      ctx.progress.step(`round ${n}/${ctx.runs}: bare insert (the writer before incidents), ${count} rows`);
      return ctx.progress.during(writerRun(bareStore(db), rows), () => 'writing...');
    };
    // Alternating which writer goes first, so neither always meets the other's dead rows.
    let writer: { rate: number; caused: Record<string, number> };
    let bare: number;
    if (n % 2 === 1) {
      writer = await measureWriter();
      bare = await measureBare();
    } else {
      bare = await measureBare();
      writer = await measureWriter();
    }
    await reset(db, statesFrom);
    ctx.progress.step(`round ${n}/${ctx.runs}: COPY, ${count} rows`);
    const copy = await copyRun(db, data, count);
    ctx.progress.step(
      `  writer ${Math.round(writer.rate)} rows/s, bare insert ${Math.round(bare)} rows/s, COPY ${Math.round(copy)} rows/s; the writer caused ${JSON.stringify(writer.caused)}`,
    );
    rounds.push({ writer: writer.rate, bare, copy, caused: writer.caused });
  }
  const writer = median(rounds.map((r) => r.writer));
  const bare = median(rounds.map((r) => r.bare));
  const copy = median(rounds.map((r) => r.copy));
  const writerToBare = median(rounds.map((r) => r.writer / r.bare));
  const writerToCopy = median(rounds.map((r) => r.writer / r.copy));
  const bareToCopy = median(rounds.map((r) => r.bare / r.copy));
  return {
    metrics: [
      {
        label: 'result writer rows/s (with states and incidents)',
        value: round(writer),
        unit: 'rows/s',
        baseline: { label: 'bare insert (before incidents)', value: round(bare) },
        ratio: round(writerToBare ?? ratio(writer, bare)),
      },
      {
        label: 'result writer rows/s against COPY',
        value: round(writer),
        unit: 'rows/s',
        baseline: { label: 'COPY', value: round(copy) },
        ratio: round(writerToCopy ?? ratio(writer, copy)),
        goal: '≥ 0.5 × COPY',
        met: atLeast(writerToCopy, 0.5),
      },
      {
        label: 'bare insert rows/s against COPY',
        value: round(bare),
        unit: 'rows/s',
        baseline: { label: 'COPY', value: round(copy) },
        ratio: round(bareToCopy ?? ratio(bare, copy)),
      },
    ],
    notes: [
      `${count} rows: ${MONITORS} monitors × ${REGIONS.length} regions every ${INTERVAL_MS / 1000} s in slot order (${intervals} intervals), 1 in 50 Down scattered, into check_results (primary key + (monitor_id, scheduled_at desc) index); results, states, incidents, timelines and events emptied and every monitor back to pending before each run.`,
      "Writer: the worker's ResultBuffer with the worker's database store (recordResults: per 500-row batch one transaction that locks the monitors' state rows, inserts the new results, reads rules, region states, maintenance windows and open incidents, and writes the states, incidents, timeline and events that changed; up to two batches in flight), fed as fast as it accepts rows; acks are no-ops. Bare insert: the same buffer over insertResults alone (500 rows per INSERT ... SELECT FROM unnest ... WHERE EXISTS (monitor) ON CONFLICT DO NOTHING), the worker's store before incidents. COPY: the same rows, text format, one COPY FROM STDIN on one connection.",
      `What the writer's rows caused, per run: ${JSON.stringify(rounds[0]?.caused ?? {})}.`,
      `Median of ${rounds.length} round(s), the two writers alternating which goes first.`,
    ],
    details: rounds,
  };
}

export const resultIngest: Figure = {
  name: 'result-ingest',
  title: 'Result ingest: the worker’s writer against the bare insert and COPY',
  run,
};
