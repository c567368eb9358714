import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { CheckBar } from '../components/check-bar.js';
import { ErrorNote, PageHeading } from '../components/layout.js';
import { Sparkline } from '../components/sparkline.js';
import { StatusBadge } from '../components/status.js';
import { formatAgo, formatDuration, formatMs, formatPercent } from '../format.js';
import { useNow, usePolling } from '../hooks.js';
import { followLink, navigate, useLocation } from '../router.js';
import { MONITOR_STATUSES, type MonitorStatus, type OverviewMonitor } from '../types.js';

const REFRESH_MS = 5_000;
const RECENT_SLOTS = 30;
/** Rows rendered at first and added per "Show more": a thousand rows of bars and lines would be slow. */
const PAGE_ROWS = 100;

const STATUS_ORDER: Record<MonitorStatus, number> = { down: 0, pending: 1, maintenance: 2, up: 3, paused: 4 };
const STATUS_LABELS: Record<MonitorStatus, string> = {
  up: 'Up',
  down: 'Down',
  maintenance: 'Maintenance',
  paused: 'Paused',
  pending: 'Pending',
};
type SortKey = 'status' | 'name' | 'uptime' | 'response' | 'newest';
const SORTS: Record<SortKey, { label: string; compare: (a: OverviewMonitor, b: OverviewMonitor) => number }> =
  {
    status: {
      label: 'Status (down first)',
      compare: (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status],
    },
    name: { label: 'Name', compare: (a, b) => a.name.localeCompare(b.name) },
    uptime: {
      label: 'Uptime (lowest first)',
      compare: (a, b) => (a.uptimePercent ?? 101) - (b.uptimePercent ?? 101),
    },
    response: { label: 'Response time (slowest first)', compare: (a, b) => latestMs(b) - latestMs(a) },
    newest: { label: 'Newest first', compare: (a, b) => b.createdAt.localeCompare(a.createdAt) },
  };
const FILTERS: Array<MonitorStatus | 'all'> = ['all', ...MONITOR_STATUSES];

function latestMs(m: OverviewMonitor): number {
  return Math.max(-1, ...m.regions.map((r) => r.responseTimeMs ?? -1));
}

