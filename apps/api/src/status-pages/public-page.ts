import { type Database, maintenanceWindowQueries, rollups, statusPageQueries } from '@better-uptime/db';
import {
  currentOrNext,
  intervalsOfWindows,
  monitorsInEffect,
  shownState,
  windowRule,
} from '@better-uptime/incidents';
import { type CachedBody, cachedBody } from '../http-cache.js';
import { PublicStatusPage, type PublicStatusPageJson } from '../schemas/status-page.js';
import { serializerCompiler } from '../serialization.js';
import { renderStatusPage } from './html.js';

const DAY_MS = 86_400_000;
const BAR_DAYS = 90;
const RECENT_INCIDENT_DAYS = 14;
/** A page is computed at most once per this interval, however many visitors; also its Cache-Control max-age. */
export const PAGE_TTL_MS = 5_000;
const MAX_CACHED_PAGES = 1_000;

const iso = (ms: number) => new Date(ms).toISOString();
/** Uptime to 4 decimals (99.9931); planned maintenance left out, as everywhere (rollups.uptimePercent). */
const percent = (counts: rollups.UptimeCounts) => {
  const value = rollups.uptimePercent(counts);
  return value === null ? null : Math.round(value * 1e4) / 1e4;
};
const noChecks = (): rollups.UptimeCounts => ({ checks: 0, up: 0, maintenanceChecks: 0, maintenanceUp: 0 });

/**
 * The public view of a status page: only what the owner chose to show, under the display names they gave.
 * Built from an allow-list of fields (never a monitor's URL, settings, ids or its owner), for monitors that
 * are still the owner's.
 */
export async function buildPublicPage(
  db: Database,
  page: statusPageQueries.StatusPageRecord,
  now: number,
): Promise<PublicStatusPageJson> {
  const ids = [...new Set(page.sections.flatMap((s) => s.monitors.map((m) => m.monitorId)))];
  const states = await statusPageQueries.monitorStates(db, page.userId, ids);
  const owned = ids.filter((id) => states.has(id));
  const names = new Map<string, string>();
  for (const section of page.sections)
    for (const m of section.monitors) if (!names.has(m.monitorId)) names.set(m.monitorId, m.displayName);

  const windows = (await maintenanceWindowQueries.windowsOfUser(db, page.userId)).filter((w) =>
    states.has(w.monitorId),
  );
  const inMaintenance = monitorsInEffect(windows, now);

  const firstDay = Math.floor(now / DAY_MS) * DAY_MS - (BAR_DAYS - 1) * DAY_MS;
  const bars = new Map<string, Map<number, rollups.UptimeCounts>>();
  if (page.show.uptimeBars || page.show.uptimePercent) {
    const maintenance = intervalsOfWindows(windows, firstDay, now);
    for (const day of await rollups.dailyUptime(db, owned, { days: BAR_DAYS, nowMs: now, maintenance })) {
      let days = bars.get(day.monitorId);
      if (!days) bars.set(day.monitorId, (days = new Map()));
      days.set(day.day, day);
    }
  }

  const shown = new Map(owned.map((id) => [id, shownState(states.get(id) as never, inMaintenance.has(id))]));
  const sections = page.sections.map((section) => ({
    name: section.name,
    monitors: section.monitors
      .filter((m) => shown.has(m.monitorId))
      .map((m) => {
        const days = bars.get(m.monitorId) ?? new Map<number, rollups.UptimeCounts>();
        const total = noChecks();
        for (const d of days.values()) {
          total.checks += d.checks;
          total.up += d.up;
          total.maintenanceChecks += d.maintenanceChecks;
          total.maintenanceUp += d.maintenanceUp;
        }
        return {
          name: m.displayName,
          state: shown.get(m.monitorId)!,
          uptimePercent: page.show.uptimePercent ? percent(total) : null,
          bars: page.show.uptimeBars
            ? Array.from({ length: BAR_DAYS }, (_, i) => {
                const day = firstDay + i * DAY_MS;
                const d = days.get(day);
                return { date: iso(day).slice(0, 10), uptimePercent: d ? percent(d) : null };
              })
            : [],
        };
      }),
  }));

  const incidents = page.show.incidents
    ? await statusPageQueries.pageIncidents(db, page.userId, owned, now - RECENT_INCIDENT_DAYS * DAY_MS)
    : [];
  const updates = await statusPageQueries.incidentUpdates(
    db,
    incidents.map((i) => i.id),
  );
  const incidentJson = (i: statusPageQueries.PageIncident) => ({
    monitor: names.get(i.monitorId) ?? '',
    status: i.status,
    startedAt: iso(i.startedAt),
    resolvedAt: i.resolvedAt === null ? null : iso(i.resolvedAt),
    durationMs: Math.max(0, Math.round((i.resolvedAt ?? now) - i.startedAt)),
    reason: i.reason,
    updates: updates
      .filter((u) => u.incidentId === i.id)
      .map((u) => ({ status: u.status, message: u.message, at: iso(u.createdAt) })),
  });

  const maintenance = new Map<string, PublicStatusPageJson['maintenance'][number]>();
  if (page.show.maintenance) {
    for (const w of windows) {
      const occurrence = currentOrNext(windowRule(w), now);
      if (!occurrence) continue;
      const key = `${w.name}\u0000${occurrence.start}`;
      const entry = maintenance.get(key) ?? {
        name: w.name,
        monitors: [],
        startsAt: iso(occurrence.start),
        endsAt: iso(occurrence.end),
        active: occurrence.start <= now,
      };
      entry.monitors.push(names.get(w.monitorId)!);
      maintenance.set(key, entry);
    }
  }

  const all = [...shown.values()];
  const down = all.filter((s) => s === 'down').length;
  return {
    slug: page.slug,
    title: page.title,
    description: page.description,
    generatedAt: iso(now),
    state:
      down > 0 && down === all.length
        ? 'major_outage'
        : down > 0
          ? 'partial_outage'
          : all.includes('maintenance')
            ? 'maintenance'
            : 'operational',
    sections,
    incidents: {
      open: incidents.filter((i) => i.status === 'open').map(incidentJson),
      recent: incidents.filter((i) => i.status === 'resolved').map(incidentJson),
    },
    maintenance: [...maintenance.values()].sort((a, b) => a.startsAt.localeCompare(b.startsAt)),
  };
}

