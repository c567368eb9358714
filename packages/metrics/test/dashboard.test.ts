import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePrometheus, type PrometheusFamily } from '@better-uptime/testing';
import { createMetrics, finishedCheck } from '../src/index.js';

const DASHBOARD = new URL('../../../docker/grafana/better-uptime.json', import.meta.url);

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

/** A scrape in which every series the process can have is present: every source watched, every event once. */
async function everySeries(): Promise<Map<string, PrometheusFamily>> {
  const metrics = createMetrics();
  metrics.watchQueue(['usa'], async () => ({ length: 1, pending: 1, deadLetters: 1, oldestPendingAgeMs: 5 }));
  metrics.watchPool('main', { totalCount: 1, idleCount: 1, waitingCount: 0 });
  metrics.watchOpenIncidents(async () => 1);
  metrics.watchMonitors(async () => [{ id: 'm', name: 'M', up: true, responseTimeMs: 10 }]);
  const outcome = {
    status: 'Down' as const,
    reason: 'timeout',
    responseTimeMs: 30_000,
    timings: { dnsMs: 1, connectMs: 2, tlsMs: 3, firstByteMs: null },
    details: null,
  };
  metrics.checkFinished(finishedCheck('http', 'usa', outcome));
  metrics.checkStarted('usa', 5);
  metrics.slotShed('usa', 'stale');
  metrics.deadLettered('usa', 'max_deliveries', 1);
  metrics.resultsWritten('usa', 10, 0.01, 'ok');
  metrics.notificationsSent('webhook', 'failed', 1);
  // A source that fails, so that its failure counter has a series too.
  metrics.watchQueue(['india'], async () => {
    throw new Error('down');
  });
  return parsePrometheus((await metrics.scrape()).body);
}

/** The metric names an expression uses, each with the label names its selector matches on. */
function selectors(expr: string): Array<{ name: string; labels: string[] }> {
  return [...expr.matchAll(/\b(better_uptime_[a-z0-9_]+)(\{([^}]*)\})?/g)].map((match) => ({
    name: match[1]!,
    labels: [...(match[3] ?? '').matchAll(/([a-z_]+)\s*(=~|!~|!=|=)/g)].map((label) => label[1]!),
  }));
}

describe('the Grafana dashboard (docker/grafana/better-uptime.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: Array<{ name: string; type: string; query?: string }> };
  };
  const queried = dashboard.panels.filter((panel) => panel.type !== 'row');

  it('has panels with queries and unique ids', () => {
    expect(queried.length).toBeGreaterThanOrEqual(15);
    for (const panel of queried) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('queries only series that a scrape has, with labels they carry', async () => {
    const families = await everySeries();
    const expressions = [
      ...queried.flatMap((panel) => panel.targets!.map((target) => target.expr)),
      ...dashboard.templating.list.flatMap((variable) =>
        variable.type === 'query' ? [variable.query!] : [],
      ),
    ];
    const used = new Set<string>();
    for (const expr of expressions) {
      const found = selectors(expr);
      expect(found.length, expr).toBeGreaterThan(0);
      for (const { name, labels } of found) {
        used.add(name);
        const family = families.get(name);
        expect(family, `${name} in "${expr}"`).toBeDefined();
        const carried = new Set(family!.metrics.flatMap((sample) => Object.keys(sample.labels ?? {})));
        for (const label of labels) expect(carried.has(label), `${name}{${label}} in "${expr}"`).toBe(true);
      }
    }
    // Every one of our own series is on the dashboard (Node's process metrics aside).
    const ours = [...families.values()]
      .filter((f) => !/^better_uptime_(process|nodejs)_/.test(f.name) && f.type !== 'UNTYPED')
      .map((f) => f.name);
    const shown = new Set([...used].map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    expect(ours.filter((name) => !shown.has(name))).toEqual([]);
  });
});
