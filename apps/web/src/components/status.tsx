import type { CheckStatus, MonitorStatus } from '../types.js';

const LABELS: Record<MonitorStatus, string> = {
  up: 'Up',
  down: 'Down',
  paused: 'Paused',
  pending: 'Pending',
  maintenance: 'Maintenance',
};

/** A status as colour and text together: never colour alone. */
export function StatusBadge({ status }: { status: MonitorStatus | CheckStatus | null }) {
  const key = (status ?? 'pending').toLowerCase() as MonitorStatus;
  return (
    <span class={`status status-${key}`}>
      <span class="status-dot" aria-hidden="true" />
      {LABELS[key]}
    </span>
  );
}

/** An incident's status: open (red, like down) or resolved (green). */
export function IncidentBadge({ status }: { status: 'open' | 'resolved' }) {
  return (
    <span class={`status status-${status === 'open' ? 'down' : 'up'}`}>
      <span class="status-dot" aria-hidden="true" />
      {status === 'open' ? 'Open' : 'Resolved'}
    </span>
  );
}