export function OverviewPage() {
  const { query } = useLocation();
  const overview = usePolling((signal) => api.overview(signal), REFRESH_MS, 'overview');
  const now = useNow(5_000);
  // Filters live in the address, so a filtered view can be bookmarked and survives a reload.
  const text = query.get('q') ?? '';
  const statusFilter = (FILTERS as string[]).includes(query.get('status') ?? '')
    ? (query.get('status') as MonitorStatus | 'all')
    : 'all';
  const sort: SortKey = (query.get('sort') as SortKey) in SORTS ? (query.get('sort') as SortKey) : 'status';
  const [shown, setShown] = useState(PAGE_ROWS);
  useAnnounceChanges(overview.data?.monitors);

  const setQuery = (key: string, value: string, fallback: string) => {
    const next = new URLSearchParams(location.search);
    if (value === fallback) next.delete(key);
    else next.set(key, value);
    const search = next.toString();
    navigate(`/${search ? `?${search}` : ''}`, { replace: true });
    setShown(PAGE_ROWS);
  };

  const visible = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return (overview.data?.monitors ?? [])
      .filter((m) => statusFilter === 'all' || m.status === statusFilter)
      .filter(
        (m) => !needle || m.name.toLowerCase().includes(needle) || m.target.toLowerCase().includes(needle),
      )
      .sort((a, b) => SORTS[sort].compare(a, b) || a.name.localeCompare(b.name));
  }, [overview.data, text, statusFilter, sort]);

  const data = overview.data;
  useTitle(data && data.counts.down > 0 ? `(${data.counts.down} down) Monitors` : 'Monitors');

  return (
    <>
      <PageHeading title="Monitors">
        <a class="button primary" href="/monitors/new" onClick={followLink}>
          New monitor
        </a>
      </PageHeading>
      {overview.error && <ErrorNote error={overview.error} stale={data !== undefined} />}
      {!data && !overview.error && <p class="muted">Loading…</p>}
      {data && (
        <>
          <section class="counts" aria-label="Monitors by status">
            {MONITOR_STATUSES.map((status) => (
              <button
                key={status}
                type="button"
                class={`count count-${status}${data.counts[status] > 0 ? ' count-nonzero' : ''}`}
                aria-pressed={statusFilter === status}
                onClick={() => setQuery('status', statusFilter === status ? 'all' : status, 'all')}
              >
                <span class="count-number">{data.counts[status]}</span>
                <span class="count-label">
                  {status === 'down' ? 'Down (incident open)' : STATUS_LABELS[status]}
                </span>
              </button>
            ))}
            <p class="updated muted">
              Updated {overview.updatedAt ? formatAgo(new Date(overview.updatedAt).toISOString(), now) : '—'}
            </p>
          </section>

          <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
            <label>
              <span>Search</span>
              <input
                type="search"
                value={text}
                placeholder="Name or URL"
                onInput={(e) => setQuery('q', e.currentTarget.value, '')}
              />
            </label>
            <label>
              <span>Status</span>
              <select value={statusFilter} onChange={(e) => setQuery('status', e.currentTarget.value, 'all')}>
                {FILTERS.map((f) => (
                  <option key={f} value={f}>
                    {f === 'all' ? 'All' : STATUS_LABELS[f]}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <span>Sort by</span>
              <select value={sort} onChange={(e) => setQuery('sort', e.currentTarget.value, 'status')}>
                {(Object.keys(SORTS) as SortKey[]).map((key) => (
                  <option key={key} value={key}>
                    {SORTS[key].label}
                  </option>
                ))}
              </select>
            </label>
          </form>

          {data.monitors.length === 0 ? (
            <div class="empty">
              <p>No monitors yet.</p>
              <a class="button primary" href="/monitors/new" onClick={followLink}>
                Create your first monitor
              </a>
            </div>
          ) : visible.length === 0 ? (
            <p class="empty">No monitor matches these filters.</p>
          ) : (
            <>
              <table class="monitors">
                <caption class="visually-hidden">
                  {visible.length} of {data.monitors.length} monitors; uptime over the last {data.windowHours}{' '}
                  hours
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Monitor</th>
                    <th scope="col">Regions</th>
                    <th scope="col">Uptime {data.windowHours} h</th>
                    <th scope="col">Recent checks</th>
                    <th scope="col">Response</th>
                  </tr>
                </thead>
                <tbody>
                  {visible.slice(0, shown).map((monitor) => (
                    <MonitorRow key={monitor.id} monitor={monitor} now={now} />
                  ))}
                </tbody>
              </table>
              {visible.length > shown && (
                <p class="more">
                  <span class="muted">
                    Showing {shown} of {visible.length}.
                  </span>{' '}
                  <button type="button" class="button" onClick={() => setShown(shown + PAGE_ROWS)}>
                    Show {Math.min(PAGE_ROWS, visible.length - shown)} more
                  </button>
                </p>
              )}
            </>
          )}
        </>
      )}
    </>
  );
}

function MonitorRow({ monitor, now }: { monitor: OverviewMonitor; now: number }) {
  const href = `/monitors/${encodeURIComponent(monitor.id)}`;
  return (
    <tr class={`row-${monitor.status}`} data-monitor-id={monitor.id}>
      <th scope="row" class="monitor-cell">
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
        <span class="monitor-url muted">{monitor.target}</span>
      </th>
      <td class="regions-cell" data-label="Regions">
        <ul class="region-states">
          {monitor.regions.map((region) => (
            <li
              key={region.region}
              class={`region-state region-${regionClass(region.status, monitor.paused)}`}
            >
              <span class="region-name">{region.region}</span>{' '}
              <span class="region-status">
                {region.status ?? (monitor.paused ? 'Not checked' : 'Pending')}
              </span>{' '}
              <span class="muted">{sinceText(region.since, region.lastCheckedAt, now, monitor.paused)}</span>
            </li>
          ))}
        </ul>
      </td>
      <td class="uptime-cell" data-label="Uptime 24 h">
        <span title={monitor.regions.map((r) => `${r.region}: ${formatPercent(r.uptimePercent)}`).join('\n')}>
          {formatPercent(monitor.uptimePercent)}
        </span>
      </td>
      <td class="bar-cell" data-label="Recent checks">
        <CheckBar checks={monitor.recent} slots={RECENT_SLOTS} />
      </td>
      <td
        class="response-cell"
        data-label="Response"
        title="Average response time per hour over the last 24 h, and the newest check"
      >
        <Sparkline series={monitor.regions.map((r) => r.hourlyResponseMs)} />
        <span class="latest-ms">{formatMs(latestMs(monitor) >= 0 ? latestMs(monitor) : null)}</span>
      </td>
    </tr>
  );
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

/** Tells screen readers when a monitor changes status between refreshes. */
function useAnnounceChanges(monitors: OverviewMonitor[] | undefined): void {
  const previous = useRef<Map<string, MonitorStatus> | undefined>(undefined);
  useEffect(() => {
    if (!monitors) return;
    const current = new Map(monitors.map((m) => [m.id, m.status]));
    if (previous.current) {
      const changes = monitors.filter((m) => {
        const before = previous.current!.get(m.id);
        return before !== undefined && before !== m.status && m.status !== 'paused' && before !== 'paused';
      });
      if (changes.length > 0 && changes.length <= 5) {
        announce(changes.map((m) => `${m.name} is now ${m.status}`).join('. '));
      } else if (changes.length > 5) {
        announce(`${changes.length} monitors changed status`);
      }
    }
    previous.current = current;
  }, [monitors]);
}
