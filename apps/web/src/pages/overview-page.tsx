import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, type OverviewFilter, type OverviewSort } from '../api.js';
import { useTitle } from '../announcer.js';
import { CheckBar } from '../components/check-bar.js';
import { ErrorNote, PageHeading } from '../components/layout.js';
import { Sparkline } from '../components/sparkline.js';
import { StatusBadge } from '../components/status.js';
import { formatAgo, formatDuration, formatMs, formatPercent } from '../format.js';
import { useMediaQuery, useNow } from '../hooks.js';
import { type OverviewList, useOverviewList } from '../overview-data.js';
import { followLink, navigate, useLocation } from '../router.js';
import { MONITOR_STATUSES, type MonitorStatus, type OverviewMonitor } from '../types.js';

const RECENT_SLOTS = 30;
/** Rows have one height each, so only those on screen need to exist (see VirtualRows). */
const ROW_HEIGHT = { wide: 64, phone: 88 } as const;
const PHONE = '(max-width: 760px)';
const SEARCH_DELAY_MS = 250;

const STATUS_LABELS: Record<MonitorStatus, string> = {
  up: 'Up',
  down: 'Down',
  maintenance: 'Maintenance',
  paused: 'Paused',
  pending: 'Pending',
};
const SORTS: Record<OverviewSort, string> = {
  state: 'Status (down first)',
  name: 'Name',
  response: 'Response (slowest first)',
  uptime: 'Uptime (lowest first)',
};
const FILTERS: Array<MonitorStatus | 'all'> = ['all', ...MONITOR_STATUSES];

/** Filters live in the address, so a filtered view can be bookmarked and survives a reload. */
function filterOf(query: URLSearchParams): OverviewFilter & { groups: boolean } {
  const status = query.get('status') ?? '';
  const sort = query.get('sort') ?? '';
  return {
    q: query.get('q') ?? '',
    status: (MONITOR_STATUSES as string[]).includes(status) ? (status as MonitorStatus) : undefined,
    tag: query.get('tag') ?? '',
    sort: sort in SORTS ? (sort as OverviewSort) : 'state',
    groups: query.get('groups') === 'tags',
  };
}

