import { useEffect, useRef, useState } from 'preact/hooks';
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
 * Hovering a tick shows its time, status code and reason; so does tapping it (touch screens have no
 * hover), until the next tap.
 */
export function CheckBar({ checks, slots }: { checks: RecentCheck[]; slots: number }) {
  const [selected, setSelected] = useState<number | null>(null);
  const bar = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (selected === null) return;
    const close = (event: PointerEvent) => {
      if (!bar.current?.contains(event.target as Node)) setSelected(null);
    };
    document.addEventListener('pointerdown', close);
    return () => document.removeEventListener('pointerdown', close);
  }, [selected]);

  const down = checks.filter((c) => c.status === 'Down').length;
  const label =
    checks.length === 0
      ? 'No checks yet'
      : `Last ${checks.length} checks: ${checks.length - down} up, ${down} down`;
  const empty = Math.max(0, slots - checks.length);
  const shown = selected === null ? undefined : checks[selected];
  const onClick = (event: MouseEvent) => {
    const index = (event.target as HTMLElement).dataset.index;
    setSelected(index === undefined || Number(index) === selected ? null : Number(index));
  };
  return (
    <div class="check-bar" ref={bar} role="img" aria-label={label} onClick={onClick}>
      {Array.from({ length: empty }, (_, i) => (
        <span key={`empty-${i}`} class="tick tick-empty" />
      ))}
      {checks.map((check, i) => (
        <span
          key={check.scheduledAt}
          data-index={i}
          class={`tick tick-${check.status === 'Down' ? 'down' : 'up'}${i === selected ? ' tick-selected' : ''}`}
          title={describe(check)}
        />
      ))}
      {shown && (
        <span class={`tick-tip${(empty + selected!) / slots > 0.5 ? ' tick-tip-end' : ''}`} role="tooltip">
          {describe(shown)}
        </span>
      )}
    </div>
  );
}
