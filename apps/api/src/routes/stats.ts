import type { FastifyReply, FastifyRequest } from 'fastify';
import { HEARTBEAT_REGION, judgedRegions, PUSH_KIND_NAMES } from '@better-uptime/checker';
import {
  isUuid,
  maintenanceWindowQueries,
  monitorQueries,
  overviewQueries,
  rollups,
  statsQueries,
} from '@better-uptime/db';
import { intervalsOfWindows, maintenanceIntervals, monitorsInEffect } from '@better-uptime/incidents';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { notFound } from '../errors.js';
import { acceptsGzip, gzipAsync } from '../http-cache.js';
import { ResultParams } from '../schemas/check.js';
import { AUTHENTICATED, errorResponses } from '../schemas/common.js';
import {
  OverviewQuery,
  OverviewResponse,
  RegionsResponse,
  OVERVIEW_PAGE,
  type OverviewMonitorJson,
  STATS_WINDOWS,
  StatsQuery,
  StatsResponse,
  type StatsWindow,
  TagsResponse,
} from '../schemas/stats.js';

const OVERVIEW_WINDOW_HOURS = 24;
/** Slots in each monitor's bar of recent checks. */
const RECENT_SLOTS = 30;
/**
 * Responses larger than this are gzipped when the client accepts it: the overview of 1,000 monitors is
 * about 5 MB of JSON, 300 KB gzipped.
 */
const COMPRESS_ABOVE_BYTES = 8_192;

/**
 * How long a monitor's 24 h window scan (uptime, sparkline, since) is reused. It reads every result of the
 * day (about a million rows at 1,000 monitors checked every 3 minutes from two regions, 1-3 s), while
 * the rest of the overview reads a few rows per monitor; the dashboard polls every few seconds.
 */
const WINDOW_SCAN_TTL_MS = 30_000;
/** Monitors whose scan is kept, over all users: a few MB (24 hourly figures per region each). */
const WINDOW_SCAN_CACHE_MONITORS = 20_000;
/** A status change makes the scan run again, but not more often than this. */
const WINDOW_RESCAN_MIN_MS = 5_000;

const iso = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString());
/** Fractional milliseconds to 0.1 ms; percentages to 4 decimals (99.9931). */
const round = (value: number | null, digits: number) =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;

/** An onSend hook: gzip large JSON bodies for clients that accept it (Fastify does not compress). */
async function compressLargeBody(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (typeof payload !== 'string' || payload.length < COMPRESS_ABOVE_BYTES) return payload;
  if (!acceptsGzip(request, reply)) return payload;
  reply.header('content-encoding', 'gzip');
  return gzipAsync(payload, { level: 6 });
}

