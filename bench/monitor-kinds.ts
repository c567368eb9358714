/**
 * Monitor kinds: checks/s of each kind's prober in one worker-shaped process (the raw checker child, at the
 * worker's default concurrency), each against a local target of its own, and the heartbeat kind's slots
 * judged/s by one producer (its judgement is a database transaction, not a probe), each as a ratio to http
 * measured in the same run.
 */
import { createSocket } from 'node:dgram';
import packet from 'dns-packet';
import { sql } from 'drizzle-orm';
import { createLogger } from '@better-uptime/config';
import { newId, queryRows } from '@better-uptime/db';
import { judgeDueHeartbeats } from '@better-uptime/scheduler';
import { startTlsTarget } from '@better-uptime/testing';
import { type BenchContext, type Figure, type FigureResult, ratio } from './lib/figure.js';
import { insertBenchUser } from './lib/load.js';
import { createBenchDatabase } from './lib/services.js';
import { median, round } from './lib/stats.js';
import { startRawChecker, startTargetProcess } from './lib/targets.js';
import { CONCURRENCY } from './pipeline-throughput.js';

const HEARTBEATS = 2_000;

/** A DNS server on 127.0.0.1 answering every A question with one address. */
async function startDnsServer(): Promise<{ resolver: string; close(): void }> {
  const server = createSocket('udp4');
  server.on('message', (message, peer) => {
    const query = packet.decode(message);
    const response = packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
      questions: query.questions,
      answers: [{ type: 'A', name: query.questions![0]!.name, ttl: 60, data: '192.0.2.1' }],
    });
    server.send(response, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  return { resolver: `127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** Heartbeat slots judged per second by one producer: `HEARTBEATS` due at once, judged in its batches. */
async function heartbeatRound(ctx: BenchContext, round: number): Promise<number> {
  const db = await createBenchDatabase('kinds');
  ctx.defer(() => db.drop());
  const userId = await insertBenchUser(db.pool);
  const now = Date.now() + round * 3_600_000;
  const ids = Array.from({ length: HEARTBEATS }, () => newId());
  await db.pool.query(
    `INSERT INTO monitors (id, user_id, name, kind, settings, target, interval_seconds, timeout_ms, next_check_at)
     SELECT id, $1, 'bench heartbeat', 'heartbeat', '{"graceSeconds": 60}', 'push URL', 60, 5000, $2
     FROM unnest($3::uuid[]) AS m(id)`,
    [userId, new Date(now - 1_000), ids],
  );
  await db.pool.query(
    `INSERT INTO heartbeats (monitor_id, token_hash, token_hint, armed_at, last_push_at, last_status)
     SELECT id, id::text, 'abcd', $1, $2, 'up' FROM unnest($3::uuid[]) AS m(id)`,
    [new Date(now - 3_600_000), new Date(now - 5_000), ids],
  );
  const started = performance.now();
  const judged = await judgeDueHeartbeats(db.handle.db, now, { logger: createLogger('bench', 'silent') });
  const seconds = (performance.now() - started) / 1000;
  const [stored] = await queryRows<{ n: number }>(
    db.handle.db,
    sql`SELECT count(*)::int AS n FROM check_results WHERE status = 'Up'`,
  );
  if (judged !== HEARTBEATS || stored?.n !== HEARTBEATS)
    throw new Error(`judged ${judged}, stored ${stored?.n} of ${HEARTBEATS} heartbeat slots`);
  await db.drop();
  return judged / seconds;
}

export const monitorKinds: Figure = {
  name: 'monitor-kinds',
  title: 'Monitor kinds: checks/s of each kind on one worker, against http',
  async run(ctx: BenchContext): Promise<FigureResult> {
    const durationMs = ctx.quick ? 2_000 : 8_000;
    const target = await startTargetProcess(ctx, [0]);
    const port = Number(new URL(target.url).port);
    const tls = await startTlsTarget({ issuer: 'test-ca' });
    ctx.defer(() => tls.close());
    const dns = await startDnsServer();
    ctx.defer(() => dns.close());
    const checker = await startRawChecker(ctx);

    const kinds: Array<{ kind: string; settings: Record<string, unknown>; ca?: string; against: string }> = [
      { kind: 'http', settings: { url: `${target.url}/delay/0` }, against: 'GET of a local target' },
      { kind: 'tcp', settings: { host: '127.0.0.1', port }, against: 'connect to the same target' },
      {
        kind: 'dns',
        settings: {
          hostname: 'bench.test',
          recordType: 'A',
          resolver: dns.resolver,
          expected: ['192.0.2.1'],
        },
        against: 'A query to a local UDP server',
      },
      {
        kind: 'tls',
        settings: { host: '127.0.0.1', port: tls.port, minDaysValid: 1 },
        ca: tls.ca!,
        against: 'handshake with a local HTTPS target (its CA trusted)',
      },
      {
        kind: 'ping',
        settings: { host: '127.0.0.1', packets: 1, maxLossPercent: 0 },
        against: 'one echo to 127.0.0.1 through iputils ping',
      },
    ];
    const rounds: Record<string, Array<{ checksPerSecond: number; checks: number; down: number }>> = {};
    for (let round = 0; round < ctx.runs; round++) {
      // Kinds interleaved per round, so a slow moment of the machine does not fall on one kind alone.
      for (const k of kinds) {
        ctx.progress.step(`round ${round + 1}/${ctx.runs}: ${k.kind}`);
        const result = await checker.runKind({
          kind: k.kind,
          settings: k.settings,
          ...(k.ca ? { ca: k.ca } : {}),
          concurrency: CONCURRENCY,
          durationMs,
        });
        (rounds[k.kind] ??= []).push(result);
      }
      ctx.progress.step(`round ${round + 1}/${ctx.runs}: heartbeat judgement`);
      const perSecond = await heartbeatRound(ctx, round);
      (rounds.heartbeat ??= []).push({ checksPerSecond: perSecond, checks: HEARTBEATS, down: 0 });
    }
    const rate = (kind: string) => median(rounds[kind]!.map((r) => r.checksPerSecond));
    const http = rate('http');
    const metrics = [...kinds.map((k) => k.kind), 'heartbeat'].map((kind) => {
      const value = round(rate(kind));
      const downs = rounds[kind]!.reduce((sum, r) => sum + r.down, 0);
      const checks = rounds[kind]!.reduce((sum, r) => sum + r.checks, 0);
      return {
        label: kind === 'heartbeat' ? 'heartbeat slots judged/s (one producer)' : `${kind} checks/s`,
        value,
        unit: '/s',
        baseline: { label: 'http checks/s', value: round(http) },
        ratio: ratio(value, http),
        // Against a local target every check is up; a UDP answer lost under load is the one exception.
        goal: `at most 0.1 % down (${downs} of ${checks})`,
        met: downs <= checks / 1000,
      };
    });
    return {
      metrics,
      notes: [
        `Each probed kind: ${CONCURRENCY} loops in one node process (the worker's default WORKER_CONCURRENCY), ` +
          `each running the kind's prober back to back for ${durationMs / 1000} s; the rate is the steady ` +
          'middle 80 % of the run; median of the rounds. No queue and no database: the prober alone.',
        ...kinds.map((k) => `${k.kind}: ${k.against}.`),
        `heartbeat: ${HEARTBEATS} heartbeat monitors due at once in a fresh PostgreSQL database, judged by ` +
          'judgeDueHeartbeats (claim, judge, store results with their states, advance), in batches of 500 per ' +
          'transaction.',
      ],
      details: rounds,
    };
  },
};
