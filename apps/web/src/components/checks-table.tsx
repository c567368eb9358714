import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { describeReason, formatMs, formatTime } from '../format.js';
import { usePolling } from '../hooks.js';
import { ErrorNote } from './layout.js';
import { StatusBadge } from './status.js';
import { ColumnHeads, CursorPager } from './table.js';

const PAGE_SIZE = 25;

/**
 * A monitor's checks, newest first, a page at a time (the API's cursors). The first page refreshes
 * itself; older pages hold still while being read.
 */
export function ChecksTable({ monitorId }: { monitorId: string }) {
  // cursors[i] opens page i (page 0 has none).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex];
  const page = usePolling(
    (signal) => api.checks(monitorId, { limit: PAGE_SIZE, cursor }, signal),
    pageIndex === 0 ? 5_000 : 3_600_000,
    `${monitorId}:${cursor ?? ''}`,
  );
  const data = page.data;

  return (
    <div class="checks">
      {page.error && <ErrorNote error={page.error} stale={data !== undefined} />}
      {!data ? (
        !page.error && <p class="muted">Loading…</p>
      ) : data.checks.length === 0 && pageIndex === 0 ? (
        <p class="muted">No checks yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="checks-table stacking">
            <caption class="visually-hidden">Checks, newest first, page {pageIndex + 1}</caption>
            <ColumnHeads columns={['Time', 'Region', 'Status', 'Code', 'Reason', 'Response']} />
            <tbody>
              {data.checks.map((check) => (
                <tr key={check.id} class={`check-${check.status.toLowerCase()}`}>
                  <td data-label="Time">{formatTime(check.scheduledAt)}</td>
                  <td data-label="Region">{check.region}</td>
                  <td data-label="Status">
                    <StatusBadge status={check.status} />
                  </td>
                  <td data-label="Code">{check.statusCode ?? '—'}</td>
                  <td data-label="Reason" class="reason-cell">
                    {describeReason(check.reason) || '—'}
                    {check.message && <span class="check-message">{check.message}</span>}
                  </td>
                  <td data-label="Response">{formatMs(check.responseTimeMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager
        label="Check pages"
        cursors={cursors}
        setCursors={setCursors}
        nextCursor={data?.nextCursor}
      />
    </div>
  );
}