/** Aggregates for the dashboard: every monitor at a glance, and one monitor over a window. */
export function statsRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const common = { onRequest: ctx.authenticate, onSend: compressLargeBody };
  const tags = ['stats'];
  const security = AUTHENTICATED;
  const windowStates = createWindowStateCache();

  app.get(
    '/api/regions',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['monitors'],
        security,
        summary: 'The regions monitors can be checked from',
        response: { 200: RegionsResponse, ...errorResponses(401) },
      },
    },
    async () => ({ regions: [...ctx.regions.list] }),
  );

  app.get(
    '/api/overview',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'A page of your monitors with their state per region, 24 h uptime and recent checks',
        description:
          'Filtered (q, status, tag), sorted and paged by the server (keyset: pass nextCursor as cursor). ' +
          'For each monitor of the page: per region the newest check, since when the status ' +
          'has held (looked for within the last 24 h), uptime % and an hourly average response time over ' +
          `the last 24 h; and the last ${RECENT_SLOTS} slots with the worst region’s result. counts covers ` +
          'every monitor matching q and tag, whatever the page and status. The newest checks are read on ' +
          'every call, while each monitor’s 24 h scan is reused for up to 30 s (redone at once for new ' +
          'monitors or first checks, and within seconds of a status change). Gzipped when the client accepts it.',
        querystring: OverviewQuery,
        response: { 200: OverviewResponse, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const { q, status, tag } = request.query;
      const limit = request.query.limit ?? OVERVIEW_PAGE.defaultLimit;
      const sort = request.query.sort ?? 'state';
      const after =
        request.query.cursor === undefined ? undefined : overviewPosition(request.query.cursor, sort);
      const now = new Date(ctx.now());
      const regions = ctx.regions.list;
      // One statement after the other: PGlite runs one at a time anyway, and in parallel a single page
      // load would hold several pool connections.
      // The user's windows, read once: who is in maintenance now, and the stretches the window scan needs.
      const windows = await maintenanceWindowQueries.windowsOfUser(db, userId);
      const inMaintenance = [...monitorsInEffect(windows, now.getTime())];
      const windowMs = OVERVIEW_WINDOW_HOURS * 3_600_000;
      const { rows, counts } = await overviewQueries.overviewPage(db, userId, {
        q,
        tag,
        status,
        sort,
        limit: limit + 1,
        after,
        inMaintenance,
        now,
        windowMs,
      });
      const page = rows.slice(0, limit);
      const userTags = await overviewQueries.tagsOfUser(db, userId);
      const monitorIds = page.map((m) => m.id);
      const activity =
        page.length === 0
          ? new Map<string, statsQueries.RecentActivity>()
          : await statsQueries.recentActivity(db, userId, { regions, now, slots: RECENT_SLOTS, monitorIds });
      const judged = new Map(page.map((m) => [m.id, judgedRegions(m, regions).slice().sort()]));
      const window = await windowStates.get(userId, judged, activity, (stale) =>
        statsQueries.regionStates(db, userId, {
          regions,
          now,
          windowMs,
          ownRegion: { kinds: PUSH_KIND_NAMES, region: HEARTBEAT_REGION },
          monitorIds: stale,
          maintenance: intervalsOfWindows(
            windows.filter((w) => stale.includes(w.monitorId)),
            now.getTime() - windowMs,
            now.getTime(),
          ),
        }),
      );

      const entries: OverviewMonitorJson[] = page.map((m) => {
        const fresh = activity.get(m.id);
        const states = (window.get(m.id) ?? []).map((state) => {
          const recent = fresh?.regions.get(state.region);
          if (!recent) return state;
          // The newest check is always fresh. Since when: from the fresh rows when the change is among
          // them, else from the window scan, which saw the same run when it saw the same status.
          const since = recent.since ?? (state.latest?.status === recent.latest.status ? state.since : null);
          return { ...state, latest: recent.latest, since };
        });
        const total = (pick: (s: RegionState) => number) => states.reduce((sum, s) => sum + pick(s), 0);
        const counts = {
          checks: total((s) => s.checks),
          up: total((s) => s.up),
          maintenanceChecks: total((s) => s.maintenanceChecks),
          maintenanceUp: total((s) => s.maintenanceUp),
        };
        return {
          id: m.id,
          name: m.name,
          kind: m.kind,
          target: m.target,
          paused: m.paused,
          intervalSeconds: m.intervalSeconds,
          createdAt: m.createdAt,
          tags: m.tags,
          status: m.status,
          stateSince: m.stateSince,
          openIncidentId: m.openIncidentId,
          uptimePercent: round(rollups.uptimePercent(counts), 4),
          regions: states.map((s) => ({
            region: s.region,
            status: s.latest?.status ?? null,
            lastCheckedAt: iso(s.latest?.scheduledAt ?? null),
            since: iso(s.since),
            responseTimeMs: s.latest?.responseTimeMs ?? null,
            statusCode: s.latest?.statusCode ?? null,
            reason: s.latest?.reason ?? null,
            checks: s.checks,
            uptimePercent: round(rollups.uptimePercent(s), 4),
            hourlyResponseMs: s.hourlyResponseMs,
          })),
          recent: (fresh?.slots ?? []).map((r) => ({
            scheduledAt: new Date(r.scheduledAt).toISOString(),
            status: r.status,
            region: r.region,
            statusCode: r.statusCode,
            reason: r.reason,
            responseTimeMs: r.responseTimeMs,
            regions: r.regions,
            downRegions: r.downRegions,
          })),
        };
      });
      const last = page[page.length - 1];
      return {
        generatedAt: now.toISOString(),
        windowHours: OVERVIEW_WINDOW_HOURS,
        counts,
        monitors: entries,
        nextCursor:
          rows.length > limit && last
            ? encodeCursor({ s: sort, k: String(last.sortKey), n: last.nameKey, id: last.id })
            : null,
        tags: userTags.map((t) => t.name),
      };
    },
  );

  app.get(
    '/api/tags',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['monitors'],
        security,
        summary: 'Every tag your monitors carry, with how many carry it',
        response: { 200: TagsResponse, ...errorResponses(401) },
      },
    },
    async (request) => ({ tags: await overviewQueries.tagsOfUser(db, authOf(request).user.id) }),
  );

  app.get(
    '/api/results/:monitorId/stats',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Uptime, percentiles and a bucketed response-time series per region, over a window',
        description:
          'Per region over the window: uptime %, and average and p50/p95/p99 response time (percentile_cont) ' +
          'of the checks that got a response; and the window cut into buckets (1 min for 1h, 10 min for ' +
          '24h, 1 h for 7d, 4 h for 30d, 1 day for 90d) with the average and slowest response, the average DNS, connect, ' +
          'TLS and first-byte times, and the number of down checks. Per region also the degraded checks and the ' +
          'checks run during planned maintenance windows; uptime leaves the latter out (a planned window ' +
          'lowers no uptime), the same as status pages and badges. ' +
          'Windows beyond a day read the hourly and daily rollups (raw checks only for the hours not rolled ' +
          'up yet, at most about an hour behind), so they outlive RETENTION_DAYS; their percentiles come ' +
          'from histograms, within 4 % of the exact ones.',
        params: ResultParams,
        querystring: StatsQuery,
        response: { 200: StatsResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { monitorId } = request.params;
      const window: StatsWindow = request.query.window ?? '24h';
      const monitor = await monitorQueries.findMonitor(db, authOf(request).user.id, monitorId);
      if (!monitor) throw notFound('Monitor');
      const { ms, bucketSeconds, rolledUp } = STATS_WINDOWS[window];
      const to = new Date(ctx.now());
      const from = new Date(to.getTime() - ms);
      const maintenance = await maintenanceIntervals(db, [monitorId], from.getTime(), to.getTime());
      const { summaries, buckets } = await statsQueries.windowStats(
        db,
        monitorId,
        { from, to, bucketSeconds, rolledUp },
        maintenance,
      );

      const seriesOf = groupBy(buckets, (b) => b.region);
      const summaryOf = new Map(summaries.map((s) => [s.region, s]));
      const checkedFrom = judgedRegions(monitor, ctx.regions.list);
      const regions = [...new Set([...checkedFrom, ...summaryOf.keys()])].sort();
      return {
        monitorId,
        window,
        from: from.toISOString(),
        to: to.toISOString(),
        bucketSeconds,
        regions: regions.map((region) => {
          const s = summaryOf.get(region);
          return {
            region,
            checks: s?.checks ?? 0,
            up: s?.up ?? 0,
            degraded: s?.degraded ?? 0,
            maintenanceChecks: s?.maintenanceChecks ?? 0,
            maintenanceUp: s?.maintenanceUp ?? 0,
            uptimePercent: round(s?.uptimePercent ?? null, 4),
            degradedPercent: s && s.checks > 0 ? round((s.degraded / s.checks) * 100, 4) : null,
            avgMs: round(s?.avgMs ?? null, 1),
            p50Ms: round(s?.p50Ms ?? null, 1),
            p95Ms: round(s?.p95Ms ?? null, 1),
            p99Ms: round(s?.p99Ms ?? null, 1),
            series: (seriesOf.get(region) ?? []).map((b) => ({
              at: new Date(b.at).toISOString(),
              checks: b.checks,
              down: b.down,
              avgMs: round(b.avgMs, 1),
              maxMs: b.maxMs,
              dnsMs: round(b.dnsMs, 1),
              connectMs: round(b.connectMs, 1),
              tlsMs: round(b.tlsMs, 1),
              firstByteMs: round(b.firstByteMs, 1),
            })),
          };
        }),
      };
    },
  );
}