export function OverviewPage() {
  const { query } = useLocation();
  const { groups, ...filter } = filterOf(query);
  // The address follows each key stroke; the server is asked once typing pauses.
  const q = useDebounced(filter.q ?? '', SEARCH_DELAY_MS);
  const list = useOverviewList({ ...filter, q, sort: filter.sort === 'state' ? undefined : filter.sort });
  const now = useNow(5_000);
  const counts = list.counts;
  useTitle(counts && counts.down > 0 ? `(${counts.down} down) Monitors` : 'Monitors');

  const setQuery = (key: string, value: string, fallback: string) => {
    const next = new URLSearchParams(location.search);
    if (value === fallback) next.delete(key);
    else next.set(key, value);
    const search = next.toString();
    navigate(`/${search ? `?${search}` : ''}`, { replace: true });
  };
  const filtered = Boolean(q || filter.status || filter.tag);
  const total = rowCount(list, undefined);

  return (
    <>
      <PageHeading title="Monitors">
        <a class="button primary" href="/monitors/new" onClick={followLink}>
          New monitor
        </a>
      </PageHeading>
      {list.error && <ErrorNote error={list.error} stale={counts !== undefined} />}
      {!counts && !list.error && <p class="muted">Loading…</p>}
      {counts && (
        <>
          <section class="counts" aria-label="Monitors by status">
            {MONITOR_STATUSES.map((status) => (
              <button
                key={status}
                type="button"
                class={`count count-${status}${counts[status] > 0 ? ' count-nonzero' : ''}`}
                aria-pressed={filter.status === status}
                onClick={() => setQuery('status', filter.status === status ? 'all' : status, 'all')}
              >
                <span class="count-number">{counts[status]}</span>
                <span class="count-label">
                  {status === 'down' ? 'Down (incident open)' : STATUS_LABELS[status]}
                </span>
              </button>
            ))}
            <p class="updated muted" data-live={list.live}>
              {list.live === 'stream' ? 'Live' : 'Updated'}
              {list.live !== 'stream' &&
                ` ${list.updatedAt ? formatAgo(new Date(list.updatedAt).toISOString(), now) : '—'}`}
            </p>
          </section>

          <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
            <label class="filter-search">
              <span>Search</span>
              <input
                type="search"
                value={filter.q}
                placeholder="Name or URL"
                onInput={(e) => setQuery('q', e.currentTarget.value, '')}
              />
            </label>
            <label>
              <span>Status</span>
              <select
                value={filter.status ?? 'all'}
                onChange={(e) => setQuery('status', e.currentTarget.value, 'all')}
              >
                {FILTERS.map((f) => (
                  <option key={f} value={f}>
                    {f === 'all' ? 'All' : STATUS_LABELS[f]}
                  </option>
                ))}
              </select>
            </label>
            <label class="filter-tag">
              <span>Tag</span>
              <select value={filter.tag} onChange={(e) => setQuery('tag', e.currentTarget.value, '')}>
                <option value="">All</option>
                {list.tags.map((tag) => (
                  <option key={tag} value={tag}>
                    {tag}
                  </option>
                ))}
              </select>
            </label>
            <label class="filter-sort">
              <span>Sort by</span>
              <select value={filter.sort} onChange={(e) => setQuery('sort', e.currentTarget.value, 'state')}>
                {(Object.keys(SORTS) as OverviewSort[]).map((key) => (
                  <option key={key} value={key}>
                    {SORTS[key]}
                  </option>
                ))}
              </select>
            </label>
            {list.tags.length > 0 && (
              <label class="inline filter-groups">
                <input
                  type="checkbox"
                  checked={groups}
                  onChange={(e) => setQuery('groups', e.currentTarget.checked ? 'tags' : '', '')}
                />{' '}
                Group by tag
              </label>
            )}
          </form>

          {total === 0 && !filtered ? (
            <div class="empty">
              <p>No monitors yet.</p>
              <a class="button primary" href="/monitors/new" onClick={followLink}>
                Create your first monitor
              </a>
            </div>
          ) : groups && !filter.tag ? (
            <TagGroups filter={{ ...filter, q }} now={now} />
          ) : (
            <MonitorTable list={list} now={now} label={`${total} monitors`} status={filter.status} />
          )}
        </>
      )}
    </>
  );
}

/** Every tag as a group, collapsed; an opened one loads its own monitors, page by page. */
function TagGroups({ filter, now }: { filter: OverviewFilter; now: number }) {
  const [tags, setTags] = useState<Array<{ name: string; monitors: number }> | undefined>(undefined);
  const [error, setError] = useState<Error>();
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    const controller = new AbortController();
    api.tags(controller.signal).then(
      (r) => setTags(r.tags),
      (e: Error) => e.name !== 'AbortError' && setError(e),
    );
    return () => controller.abort();
  }, []);
  if (error) return <ErrorNote error={error} />;
  if (!tags) return <p class="muted">Loading…</p>;
  const toggle = (name: string) => {
    const next = new Set(open);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setOpen(next);
  };
  return (
    <div class="tag-groups">
      {tags.map((tag) => (
        <section key={tag.name} class="tag-group">
          <h2 class="tag-group-heading">
            <button type="button" aria-expanded={open.has(tag.name)} onClick={() => toggle(tag.name)}>
              <span class="tag-group-arrow" aria-hidden="true" />
              <span class="tag">{tag.name}</span>{' '}
              <span class="muted">
                {tag.monitors} {tag.monitors === 1 ? 'monitor' : 'monitors'}
              </span>
            </button>
          </h2>
          {open.has(tag.name) && <TagGroup filter={{ ...filter, tag: tag.name }} now={now} />}
        </section>
      ))}
      <p class="muted">Monitors without a tag are listed when “Group by tag” is off.</p>
    </div>
  );
}

