import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { announce } from '../announcer.js';
import { describeOutcome, describeResolution, formatDateTime, formatDuration } from '../format.js';
import { followLink } from '../router.js';
import type { Incident } from '../types.js';
import { IncidentBadge } from './status.js';

export const incidentHref = (id: string) => `/incidents/${encodeURIComponent(id)}`;
export const monitorHref = (id: string) => `/monitors/${encodeURIComponent(id)}`;

/** How long it lasted, or, while open, how long it has lasted so far (ticking with `now`). */
export function incidentDuration(incident: Incident, now: number): string {
  return incident.durationMs !== null
    ? formatDuration(incident.durationMs)
    : formatDuration(now - Date.parse(incident.startedAt));
}

/** "HTTP 500 · unexpected status" with the checks' message, or "—". */
export function incidentCause(incident: Incident): string {
  const { cause } = incident;
  return describeOutcome(cause.statusCode, cause.reason) || '—';
}

/** One fact of an incident: a term and, in `class`, what it is. */
export function Fact({
  term,
  class: className,
  children,
}: {
  term: string;
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <div>
      <dt>{term}</dt>
      <dd class={className}>{children}</dd>
    </div>
  );
}

/** A moment, for machines as it is and for people as a date and time. */
export function Moment({ at }: { at: string }) {
  return <time dateTime={at}>{formatDateTime(at)}</time>;
}

/** A fact that is a moment: when the incident started, say. */
export function MomentFact({ term, at }: { term: string; at: string }) {
  return (
    <Fact term={term}>
      <Moment at={at} />
    </Fact>
  );
}

/** How long the incident has lasted (live while open, with `now`). */
export function DurationFact({ incident, now }: { incident: Incident; now: number }) {
  return (
    <Fact term={incident.status === 'open' ? 'Ongoing for' : 'Duration'} class="incident-duration">
      {incidentDuration(incident, now)}
    </Fact>
  );
}

export function CauseFact({ incident }: { incident: Incident }) {
  return (
    <Fact term="Cause" class="incident-cause">
      {incidentCause(incident)}
    </Fact>
  );
}

/** When the incident was acknowledged; while open and not yet, a button to acknowledge it. */
export function AcknowledgedFact({
  incident,
  onChanged,
}: {
  incident: Incident;
  onChanged: (incident: Incident) => void;
}) {
  return (
    <Fact term="Acknowledged" class="incident-ack">
      {incident.acknowledgedAt ? (
        <Moment at={incident.acknowledgedAt} />
      ) : incident.status === 'open' ? (
        <AcknowledgeButton incident={incident} onChanged={onChanged} />
      ) : (
        <span class="muted">No</span>
      )}
    </Fact>
  );
}

/**
 * Incidents as cards: status, monitor, start, duration (live while open), cause with its regions, and
 * who is on it (acknowledged, or a button to say so).
 */
export function IncidentList({
  incidents,
  now,
  showMonitor = true,
  onChanged,
  label,
}: {
  incidents: Incident[];
  now: number;
  showMonitor?: boolean;
  onChanged: (incident: Incident) => void;
  label: string;
}) {
  return (
    <ul class="incidents" aria-label={label}>
      {incidents.map((incident) => (
        <IncidentCard
          key={incident.id}
          incident={incident}
          now={now}
          showMonitor={showMonitor}
          onChanged={onChanged}
        />
      ))}
    </ul>
  );
}

function IncidentCard({
  incident,
  now,
  showMonitor,
  onChanged,
}: {
  incident: Incident;
  now: number;
  showMonitor: boolean;
  onChanged: (incident: Incident) => void;
}) {
  const open = incident.status === 'open';
  const regions = incident.cause.regions.map((r) => r.region);
  return (
    <li class={`card incident incident-${incident.status}`} data-incident-id={incident.id}>
      <div class="incident-head">
        <IncidentBadge status={incident.status} />
        {showMonitor ? (
          <a class="monitor-name" href={monitorHref(incident.monitorId)} onClick={followLink}>
            {incident.monitorName}
          </a>
        ) : (
          <span class="monitor-name">{incidentCause(incident)}</span>
        )}
        <a class="incident-link" href={incidentHref(incident.id)} onClick={followLink}>
          Details
          <span class="visually-hidden"> of the incident started {formatDateTime(incident.startedAt)}</span>
        </a>
      </div>
      <dl class="incident-facts">
        <MomentFact term="Started" at={incident.startedAt} />
        <DurationFact incident={incident} now={now} />
        {showMonitor && <CauseFact incident={incident} />}
        {regions.length > 0 && <Fact term="Regions">{regions.join(', ')}</Fact>}
        {!open && incident.resolvedAt && (
          <Fact term="Resolved">
            <Moment at={incident.resolvedAt} />
            {incident.resolution && incident.resolution !== 'recovered' && (
              <span class="muted"> ({describeResolution(incident.resolution)})</span>
            )}
          </Fact>
        )}
        <AcknowledgedFact incident={incident} onChanged={onChanged} />
      </dl>
      {incident.cause.message && <p class="incident-message muted">{incident.cause.message}</p>}
    </li>
  );
}

/** Says someone is on it (POST /api/incidents/:id/acknowledge); the first acknowledgement's time stays. */
export function AcknowledgeButton({
  incident,
  onChanged,
}: {
  incident: Incident;
  onChanged: (incident: Incident) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const acknowledge = async () => {
    setBusy(true);
    setError('');
    try {
      const { incident: updated } = await api.acknowledgeIncident(incident.id);
      announce(`Incident of ${incident.monitorName} acknowledged`);
      onChanged(updated);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="button small" onClick={acknowledge} disabled={busy}>
        {busy ? 'Acknowledging…' : 'Acknowledge'}
        <span class="visually-hidden"> the incident of {incident.monitorName}</span>
      </button>
      {error && (
        <span class="field-error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </>
  );
}
