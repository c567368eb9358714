import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { IncidentList, monitorHref } from '../components/incident-list.js';
import { ErrorNote, PageHeading } from '../components/layout.js';
import { CursorPager } from '../components/table.js';
import { formatAgo } from '../format.js';
import { useNow, usePolling } from '../hooks.js';
import { followLink, navigate, useLocation } from '../router.js';
import type { Incident } from '../types.js';

const PAGE_SIZE = 25;
type Filter = 'all' | 'open' | 'resolved';
const FILTERS: Record<Filter, string> = { all: 'All', open: 'Open', resolved: 'Resolved' };

/** Every incident of the user's monitors: open ones first, then the history, a page at a time. */
export function IncidentsPage() {
  const { query } = useLocation();
  const filter: Filter = (query.get('status') as Filter) in FILTERS ? (query.get('status') as Filter) : 'all';
  const monitorId = query.get('monitor') ?? undefined;
  useTitle('Incidents');

  const setQuery = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(location.search);
    if (value === undefined) next.delete(key);
    else next.set(key, value);
    const search = next.toString();
    navigate(`/incidents${search ? `?${search}` : ''}`, { replace: true });
  };

  return (
    <>
      <PageHeading title="Incidents" />
      <p class="muted page-intro">
        An incident opens when enough regions have failed enough checks in a row, and resolves when they
        recover. Open incidents come first.
      </p>
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Show incidents">
          {(Object.keys(FILTERS) as Filter[]).map((f) => (
            <button
              key={f}
              type="button"
              aria-pressed={f === filter}
              onClick={() => setQuery('status', f === 'all' ? undefined : f)}
            >
              {FILTERS[f]}
            </button>
          ))}
        </div>
        {monitorId && (
          <p class="filter-note">
            Of one monitor only (
            <a href={monitorHref(monitorId)} onClick={followLink}>
              back to it
            </a>
            ).{' '}
            <button type="button" class="button small" onClick={() => setQuery('monitor', undefined)}>
              Show every monitor
            </button>
          </p>
        )}
      </div>
      {/* A new filter starts again from the first page. */}
      <IncidentPages key={`${filter}:${monitorId ?? ''}`} filter={filter} monitorId={monitorId} />
    </>
  );
}

function IncidentPages({ filter, monitorId }: { filter: Filter; monitorId: string | undefined }) {
  // cursors[i] opens page i (page 0 has none).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  // Acknowledged on this page since it loaded: shown at once, before the next refresh.
  const [changed, setChanged] = useState<Record<string, Incident>>({});
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex];
  const page = usePolling(
    (signal) =>
      api.incidents(
        { status: filter === 'all' ? undefined : filter, monitorId, limit: PAGE_SIZE, cursor },
        signal,
      ),
    pageIndex === 0 ? 5_000 : 60_000,
    `${filter}:${monitorId ?? ''}:${cursor ?? ''}`,
  );
  const now = useNow(1_000);
  const data = page.data;
  const incidents = (data?.incidents ?? []).map((i) => {
    const local = changed[i.id];
    return local && !i.acknowledgedAt ? local : i;
  });
  const open = incidents.filter((i) => i.status === 'open');
  const resolved = incidents.filter((i) => i.status === 'resolved');
  useAnnounceChanges(pageIndex === 0 ? data?.incidents : undefined);
  const onChanged = (incident: Incident) => {
    setChanged({ ...changed, [incident.id]: incident });
    page.reload();
  };

  if (!data) {
    return page.error ? <ErrorNote error={page.error} /> : <p class="muted">Loading…</p>;
  }
  return (
    <>
      {page.error && <ErrorNote error={page.error} stale />}
      {incidents.length === 0 ? (
        <div class="empty">
          <p>
            {filter === 'open'
              ? 'No open incident: everything is up.'
              : filter === 'resolved'
                ? 'No resolved incident yet.'
                : 'No incident yet.'}
          </p>
          {monitorId && (
            <a href={monitorHref(monitorId)} onClick={followLink}>
              Back to the monitor
            </a>
          )}
        </div>
      ) : (
        <>
          {open.length > 0 && (
            <section aria-labelledby="open-heading">
              <h2 id="open-heading">Open ({open.length})</h2>
              <IncidentList incidents={open} now={now} onChanged={onChanged} label="Open incidents" />
            </section>
          )}
          {resolved.length > 0 && (
            <section aria-labelledby="history-heading">
              <h2 id="history-heading">History</h2>
              <IncidentList
                incidents={resolved}
                now={now}
                onChanged={onChanged}
                label="Resolved incidents, newest first"
              />
            </section>
          )}
        </>
      )}
      <CursorPager
        label="Incident pages"
        cursors={cursors}
        setCursors={setCursors}
        nextCursor={data.nextCursor}
      >
        <span class="muted updated-inline">
          Updated {page.updatedAt ? formatAgo(new Date(page.updatedAt).toISOString(), now) : '—'}
        </span>
      </CursorPager>
    </>
  );
}

/** Tells screen readers when an incident opens or resolves between refreshes of the first page. */
function useAnnounceChanges(incidents: Incident[] | undefined): void {
  const previous = useRef<Map<string, Incident['status']> | undefined>(undefined);
  useEffect(() => {
    if (!incidents) return;
    const before = previous.current;
    previous.current = new Map(incidents.map((i) => [i.id, i.status]));
    if (!before) return;
    const messages = incidents.flatMap((i) => {
      const was = before.get(i.id);
      if (was === undefined && i.status === 'open') return [`New incident: ${i.monitorName}`];
      if (was === 'open' && i.status === 'resolved') return [`Incident of ${i.monitorName} resolved`];
      return [];
    });
    if (messages.length > 0 && messages.length <= 5) announce(messages.join('. '));
    else if (messages.length > 5) announce(`${messages.length} incidents changed`);
  }, [incidents]);
}