function TagGroup({ filter, now }: { filter: OverviewFilter; now: number }) {
  const list = useOverviewList(filter);
  if (list.error && list.monitors.length === 0) return <ErrorNote error={list.error} />;
  if (!list.counts) return <p class="muted">Loading…</p>;
  return (
    <MonitorTable
      list={list}
      now={now}
      label={`Monitors tagged ${filter.tag ?? ''}`}
      status={filter.status}
    />
  );
}

/**
 * The monitors as a table whose rows exist only while on screen (give or take a few), so ten thousand
 * cost what fifty do; reaching the end of the loaded ones asks for the next page.
 */
function MonitorTable({
  list,
  now,
  label,
  status,
}: {
  list: OverviewList;
  now: number;
  label: string;
  /** The state filtered by, if any: the counts say how many rows it has in all. */
  status: MonitorStatus | undefined;
}) {
  const phone = useMediaQuery(PHONE);
  const rowHeight = phone ? ROW_HEIGHT.phone : ROW_HEIGHT.wide;
  const body = useRef<HTMLDivElement>(null);
  const { start, end } = useWindowRange(body, list.monitors.length, rowHeight);
  const { monitors, hasMore, loadMore } = list;
  useEffect(() => {
    if (hasMore && end >= monitors.length - 10) loadMore();
  }, [end, monitors.length, hasMore]);
  const onScreen = monitors.slice(start, end).map((m) => m.id);
  const onScreenKey = onScreen.join(',');
  useEffect(() => list.watch(onScreen), [onScreenKey]);

  if (monitors.length === 0) {
    return list.loading ? (
      <p class="muted">Loading…</p>
    ) : (
      <p class="empty">No monitor matches these filters.</p>
    );
  }
  return (
    <div
      class="monitors"
      role="table"
      aria-label={`${label}; uptime over the last ${list.windowHours} hours`}
      aria-rowcount={rowCount(list, status) + 1}
    >
      <div class="monitors-head" role="rowgroup">
        <div class="monitor-row" role="row" aria-rowindex={1}>
          <span role="columnheader">Monitor</span>
          <span role="columnheader">Regions</span>
          <span role="columnheader" class="uptime-cell">
            Uptime {list.windowHours} h
          </span>
          <span role="columnheader">Recent checks</span>
          <span role="columnheader" class="response-cell">
            Response
          </span>
        </div>
      </div>
      <div
        class="monitors-body"
        role="rowgroup"
        ref={body}
        style={{ height: `${monitors.length * rowHeight}px` }}
      >
        {monitors.slice(start, end).map((monitor, i) => (
          <MonitorRow
            key={monitor.id}
            monitor={monitor}
            now={now}
            index={start + i}
            top={(start + i) * rowHeight}
            height={rowHeight}
          />
        ))}
      </div>
      {(hasMore || list.loading) && (
        <p class="more muted" aria-live="polite">
          Loading more…
        </p>
      )}
    </div>
  );
}

