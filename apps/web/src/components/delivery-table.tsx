import { formatDateTime, formatMs } from '../format.js';
import type { Delivery } from '../types.js';
import { ColumnHeads } from './table.js';

const EVENT_NAMES: Record<string, string> = {
  'incident.opened': 'Down',
  'incident.resolved': 'Up again',
  'incident.reminder': 'Reminder',
  'certificate.expiring': 'Certificate expiring',
  test: 'Test',
};

/** How a delivery went, in words: its last attempt's outcome, or when it is tried next. */
export function describeDelivery(d: Delivery): string {
  const last = d.history[d.history.length - 1];
  const tries = `${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'}`;
  const grouped = last && last.grouped > 1 ? `, in a group of ${last.grouped}` : '';
  if (d.status === 'delivered') return `Delivered (${tries}${grouped}, ${formatMs(last?.latencyMs ?? 0)})`;
  if (d.status === 'failed') return `Failed after ${tries}: ${d.lastError ?? 'unknown error'}`;
  if (d.attempts === 0) return 'Waiting to be sent';
  return `Retrying at ${formatDateTime(d.nextAttemptAt ?? d.createdAt)} (${tries}; last: ${d.lastError ?? '—'})`;
}

/** Deliveries with their outcome; `showChannel` for an incident's, which go to several channels. */
export function DeliveryTable({ deliveries, showChannel }: { deliveries: Delivery[]; showChannel: boolean }) {
  return (
    <div class="table-scroll">
      <table class="deliveries-table">
        <ColumnHeads columns={['When', 'Event', ...(showChannel ? ['Channel'] : []), 'Outcome']} />
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id} class={`delivery delivery-${d.status}`}>
              <td>{formatDateTime(d.createdAt)}</td>
              <td>{EVENT_NAMES[d.eventType] ?? d.eventType}</td>
              {showChannel && (
                <td>
                  {d.channelName} <span class="muted">({d.channelType})</span>
                </td>
              )}
              <td class={`wrap delivery-outcome ${d.status === 'failed' ? 'down-text' : ''}`}>
                {describeDelivery(d)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