export interface RenderedPage {
  json: PublicStatusPageJson;
  /** The JSON answer, written through its response schema once per computation. */
  body: CachedBody;
  /** The HTML page, rendered on first use and kept with the rest. */
  html(): CachedBody;
}

/** The public JSON as the route's response schema writes it: only the fields the schema declares. */
const writePublicPage = serializerCompiler({
  schema: PublicStatusPage,
  method: 'GET',
  url: '/api/public/status-pages/:slug',
  httpStatus: '200',
}) as (page: PublicStatusPageJson) => string;

/**
 * One computation per page per PAGE_TTL_MS however many visitors: concurrent requests share the one in
 * flight, and its JSON and HTML bytes too (writing and compressing 200-300 KB per request cost more than the rest of it).
 * Keyed by page id, so a renamed slug or a changed page is recomputed when the owner saves it.
 */
export function createPageCache(
  compute: (page: statusPageQueries.StatusPageRecord) => Promise<PublicStatusPageJson>,
) {
  const entries = new Map<string, { at: number; updatedAt: number; result: Promise<RenderedPage> }>();
  return {
    get(page: statusPageQueries.StatusPageRecord): Promise<RenderedPage> {
      const cached = entries.get(page.id);
      const now = performance.now();
      if (cached && now - cached.at < PAGE_TTL_MS && cached.updatedAt === page.updatedAt.getTime())
        return cached.result;
      const result = compute(page).then((json): RenderedPage => {
        let html: CachedBody | undefined;
        return {
          json,
          body: cachedBody(writePublicPage(json)),
          html: () => (html ??= cachedBody(renderStatusPage(json))),
        };
      });
      result.catch(() => entries.delete(page.id));
      entries.delete(page.id);
      entries.set(page.id, { at: now, updatedAt: page.updatedAt.getTime(), result });
      if (entries.size > MAX_CACHED_PAGES) entries.delete(entries.keys().next().value!);
      return result;
    },
  };
}