function MonitorRow({
  monitor,
  now,
  index,
  top,
  height,
}: {
  monitor: OverviewMonitor;
  now: number;
  index: number;
  top: number;
  height: number;
}) {
  const href = `/monitors/${encodeURIComponent(monitor.id)}`;
  const latest = latestMs(monitor);
  return (
    <div
      class={`monitor-row row-${monitor.status}`}
      role="row"
      aria-rowindex={index + 2}
      data-monitor-id={monitor.id}
      style={{ transform: `translateY(${top}px)`, height: `${height}px` }}
    >
      <div role="rowheader" class="monitor-cell">
        <span class="state-line">
          <StatusBadge status={monitor.status} />{' '}
          <span class="muted state-since">{stateSinceText(monitor, now)}</span>
          {monitor.openIncidentId && (
            <a
              class="incident-link"
              title="The incident open now: when it started, its cause, its timeline"
              href={`/incidents/${encodeURIComponent(monitor.openIncidentId)}`}
              onClick={followLink}
            >
              Open incident
            </a>
          )}
        </span>
        <a class="monitor-name" href={href} onClick={followLink}>
          {monitor.name}
        </a>
        <span class="monitor-url muted">
          {monitor.target}
          {(monitor.tags ?? []).map((tag) => (
            <span key={tag} class="tag">
              {tag}
            </span>
          ))}
        </span>
      </div>
      <div role="cell" class="regions-cell">
        <ul class="region-states">
          {monitor.regions.map((region) => (
            <li
              key={region.region}
              class={`region-state region-${regionClass(region.status, monitor.paused)}`}
              title={sinceText(region.since, region.lastCheckedAt, now, monitor.paused)}
            >
              <span class="region-name">{region.region}</span>{' '}
              <span class="region-status">
                {region.status ?? (monitor.paused ? 'Not checked' : 'Pending')}
              </span>{' '}
              <span class="muted region-since">
                {sinceText(region.since, region.lastCheckedAt, now, monitor.paused)}
              </span>
            </li>
          ))}
        </ul>
      </div>
      <div role="cell" class="uptime-cell">
        <span title={monitor.regions.map((r) => `${r.region}: ${formatPercent(r.uptimePercent)}`).join('\n')}>
          {formatPercent(monitor.uptimePercent)}
        </span>
      </div>
      <div role="cell" class="bar-cell">
        <CheckBar checks={monitor.recent} slots={RECENT_SLOTS} />
      </div>
      <div
        role="cell"
        class="response-cell"
        title="Average response time per hour over the last 24 h, and the newest check"
      >
        {/* The line's box is kept when it has nothing to draw, so the numbers line up. */}
        <span class="sparkline-box">
          <Sparkline series={monitor.regions.map((r) => r.hourlyResponseMs)} />
        </span>
        <span class="latest-ms">{formatMs(latest >= 0 ? latest : null)}</span>
      </div>
    </div>
  );
}

/** How many monitors the list has over all its pages. */
function rowCount(list: OverviewList, status: MonitorStatus | undefined): number {
  const counts = list.counts;
  if (!counts) return list.monitors.length;
  if (status) return counts[status];
  return counts.total ?? MONITOR_STATUSES.reduce((sum, s) => sum + counts[s], 0);
}

function latestMs(m: OverviewMonitor): number {
  return Math.max(-1, ...m.regions.map((r) => r.responseTimeMs ?? -1));
}

function stateSinceText(monitor: OverviewMonitor, now: number): string {
  if (monitor.status === 'pending' || monitor.status === 'paused') return '';
  return `for ${formatDuration(now - Date.parse(monitor.stateSince))}`;
}

function regionClass(status: string | null, paused: boolean): string {
  return paused ? 'paused' : (status ?? 'pending').toLowerCase();
}

function sinceText(since: string | null, lastCheckedAt: string | null, now: number, paused: boolean): string {
  if (lastCheckedAt === null) return paused ? '' : 'waiting for the first check';
  if (paused) return `last checked ${formatAgo(lastCheckedAt, now)}`;
  if (since === null) return 'for over 24 h';
  return `for ${formatDuration(now - Date.parse(since))}`;
}

/** The rows of a fixed-height list that are on screen (and a few either side), following the page's scroll. */
function useWindowRange(
  body: { current: HTMLElement | null },
  count: number,
  rowHeight: number,
): { start: number; end: number } {
  const OVERSCAN = 6;
  const [range, setRange] = useState({ start: 0, end: Math.min(count, 20) });
  useLayoutEffect(() => {
    let frame = 0;
    const measure = () => {
      frame = 0;
      const top = body.current?.getBoundingClientRect().top ?? 0;
      const start = Math.max(0, Math.floor(-top / rowHeight) - OVERSCAN);
      const end = Math.min(
        count,
        Math.max(start, Math.ceil((window.innerHeight - top) / rowHeight) + OVERSCAN),
      );
      setRange((r) => (r.start === start && r.end === end ? r : { start, end }));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    return () => {
      if (frame) cancelAnimationFrame(frame);
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
    };
  }, [count, rowHeight]);
  return range;
}

function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
