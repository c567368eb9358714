import { api } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { ConfirmDeleteButton } from '../components/confirm-dialog.js';
import { monitorHref } from '../components/incident-list.js';
import { ErrorNote, PageHeading } from '../components/layout.js';
import { StatusBadge } from '../components/status.js';
import { formatMinute } from '../format.js';
import { useNow, usePolling } from '../hooks.js';
import { browserTimeZone, describeSchedule } from '../maintenance.js';
import { followLink } from '../router.js';
import type { MaintenanceWindow, Monitor } from '../types.js';

type MonitorName = Pick<Monitor, 'id' | 'name'>;

/** Maintenance windows: while one is in effect, its monitors' checks run but open no incident. */
export function MaintenancePage() {
  useTitle('Maintenance');
  const list = usePolling(
    async (signal) => {
      const windows = await api.maintenanceWindows(signal);
      const monitors = await api.monitorNames(signal);
      return { windows, monitors };
    },
    15_000,
    'maintenance',
  );
  const now = useNow(15_000);
  const data = list.data;

  return (
    <>
      <PageHeading title="Maintenance windows">
        <a class="button primary" href="/maintenance/new" onClick={followLink}>
          New window
        </a>
      </PageHeading>
      <p class="muted page-intro">
        During a window, checks still run and are stored, the monitors show “Maintenance”, and no incident
        opens. If a target is still down when the window ends, its incident opens then.
      </p>
      {list.error && <ErrorNote error={list.error} stale={data !== undefined} />}
      {!data && !list.error && <p class="muted">Loading…</p>}
      {data &&
        (data.windows.length === 0 ? (
          <div class="empty">
            <p>No maintenance window yet.</p>
            <a class="button primary" href="/maintenance/new" onClick={followLink}>
              Schedule one
            </a>
          </div>
        ) : (
          <ul class="windows" aria-label="Maintenance windows">
            {data.windows.map((w) => (
              <WindowCard key={w.id} window={w} monitors={data.monitors} now={now} onDeleted={list.reload} />
            ))}
          </ul>
        ))}
    </>
  );
}

function WindowCard({
  window: w,
  monitors,
  now,
  onDeleted,
}: {
  window: MaintenanceWindow;
  monitors: MonitorName[];
  now: number;
  onDeleted: () => void;
}) {
  const names = new Map(monitors.map((m) => [m.id, m.name]));
  const ended = !w.weekly && w.endsAt !== null && Date.parse(w.endsAt) <= now;
  // A weekly rule reads in its own zone; its occurrences are shown in the reader's.
  const yourTime = w.weekly && w.timeZone !== browserTimeZone() ? ' (your time)' : '';
  return (
    <li class={`card window${w.active ? ' window-active' : ''}`} data-window-id={w.id}>
      <div class="window-head">
        <h2 class="window-name">{w.name}</h2>
        {w.active ? (
          <StatusBadge status="maintenance" />
        ) : (
          <span class="muted window-state">{ended ? 'Ended' : 'Scheduled'}</span>
        )}
      </div>
      <p class="window-schedule">{describeSchedule(w)}</p>
      <p class="window-next">
        {w.active && w.next ? (
          <>
            <strong>Active now</strong>, until {formatMinute(w.next.endsAt)}
            {yourTime}
          </>
        ) : w.next ? (
          <>
            Next: {formatMinute(w.next.startsAt)} → {formatMinute(w.next.endsAt)}
            {yourTime}
          </>
        ) : ended ? (
          <span class="muted">Over.</span>
        ) : (
          <span class="muted">No occurrence in the next two weeks.</span>
        )}
      </p>
      <p class="window-monitors">
        <span class="muted">{w.monitorIds.length === 1 ? 'Monitor: ' : 'Monitors: '}</span>
        {w.monitorIds.map((id, i) => (
          <span key={id}>
            {i > 0 && ', '}
            <a href={monitorHref(id)} onClick={followLink}>
              {names.get(id) ?? 'a deleted monitor'}
            </a>
          </span>
        ))}
      </p>
      <div class="actions">
        <a class="button small" href={`/maintenance/${encodeURIComponent(w.id)}/edit`} onClick={followLink}>
          Edit<span class="visually-hidden"> {w.name}</span>
        </a>
        <DeleteWindowButton window={w} onDeleted={onDeleted} />
      </div>
    </li>
  );
}

/** Deleting asks first. */
function DeleteWindowButton({ window: w, onDeleted }: { window: MaintenanceWindow; onDeleted: () => void }) {
  const remove = async () => {
    await api.deleteMaintenance(w.id);
    announce(`Maintenance window ${w.name} deleted`);
    onDeleted();
  };
  return (
    <ConfirmDeleteButton
      name={w.name}
      id={`delete-window-${w.id}`}
      title="Delete this maintenance window?"
      action="Delete window"
      run={remove}
    >
      “{w.name}” will no longer hold back incidents of its monitors.
    </ConfirmDeleteButton>
  );
}
