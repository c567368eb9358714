/**
 * Child process entry: the local HTTP target of the benchmarks (packages/testing's target server, on
 * 127.0.0.1), in a process of its own so that answering thousands of connections a second does not take
 * CPU from the worker being measured.
 *
 * `/delay/:ms` paths listed in BENCH_TARGET_DELAYS answer after `ms` like the stock route, and also record
 * how long each answer really took from the moment its request reached the machine (the kernel's receive
 * time, see packages/receive-time) to the moment it was written: a target that accepts or reads late, or
 * whose timer fires late, is then told apart from an error of the monitor measuring it.
 *
 * `/outage` (and `/outage-a`, `/outage-b`) answers 200 until the parent sets an outage instant (`outage`
 * command), and 503 from that instant on (until its end, if given): targets that all go down at once, at a
 * moment the parent knows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { receiveClock } from '@better-uptime/receive-time';
import { startTarget } from '@better-uptime/testing/targets';
import { serveParent } from './children.js';
import { percentile } from './stats.js';

const delays = (process.env.BENCH_TARGET_DELAYS ?? '')
  .split(',')
  .filter(Boolean)
  .map(Number)
  .filter((ms) => Number.isInteger(ms) && ms >= 0);

const target = await startTarget();

/**
 * Per delayed answer: the URL, when the request was handled (epoch ms) and how long it really took, from the
 * request's arrival at the machine to the answer's write.
 */
interface DelayedAnswer {
  url: string;
  at: number;
  heldMs: number;
}
const answers = new Map<number, DelayedAnswer[]>(delays.map((ms) => [ms, []]));

for (const ms of delays) {
  const log = answers.get(ms)!;
  target.override(`/delay/${ms}`, (request: IncomingMessage, response: ServerResponse) => {
    const at = Date.now();
    const arrived = receiveClock.lastDataAt(request.socket);
    const timer = setTimeout(() => {
      log.push({ url: request.url ?? '', at, heldMs: performance.now() - arrived });
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      response.end('ok');
    }, ms);
    response.once('close', () => clearTimeout(timer));
  });
}

/**
 * Per outage path (`/outage`, `/outage-a`, `/outage-b`): the epoch ms from which it fails and until which
 * (never, until the parent says).
 */
const OUTAGE_PATHS = ['/outage', '/outage-a', '/outage-b'];
const outages = new Map(OUTAGE_PATHS.map((path) => [path, { from: Infinity, until: Infinity }]));
for (const path of OUTAGE_PATHS) {
  target.override(path, (_request: IncomingMessage, response: ServerResponse) => {
    const { from, until } = outages.get(path)!;
    const now = Date.now();
    const down = now >= from && now < until;
    const body = down ? 'down' : 'ok';
    response.writeHead(down ? 503 : 200, {
      'content-type': 'text/plain',
      'content-length': `${body.length}`,
    });
    response.end(body);
  });
}

serveParent(
  {
    /** An outage path (`/outage` unless named) fails from `at` (epoch ms) on, until `until` if given. */
    outage: ({ at, until, path }) => {
      const outage = outages.get(String(path ?? '/outage'));
      if (!outage) throw new Error(`no outage path ${String(path)}`);
      outage.from = Number(at);
      outage.until = until === undefined ? Infinity : Number(until);
      return null;
    },
    /** Hits whose path starts with `prefix`, as parallel arrays (compact over IPC). */
    hits: ({ prefix }) => {
      const hits = target.hits().filter((hit) => hit.path.startsWith(String(prefix ?? '/')));
      return { urls: hits.map((hit) => hit.url), at: hits.map((hit) => hit.at) };
    },
    hitCount: () => target.hitCount(),
    /** Forgets the hit log and the answer log (between runs, to bound memory). */
    reset: () => {
      target.clearHits();
      for (const log of answers.values()) log.length = 0;
      return null;
    },
    /** How much later than asked the answers to `/delay/<delayMs>` left. */
    overshoot: ({ delayMs }) => {
      const log = answers.get(Number(delayMs)) ?? [];
      const sorted = Float64Array.from(log, (a) => a.heldMs - Number(delayMs)).sort();
      return {
        count: sorted.length,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted.length ? sorted[sorted.length - 1] : null,
      };
    },
    /** Every answer to `/delay/<delayMs>`, as parallel arrays. */
    answers: ({ delayMs }) => {
      const log = answers.get(Number(delayMs)) ?? [];
      return { urls: log.map((a) => a.url), at: log.map((a) => a.at), heldMs: log.map((a) => a.heldMs) };
    },
  },
  { url: target.url },
);
