import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { useTitle } from '../announcer.js';
import {
  AcknowledgedFact,
  CauseFact,
  DurationFact,
  Fact,
  Moment,
  MomentFact,
  monitorHref,
} from '../components/incident-list.js';
import { DeliveryTable } from '../components/delivery-table.js';
import { IncidentUpdateForm } from '../components/incident-update-form.js';
import { ErrorNote, isNotFound, PageHeading } from '../components/layout.js';
import { IncidentBadge } from '../components/status.js';
import { ColumnHeads } from '../components/table.js';
import { describeOutcome, describeResolution, describeState, formatDateTime } from '../format.js';
import { useNow, usePolling } from '../hooks.js';
import { followLink } from '../router.js';
import type { Incident, TimelineEntry } from '../types.js';

/** One incident: its facts, its cause per region and its timeline (each region's transitions). */
export function IncidentPage({ id }: { id: string }) {
  const page = usePolling((signal) => api.incident(id, signal), 5_000, id);
  const deliveries = usePolling((signal) => api.incidentDeliveries(id, signal), 5_000, id);
  const [acknowledged, setAcknowledged] = useState<Incident | undefined>(undefined);
  const now = useNow(1_000);
  const data = page.data;
  useTitle(data ? `Incident: ${data.incident.monitorName}` : 'Incident');

  const crumbs = (
    <nav class="breadcrumbs" aria-label="Breadcrumb">
      <a href="/incidents" onClick={followLink}>
        Incidents
      </a>
    </nav>
  );
  if (!data) {
    if (page.error) {
      return (
        <>
          {crumbs}
          <PageHeading title={isNotFound(page.error) ? 'Incident not found' : 'Incident'} />
          <ErrorNote error={page.error} />
        </>
      );
    }
    return <p class="muted">Loading…</p>;
  }
  const incident =
    acknowledged && !data.incident.acknowledgedAt ? { ...data.incident, ...acknowledged } : data.incident;

  return (
    <>
      {crumbs}
      <PageHeading title={`Incident: ${incident.monitorName}`} />
      {page.error && <ErrorNote error={page.error} stale />}
      <div class={`card incident incident-${incident.status} incident-detail`}>
        <div class="incident-head">
          <IncidentBadge status={incident.status} />
          <a class="monitor-name" href={monitorHref(incident.monitorId)} onClick={followLink}>
            {incident.monitorName}
          </a>
        </div>
        <dl class="incident-facts">
          <MomentFact term="Started" at={incident.startedAt} />
          <MomentFact term="Confirmed" at={incident.confirmedAt} />
          <Fact term="Resolved">
            {incident.resolvedAt ? (
              <>
                <Moment at={incident.resolvedAt} />
                {incident.resolution && (
                  <span class="muted"> ({describeResolution(incident.resolution)})</span>
                )}
              </>
            ) : (
              <span class="down-text">Not yet</span>
            )}
          </Fact>
          <DurationFact incident={incident} now={now} />
          <CauseFact incident={incident} />
          <AcknowledgedFact
            incident={incident}
            onChanged={(i) => {
              setAcknowledged(i);
              page.reload();
            }}
          />
        </dl>
        {incident.cause.message && <p class="incident-message muted">{incident.cause.message}</p>}
      </div>

      {incident.cause.regions.length > 0 && (
        <section aria-labelledby="regions-heading">
          <h2 id="regions-heading">Regions down when it was confirmed</h2>
          <div class="table-scroll">
            <table class="checks-table">
              <ColumnHeads columns={['Region', 'Failing since', 'Outcome', 'Message']} />
              <tbody>
                {incident.cause.regions.map((r) => (
                  <tr key={r.region}>
                    <th scope="row">{r.region}</th>
                    <td>{formatDateTime(r.since)}</td>
                    <td>{describeOutcome(r.statusCode, r.reason) || '—'}</td>
                    <td class="wrap">{r.message ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <IncidentUpdateForm incidentId={data.incident.id} />

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        {data.timeline.length === 0 ? (
          <p class="muted">No state changes recorded.</p>
        ) : (
          <Timeline entries={data.timeline} />
        )}
      </section>

      <section aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Notifications</h2>
        {deliveries.error && <ErrorNote error={deliveries.error} stale={Boolean(deliveries.data)} />}
        {deliveries.data &&
          (deliveries.data.deliveries.length === 0 ? (
            <p class="muted">No channel was told of this incident.</p>
          ) : (
            <DeliveryTable deliveries={deliveries.data.deliveries} showChannel />
          ))}
      </section>
    </>
  );
}

/** Oldest first: each region's transitions and the monitor's own, with the check that caused them. */
export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  return (
    <ol class="timeline">
      {entries.map((entry, i) => (
        <li key={`${entry.at}-${entry.region ?? ''}-${i}`} class={`timeline-item timeline-to-${entry.to}`}>
          <time dateTime={entry.at} class="timeline-time">
            {formatDateTime(entry.at)}
          </time>
          <span class="timeline-what">
            <span class="region-name">{entry.region ?? 'monitor'}</span> {describeState(entry.from)} →{' '}
            <strong>{describeState(entry.to)}</strong>
          </span>
          {(entry.statusCode !== null || entry.reason || entry.message) && (
            <span class="muted timeline-detail">
              {describeOutcome(entry.statusCode, entry.reason)}
              {entry.message && ` — ${entry.message}`}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
