import { describeOutcome, formatMs, formatTime } from '../format.js';
import type { RecentCheck } from '../types.js';

function describe(check: RecentCheck): string {
  const regions =
    check.regions > 1
      ? check.downRegions > 0
        ? ` (${check.downRegions} of ${check.regions} regions down)`
        : ` (${check.regions} regions)`
      : '';
  const outcome = describeOutcome(check.statusCode, check.reason);
  return `${formatTime(check.scheduledAt)} · ${check.status}${regions}\n${check.region}: ${outcome || 'no response'} · ${formatMs(check.responseTimeMs)}`;
}

/**
 * The last slots as green and red ticks, oldest on the left; empty ticks stand for slots not run yet.
 * Hovering a tick shows its time, status code and reason.
 */
export function CheckBar({ checks, slots }: { checks: RecentCheck[]; slots: number }) {
  const down = checks.filter((c) => c.status === 'Down').length;
  const label =
    checks.length === 0
      ? 'No checks yet'
      : `Last ${checks.length} checks: ${checks.length - down} up, ${down} down`;
  return (
    <div class="check-bar" role="img" aria-label={label}>
      {Array.from({ length: Math.max(0, slots - checks.length) }, (_, i) => (
        <span key={`empty-${i}`} class="tick tick-empty" />
      ))}
      {checks.map((check) => (
        <span
          key={check.scheduledAt}
          class={`tick tick-${check.status === 'Down' ? 'down' : 'up'}`}
          title={describe(check)}
        />
      ))}
    </div>
  );
}
