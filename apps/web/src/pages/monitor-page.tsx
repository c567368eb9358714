import { useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { BadgesPanel } from '../components/badges-panel.js';
import { ChecksTable } from '../components/checks-table.js';
import { ConfirmDeleteDialog } from '../components/confirm-dialog.js';
import {
  AcknowledgeButton,
  IncidentList,
  incidentCause,
  incidentDuration,
  incidentHref,
} from '../components/incident-list.js';
import { ErrorNote, isNotFound, PageHeading } from '../components/layout.js';
import { ResponseChart } from '../components/response-chart.js';
import { StatusBadge } from '../components/status.js';
import {
  describeOutcome,
  formatAgo,
  formatDateTime,
  formatDuration,
  formatInterval,
  formatMs,
  formatPercent,
} from '../format.js';
import { useNow, usePolling } from '../hooks.js';
import { checkDetail, kindNamed } from '../kinds.js';
import { followLink, navigate, useLocation } from '../router.js';
import { ColumnHeads } from '../components/table.js';
import {
  type Check,
  type Incident,
  type Monitor,
  type MonitorStats,
  STATS_WINDOWS,
  type StatsWindow,
} from '../types.js';

const REFRESH_MS = 5_000;
const RECENT_INCIDENTS = 5;
const HOUR_MS = 3_600_000;
const WINDOW_LABELS: Record<StatsWindow, string> = {
  '1h': 'last hour',
  '24h': 'last 24 hours',
  '7d': 'last 7 days',
  '30d': 'last 30 days',
  '90d': 'last 90 days',
};

interface PageData {
  monitor: Monitor;
  stats: MonitorStats;
  latest: Check[];
  incidents: Incident[];
  moreIncidents: boolean;
}

/** Only http(s) links are followed: a stored URL is never turned into a javascript: link. */
function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

export function MonitorPage({ id }: { id: string }) {
  const { query } = useLocation();
  const chosenWindow = (STATS_WINDOWS as string[]).includes(query.get('window') ?? '')
    ? (query.get('window') as StatsWindow)
    : undefined;
  // Without a choice, a monitor younger than an hour opens on the last hour (24 h would show a sliver);
  // the default is settled at the first load, so the chart does not jump while it is being read.
  const defaultWindow = useRef<StatsWindow | undefined>(undefined);
  const page = usePolling<PageData>(
    async (signal) => {
      // In sequence: the three are small, and one connection per page view is kinder to the database.
      const { monitor } = await api.monitor(id, signal);
      defaultWindow.current ??= Date.now() - Date.parse(monitor.createdAt) < HOUR_MS ? '1h' : '24h';
      const stats = await api.stats(id, chosenWindow ?? defaultWindow.current, signal);
      const { latest } = await api.latest(id, signal);
      const recent = await api.incidents({ monitorId: id, limit: RECENT_INCIDENTS }, signal);
      return {
        monitor,
        stats,
        latest,
        incidents: recent.incidents,
        moreIncidents: recent.nextCursor !== null,
      };
    },
    REFRESH_MS,
    `${id}:${chosenWindow ?? ''}`,
  );
  const now = useNow(1_000);
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
  const { monitor, stats, latest, incidents } = data;
  const statsWindow = stats.window;
  const from = Date.parse(stats.from);
  const to = Date.parse(stats.to);
  const href = monitor.kind === 'http' ? safeHref(monitor.target) : undefined;
  const kind = kindNamed(monitor.kind);
  const openIncident = monitor.openIncident ?? null;

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
        <span class="state-line">
          <StatusBadge status={monitor.state} />{' '}
          <span class="muted state-since" title={formatDateTime(monitor.stateSince)}>
            {stateText(monitor, now)}
          </span>
        </span>{' '}
        {href ? (
          <a href={href} target="_blank" rel="noopener noreferrer" class="monitor-url">
            {monitor.target}
          </a>
        ) : (
          <span class="monitor-url">{monitor.target}</span>
        )}{' '}
        <span class="muted">
          {kind?.label ?? monitor.kind} every {formatInterval(monitor.intervalSeconds)}
          {kind?.probed !== false && `, timeout ${formatMs(monitor.timeoutMs)}`}
          {kind && `: ${kind.describe(monitor)}`}
        </span>
      </p>
      <p class="muted alert-settings">
        {alertSettingsText(monitor)}{' '}
        <a href={`/monitors/${encodeURIComponent(id)}/edit`} onClick={followLink}>
          Change
        </a>
      </p>
      {monitor.pushUrl !== undefined && <PushPanel monitor={monitor} now={now} />}
      {monitor.publicBadges && <BadgesPanel monitor={monitor} />}
      {page.error && <ErrorNote error={page.error} stale />}
      {openIncident && (
        <div class="incident-banner" role="status">
          <p>
            <strong>Incident open</strong> for {incidentDuration(openIncident, now)}, since{' '}
            {formatDateTime(openIncident.startedAt)}: {incidentCause(openIncident)}
            {openIncident.cause.regions.length > 0 &&
              ` in ${openIncident.cause.regions.map((r) => r.region).join(', ')}`}
            .{' '}
            <a href={incidentHref(openIncident.id)} onClick={followLink}>
              View the incident
            </a>
          </p>
          {openIncident.acknowledgedAt ? (
            <p class="muted">Acknowledged {formatAgo(openIncident.acknowledgedAt, now)}.</p>
          ) : (
            <AcknowledgeButton incident={openIncident} onChanged={page.reload} />
          )}
        </div>
      )}

      <section aria-labelledby="latest-heading">
        <h2 id="latest-heading">Latest check per region</h2>
        {latest.length === 0 ? (
          <p class="muted">
            {monitor.paused ? 'Paused before its first check.' : 'Waiting for the first check…'}
          </p>
        ) : (
          <ul class="latest-cards">
            {latest.map((check) => (
              <li key={check.region} class={`card latest latest-${check.status.toLowerCase()}`}>
                <span class="region-name">{check.region}</span>
                <StatusBadge status={check.status} />
                {/* A push kind's check has no response to time. */}
                {kind?.probed !== false && <span class="latest-ms">{formatMs(check.responseTimeMs)}</span>}
                <span class="muted">
                  {describeOutcome(check.statusCode, check.reason) ||
                    (kind?.probed === false ? '' : 'no response')}
                </span>
                {check.status === 'Down' && check.message && (
                  <span class="check-message">{check.message}</span>
                )}
                {checkDetail(check) && <span class="muted check-detail">{checkDetail(check)}</span>}
                <span class="muted">checked {formatAgo(check.checkedAt, now)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="incidents-heading">
        <div class="section-heading">
          <h2 id="incidents-heading">Recent incidents</h2>
          {incidents.length > 0 && (
            <a href={`/incidents?monitor=${encodeURIComponent(id)}`} onClick={followLink}>
              {data.moreIncidents ? 'All incidents of this monitor' : 'On the incidents page'}
            </a>
          )}
        </div>
        {incidents.length === 0 ? (
          <p class="muted">No incident yet.</p>
        ) : (
          <IncidentList
            incidents={incidents}
            now={now}
            showMonitor={false}
            onChanged={page.reload}
            label={`Recent incidents of ${monitor.name}`}
          />
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
                onClick={() => navigate(`/monitors/${encodeURIComponent(id)}?window=${w}`, { replace: true })}
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

/** "for 5 min" (since when the state began), or why there is no verdict yet. */
function stateText(monitor: Monitor, now: number): string {
  const lasted = formatDuration(now - Date.parse(monitor.stateSince));
  switch (monitor.state) {
    case 'pending':
      return monitor.paused ? '' : 'waiting for a verdict';
    case 'paused':
      return `since ${formatDateTime(monitor.stateSince)}`;
    case 'maintenance':
      return `in a maintenance window, for ${lasted}`;
    default:
      return `for ${lasted}`;
  }
}

function alertSettingsText(monitor: Monitor): string {
  const quorum = monitor.regionQuorum === null ? 'a majority of its regions' : `${monitor.regionQuorum}`;
  const regionWord = monitor.regionQuorum === 1 ? 'region' : 'regions';
  return (
    `An incident opens when ${monitor.regionQuorum === null ? quorum : `${quorum} ${regionWord}`} ` +
    `${monitor.regionQuorum === 1 ? 'has' : 'have'} failed ${monitor.failureThreshold} ` +
    `${monitor.failureThreshold === 1 ? 'check' : 'checks'} in a row (rechecked every ` +
    `${formatInterval(monitor.retryIntervalSeconds)} while failing), and resolves after ` +
    `${monitor.recoveryThreshold} good ${monitor.recoveryThreshold === 1 ? 'check' : 'checks'}.`
  );
}

function RegionStatsTable({ stats }: { stats: MonitorStats }) {
  return (
    <div class="table-scroll">
      <table class="stats-table stacking">
        <caption class="visually-hidden">Per region, {WINDOW_LABELS[stats.window]}</caption>
        <ColumnHeads columns={['Region', 'Uptime', 'p50', 'p95', 'p99', 'Average', 'Checks']} />
        <tbody>
          {stats.regions.map((r) => (
            <tr key={r.region}>
              <th scope="row">{r.region}</th>
              <td data-label="Uptime">{formatPercent(r.uptimePercent)}</td>
              <td data-label="p50">{formatMs(r.p50Ms)}</td>
              <td data-label="p95">{formatMs(r.p95Ms)}</td>
              <td data-label="p99">{formatMs(r.p99Ms)}</td>
              <td data-label="Average">{formatMs(r.avgMs)}</td>
              <td data-label="Checks">
                {r.checks}
                {r.checks > r.up && <span class="down-text"> ({r.checks - r.up} down)</span>}
                {r.degraded > 0 && <span> ({r.degraded} degraded)</span>}
                {r.maintenanceChecks > 0 && (
                  <span title="Left out of uptime"> ({r.maintenanceChecks} in maintenance)</span>
                )}
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

/** Deleting asks first. */
function DeleteButton({ monitor }: { monitor: Monitor }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const remove = async () => {
    await api.deleteMonitor(monitor.id);
    announce(`Monitor ${monitor.name} deleted`);
    navigate('/');
  };
  return (
    <>
      <button type="button" class="button danger" onClick={() => dialog.current?.showModal()}>
        Delete
      </button>
      <ConfirmDeleteDialog
        dialog={dialog}
        id="delete"
        title="Delete this monitor?"
        action="Delete monitor"
        run={remove}
      >
        “{monitor.name}” and all its check results will be deleted. This cannot be undone.
      </ConfirmDeleteDialog>
    </>
  );
}

/**
 * A heartbeat monitor's push URL (masked: the server keeps only its hash) and its newest push; a new URL is
 * shown whole once, and the old one stops working.
 */
function PushPanel({ monitor, now }: { monitor: Monitor; now: number }) {
  const [fresh, setFresh] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const regenerate = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setFresh((await api.newPushUrl(monitor.id)).pushUrl);
      announce('New push URL made; the old one no longer works');
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  const last = monitor.lastPush;
  return (
    <section class="card push-panel" aria-labelledby="push-heading">
      <h2 id="push-heading">Push URL</h2>
      {fresh ? (
        <div role="status">
          <p>Your new push URL (copy it now: it is not shown again; the old one no longer works):</p>
          <pre class="new-key push-url">{fresh}</pre>
        </div>
      ) : (
        <p>
          <code class="push-url">{monitor.pushUrl}</code>{' '}
          <span class="muted">(shown whole only when made)</span>
        </p>
      )}
      <p class="muted last-push">
        {last
          ? `Last push ${formatAgo(last.at, now)}${last.status === 'down' ? ', saying down' : ''}${
              last.message ? `: “${last.message}”` : ''
            }.`
          : 'No push received yet.'}{' '}
        Call it with GET or POST at least every {formatInterval(monitor.intervalSeconds)}; add{' '}
        <code>?status=down&amp;message=…</code> to report a failure.
      </p>
      {error && <ErrorNote error={error} />}
      <button type="button" class="button" disabled={busy} onClick={() => void regenerate()}>
        {busy ? 'Making…' : 'New push URL'}
      </button>
    </section>
  );
}
