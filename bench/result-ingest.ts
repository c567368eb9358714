/**
 * Figure 4, result ingest: rows/s of the worker's result writer (ResultBuffer over the database store: one
 * idempotent multi-row INSERT ... SELECT FROM unnest per 500 rows, up to two in flight) into the
 * partitioned table, against COPY of the same rows into the same table, alternating, in the same run.
 */
import { createLogger } from '@better-uptime/config';
import type { ResultRow } from '@better-uptime/db';
import { databaseResultStore, newCounters, ResultBuffer } from '@better-uptime/worker';
import { type BenchContext, type Figure, type FigureResult, atLeast, ratio } from './lib/figure.js';
import { insertBenchUser, insertMonitors } from './lib/load.js';
import { copyFrom } from './lib/pg-copy.js';
import { type BenchDatabase, createBenchDatabase } from './lib/services.js';
import { median, round } from './lib/stats.js';

const MONITORS = 1_000;
const REGIONS = ['usa', 'india'];
const COLUMNS =
  'monitor_id, region, scheduled_at, checked_at, status, response_time_ms, status_code, reason, message, dns_ms, connect_ms, tls_ms, first_byte_ms, cert_expires_at';

/** Realistic results: Up, with timing phases, a few Down with a reason and a message; distinct slots. */
function makeRows(monitorIds: readonly string[], count: number): ResultRow[] {
  const newest = Date.now() - 60_000;
  return Array.from({ length: count }, (_, i): ResultRow => {
    const down = i % 50 === 0;
    const scheduledAt = new Date(newest - i);
    return {
      monitorId: monitorIds[i % monitorIds.length]!,
      region: REGIONS[i % REGIONS.length]!,
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
      certExpiresAt: new Date(newest + 60 * 86_400_000),
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

/** Rows/s through the worker's ResultBuffer, fed as fast as it accepts them (it pushes back when full). */
async function writerRun(db: BenchDatabase, rows: readonly ResultRow[]): Promise<number> {
  const counters = newCounters();
  let room: (() => void) | undefined;
  const buffer = new ResultBuffer({
    store: databaseResultStore(db.handle.db),
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
  if (!(await buffer.drain(120_000))) throw new Error('the result writer did not drain within 120 s');
  const seconds = (performance.now() - started) / 1000;
  if (counters.stored !== rows.length)
    throw new Error(`writer stored ${counters.stored} of ${rows.length} rows`);
  return rows.length / seconds;
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
    intervalSeconds: 30,
    firstCheck: { kind: 'never' },
  });
  const count = ctx.quick ? 50_000 : 300_000;
  const rows = makeRows(monitorIds, count);
  const data = copyText(rows);
  const rounds: Array<{ writer: number; copy: number }> = [];
  for (let n = 1; n <= ctx.runs; n++) {
    await db.pool.query('TRUNCATE check_results');
    await db.pool.query('VACUUM ANALYZE check_results');
    ctx.progress.step(`round ${n}/${ctx.runs}: result writer, ${count} rows`);
    const writer = await ctx.progress.during(writerRun(db, rows), () => 'writing...');
    await db.pool.query('TRUNCATE check_results');
    await db.pool.query('VACUUM ANALYZE check_results');
    ctx.progress.step(`round ${n}/${ctx.runs}: COPY, ${count} rows`);
    const copy = await copyRun(db, data, count);
    ctx.progress.step(`  writer ${Math.round(writer)} rows/s, COPY ${Math.round(copy)} rows/s`);
    rounds.push({ writer, copy });
  }
  const writer = median(rounds.map((r) => r.writer));
  const copy = median(rounds.map((r) => r.copy));
  const ratioMedian = median(rounds.map((r) => r.writer / r.copy));
  return {
    metrics: [
      {
        label: 'result writer rows/s',
        value: round(writer),
        unit: 'rows/s',
        baseline: { label: 'COPY', value: round(copy) },
        ratio: round(ratioMedian ?? ratio(writer, copy)),
        goal: '≥ 0.5 × COPY',
        met: atLeast(ratioMedian, 0.5),
      },
    ],
    notes: [
      `${count} rows (1 in 50 Down with a message) for ${MONITORS} monitors × ${REGIONS.length} regions into today's partition of check_results (primary key + (monitor_id, scheduled_at desc) index), table emptied before each run.`,
      "Writer: the worker's ResultBuffer with the database store (the code the worker runs: 500 rows per INSERT ... SELECT FROM unnest ... WHERE EXISTS (monitor) ON CONFLICT DO NOTHING, up to two statements in flight), fed as fast as it accepts rows; acks are no-ops. COPY: the same rows, text format, one COPY FROM STDIN on one connection.",
      `Median of ${rounds.length} alternating round(s).`,
    ],
    details: rounds,
  };
}

export const resultIngest: Figure = {
  name: 'result-ingest',
  title: 'Result ingest: the worker’s writer against COPY',
  run,
};
