import type { CheckStatus, MonitorStatus } from '../types.js';

const LABELS: Record<MonitorStatus, string> = {
  up: 'Up',
  down: 'Down',
  paused: 'Paused',
  pending: 'Pending',
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
