import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { ChecksTable } from '../components/checks-table.js';
import { ErrorNote, isNotFound, PageHeading } from '../components/layout.js';
import { ResponseChart } from '../components/response-chart.js';
import { StatusBadge } from '../components/status.js';
import { describeOutcome, formatAgo, formatInterval, formatMs, formatPercent } from '../format.js';
import { useNow, usePolling } from '../hooks.js';
import { followLink, navigate, useLocation } from '../router.js';
import { type Check, type Monitor, type MonitorStats, STATS_WINDOWS, type StatsWindow } from '../types.js';

const REFRESH_MS = 5_000;
const WINDOW_LABELS: Record<StatsWindow, string> = {
  '1h': 'last hour',
  '24h': 'last 24 hours',
  '7d': 'last 7 days',
  '30d': 'last 30 days',
};

interface PageData {
  monitor: Monitor;
  stats: MonitorStats;
  latest: Check[];
}

/** Only http(s) links are followed: a stored URL is never turned into a javascript: link. */
function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

export function MonitorPage({ id }: { id: string }) {
  const { query } = useLocation();
  const statsWindow = (STATS_WINDOWS as string[]).includes(query.get('window') ?? '')
    ? (query.get('window') as StatsWindow)
    : '24h';
  const page = usePolling<PageData>(
    async (signal) => {
      // In sequence: the three are small, and one connection per page view is kinder to the database.
      const { monitor } = await api.monitor(id, signal);
      const stats = await api.stats(id, statsWindow, signal);
      const { latest } = await api.latest(id, signal);
      return { monitor, stats, latest };
    },
    REFRESH_MS,
    `${id}:${statsWindow}`,
  );
  const now = useNow(5_000);
  const data = page.data;
  useTitle(data ? data.monitor.name : 'Monitor');

  if (!data) {
    if (page.error) {
      return (
        <>
          <PageHeading title={isNotFound(page.error) ? 'Monitor not found' : 'Monitor'} />
          <ErrorNote error={page.error} />
          <a href="/" onClick={followLink}>
            Back to monitors
          </a>
        </>
      );
    }
    return <p class="muted">Loading…</p>;
  }
  const { monitor, stats, latest } = data;
  const from = Date.parse(stats.from);
  const to = Date.parse(stats.to);
  const down = latest.some((c) => c.status === 'Down');
  const status = monitor.paused ? 'paused' : latest.length === 0 ? 'pending' : down ? 'down' : 'up';
  const href = safeHref(monitor.url);

  return (
    <>
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/" onClick={followLink}>
          Monitors
        </a>
      </nav>
      <PageHeading title={monitor.name}>
        <a class="button" href={`/monitors/${encodeURIComponent(id)}/edit`} onClick={followLink}>
          Edit
        </a>
        <PauseButton monitor={monitor} onChanged={page.reload} />
        <DeleteButton monitor={monitor} />
      </PageHeading>
      <p class="monitor-meta">
        <StatusBadge status={status} />{' '}
        {href ? (
          <a href={href} target="_blank" rel="noopener noreferrer" class="monitor-url">
            {monitor.url}
          </a>
        ) : (
          <span class="monitor-url">{monitor.url}</span>
        )}{' '}
        <span class="muted">
          {monitor.method} every {formatInterval(monitor.intervalSeconds)}, timeout{' '}
          {formatMs(monitor.timeoutMs)}
          {monitor.keyword !== null && (
            <>
              , keyword “{monitor.keyword}” {monitor.keywordMode}
            </>
          )}
        </span>
      </p>
      {page.error && <ErrorNote error={page.error} stale />}

      <section aria-labelledby="latest-heading">
        <h2 id="latest-heading">Latest check per region</h2>
        {latest.length === 0 ? (
          <p class="muted">
            {monitor.paused ? 'Paused before its first check.' : 'Waiting for the first check…'}
          </p>
        ) : (
          <ul class="latest-cards">
            {latest.map((check) => (
              <li key={check.location} class={`card latest latest-${check.status.toLowerCase()}`}>
                <span class="region-name">{check.location}</span>
                <StatusBadge status={check.status} />
                <span class="latest-ms">{formatMs(check.responseTimeMs)}</span>
                <span class="muted">{describeOutcome(check.statusCode, check.reason) || 'no response'}</span>
                <span class="muted">checked {formatAgo(check.checkedAt, now)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="stats-heading">
        <div class="section-heading">
          <h2 id="stats-heading">Response time and uptime</h2>
          <div class="segmented" role="group" aria-label="Time window">
            {STATS_WINDOWS.map((w) => (
              <button
                key={w}
                type="button"
                aria-pressed={w === statsWindow}
                onClick={() =>
                  navigate(`/monitors/${encodeURIComponent(id)}${w === '24h' ? '' : `?window=${w}`}`, {
                    replace: true,
                  })
                }
              >
                {w}
              </button>
            ))}
          </div>
        </div>
        <RegionStatsTable stats={stats} />
        <div class="charts">
          {stats.regions.map((region) => (
            <ResponseChart
              key={region.region}
              region={region.region}
              series={region.series}
              from={from}
              to={to}
              bucketMs={stats.bucketSeconds * 1000}
              windowLabel={WINDOW_LABELS[statsWindow]}
            />
          ))}
        </div>
      </section>

      <section aria-labelledby="checks-heading">
        <h2 id="checks-heading">Checks</h2>
        <ChecksTable monitorId={id} />
      </section>
    </>
  );
}

function RegionStatsTable({ stats }: { stats: MonitorStats }) {
  return (
    <div class="table-scroll">
      <table class="stats-table">
        <caption class="visually-hidden">Per region, {WINDOW_LABELS[stats.window]}</caption>
        <thead>
          <tr>
            <th scope="col">Region</th>
            <th scope="col">Uptime</th>
            <th scope="col">p50</th>
            <th scope="col">p95</th>
            <th scope="col">p99</th>
            <th scope="col">Average</th>
            <th scope="col">Checks</th>
          </tr>
        </thead>
        <tbody>
          {stats.regions.map((r) => (
            <tr key={r.region}>
              <th scope="row">{r.region}</th>
              <td>{formatPercent(r.uptimePercent)}</td>
              <td>{formatMs(r.p50Ms)}</td>
              <td>{formatMs(r.p95Ms)}</td>
              <td>{formatMs(r.p99Ms)}</td>
              <td>{formatMs(r.avgMs)}</td>
              <td>
                {r.checks}
                {r.checks > r.up && <span class="down-text"> ({r.checks - r.up} down)</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PauseButton({ monitor, onChanged }: { monitor: Monitor; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const toggle = async () => {
    setBusy(true);
    setError('');
    try {
      await api.updateMonitor(monitor.id, { paused: !monitor.paused });
      announce(monitor.paused ? 'Monitor resumed' : 'Monitor paused');
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="button" onClick={toggle} disabled={busy}>
        {monitor.paused ? 'Resume' : 'Pause'}
      </button>
      {error && (
        <span class="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/** Deleting asks first, in a modal dialog (focus stays in it; Escape cancels). */
function DeleteButton({ monitor }: { monitor: Monitor }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => () => dialog.current?.close(), []);

  const confirm = async () => {
    setBusy(true);
    setError('');
    try {
      await api.deleteMonitor(monitor.id);
      dialog.current?.close();
      announce(`Monitor ${monitor.name} deleted`);
      navigate('/');
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="button danger" onClick={() => dialog.current?.showModal()}>
        Delete
      </button>
      <dialog ref={dialog} class="card dialog" aria-labelledby="delete-title" aria-describedby="delete-text">
        <h2 id="delete-title">Delete this monitor?</h2>
        <p id="delete-text">
          “{monitor.name}” and all its check results will be deleted. This cannot be undone.
        </p>
        {error && (
          <p class="error-note" role="alert">
            {error}
          </p>
        )}
        <div class="form-actions">
          <button type="button" class="button danger" onClick={confirm} disabled={busy}>
            {busy ? 'Deleting…' : 'Delete monitor'}
          </button>
          <button type="button" class="button" onClick={() => dialog.current?.close()} autoFocus>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}