type RegionState = statsQueries.RegionState;

/**
 * Each monitor's last window scan (uptime, sparkline, since), reused for WINDOW_SCAN_TTL_MS (by the real
 * clock: tests pin the API's). A page scans only its monitors whose entry is missing, expired, or out of
 * date: regions changed, a region's first check (at once), or a region's status changed (soon after, so
 * uptime follows what the page shows); otherwise uptime and the sparkline lag by up to the TTL.
 */
function createWindowStateCache() {
  // Keyed by user and monitor; Maps iterate in insertion order, so the first entry is the oldest scan.
  const entries = new Map<string, { at: number; states: RegionState[] }>();
  return {
    async get(
      userId: string,
      judged: ReadonlyMap<string, readonly string[]>,
      activity: Map<string, statsQueries.RecentActivity>,
      scan: (monitorIds: string[]) => Promise<RegionState[]>,
    ): Promise<Map<string, RegionState[]>> {
      const nowMs = performance.now();
      const stale = [...judged.keys()].filter((id) => {
        const cached = entries.get(`${userId}:${id}`);
        return !cached || !stillValid(cached.states, nowMs - cached.at, judged.get(id)!, activity.get(id));
      });
      if (stale.length > 0) {
        const scanned = groupBy(await scan(stale), (s) => s.monitorId);
        for (const id of stale) {
          const key = `${userId}:${id}`;
          // Regions sorted here rather than by SQL, whose collation may order "us-east" differently.
          const states = (scanned.get(id) ?? []).sort((a, b) =>
            a.region < b.region ? -1 : a.region > b.region ? 1 : 0,
          );
          entries.delete(key);
          entries.set(key, { at: nowMs, states });
        }
        while (entries.size > WINDOW_SCAN_CACHE_MONITORS) entries.delete(entries.keys().next().value!);
      }
      return new Map([...judged.keys()].map((id) => [id, entries.get(`${userId}:${id}`)?.states ?? []]));
    },
  };

  function stillValid(
    states: RegionState[],
    age: number,
    regions: readonly string[],
    fresh: statsQueries.RecentActivity | undefined,
  ): boolean {
    if (age >= WINDOW_SCAN_TTL_MS) return false;
    if (states.map((s) => s.region).join() !== regions.join()) return false; // both sorted in JS
    for (const state of states) {
      const now = fresh?.regions.get(state.region)?.latest.status;
      if (now === undefined) continue;
      // A first check: scan at once. A status change: scan, at most every few seconds (flapping).
      if (state.latest === null) return false;
      if (state.latest.status !== now && age >= WINDOW_RESCAN_MIN_MS) return false;
    }
    return true;
  }
}

/** A cursor of the overview, for the same sort; a 400 for any other. */
function overviewPosition(cursor: string, sort: string): overviewQueries.OverviewPosition {
  const position = decodeCursor(
    cursor,
    ['s', 'k', 'n', 'id'],
    (p) => p.s === sort && Number.isFinite(Number(p.k)) && p.k.trim() !== '' && isUuid(p.id),
  );
  return { sortKey: Number(position.k), nameKey: position.n, id: position.id };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
