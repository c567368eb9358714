import type { TargetedKeyboardEvent, TargetedPointerEvent } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { formatMs, formatTime } from '../format.js';
import { useWidth } from '../hooks.js';
import type { SeriesBucket } from '../types.js';

/** The phases a response time is made of, stacked bottom to top. "Rest" is the body transfer and overhead. */
const PHASES = [
  { key: 'dns', label: 'DNS', value: (b: SeriesBucket) => b.dnsMs ?? 0 },
  { key: 'connect', label: 'Connect', value: (b: SeriesBucket) => b.connectMs ?? 0 },
  { key: 'tls', label: 'TLS', value: (b: SeriesBucket) => b.tlsMs ?? 0 },
  { key: 'first-byte', label: 'First byte', value: (b: SeriesBucket) => b.firstByteMs ?? 0 },
] as const;

const HEIGHT = 220;
const MARGIN = { top: 10, right: 12, bottom: 26, left: 52 };
const X_LABEL_PX = 90;

interface Bar {
  bucket: SeriesBucket;
  start: number;
  x0: number;
  x1: number;
  /** Stacked segments, bottom up: [phase key, from ms, to ms]. */
  segments: [string, number, number][];
}

/** Four or five round steps (1, 2 or 5 × 10^n ms) from 0 up to at least `highest`. */
function niceTicks(highest: number): number[] {
  const rough = Math.max(highest, 4) / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const top = Math.ceil(highest / step) * step || step;
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}

function segmentsOf(bucket: SeriesBucket): [string, number, number][] {
  if (bucket.avgMs === null) return [];
  const segments: [string, number, number][] = [];
  let bottom = 0;
  for (const phase of PHASES) {
    const top = Math.min(bucket.avgMs, bottom + phase.value(bucket));
    if (top > bottom) segments.push([phase.key, bottom, top]);
    bottom = top;
  }
  if (bucket.avgMs > bottom) segments.push(['rest', bottom, bucket.avgMs]);
  return segments;
}

const shortTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const shortDate = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

export interface ResponseChartProps {
  region: string;
  series: SeriesBucket[];
  from: number;
  to: number;
  bucketMs: number;
  windowLabel: string;
}

/**
 * Response time of one region over the window: per bucket a bar of the average time split into its
 * phases (DNS, connect, TLS, first byte, rest), a line with a point per bucket for the slowest check,
 * and red bands where checks were down. Pointer or arrow keys show a bucket's numbers.
 */
export function ResponseChart({ region, series, from, to, bucketMs, windowLabel }: ResponseChartProps) {
  const [ref, measured] = useWidth<HTMLDivElement>();
  const width = Math.max(measured, 280);
  const [selected, setSelected] = useState<number | null>(null);
  // Read aloud only what the keyboard selects; pointer hovering would flood a screen reader.
  const [viaKeyboard, setViaKeyboard] = useState(false);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;

  const { bars, yTicks } = useMemo(() => {
    const x = (t: number) => MARGIN.left + ((t - from) / (to - from)) * plotWidth;
    const bars: Bar[] = series.map((bucket) => {
      const start = Date.parse(bucket.at);
      const x0 = Math.max(MARGIN.left, x(start));
      const x1 = Math.min(MARGIN.left + plotWidth, x(start + bucketMs));
      return { bucket, start, x0, x1: Math.max(x1, x0 + 1), segments: segmentsOf(bucket) };
    });
    const highest = Math.max(0, ...series.map((b) => Math.max(b.maxMs ?? 0, b.avgMs ?? 0)));
    return { bars, yTicks: niceTicks(highest) };
  }, [series, from, to, bucketMs, plotWidth]);

  const yMax = yTicks[yTicks.length - 1]!;
  const y = (ms: number) => MARGIN.top + plotHeight - (ms / yMax) * plotHeight;
  const long = to - from > 36 * 3_600_000;
  // As many time labels as fit without touching (about 90 px each), from two to five.
  const xSteps = Math.min(4, Math.max(1, Math.floor(plotWidth / X_LABEL_PX)));
  const xTicks = Array.from({ length: xSteps + 1 }, (_, i) => from + ((to - from) * i) / xSteps);

  // The slowest check of each bucket, as a line broken where buckets are missing.
  let maxPath = '';
  bars.forEach((bar, i) => {
    if (bar.bucket.maxMs === null) return;
    const previous = bars[i - 1];
    const joined = previous && previous.bucket.maxMs !== null && bar.start - previous.start <= bucketMs;
    maxPath += `${joined ? 'L' : 'M'}${((bar.x0 + bar.x1) / 2).toFixed(1)},${y(bar.bucket.maxMs).toFixed(1)}`;
  });

  const pick = (event: TargetedPointerEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const px = event.clientX - box.left;
    let nearest: number | null = null;
    let distance = Infinity;
    bars.forEach((bar, i) => {
      const d = px < bar.x0 ? bar.x0 - px : px > bar.x1 ? px - bar.x1 : 0;
      if (d < distance) [nearest, distance] = [i, d];
    });
    setViaKeyboard(false);
    setSelected(distance <= 24 ? nearest : null);
  };

  const onKey = (event: TargetedKeyboardEvent<HTMLDivElement>) => {
    if (bars.length === 0) return;
    const last = bars.length - 1;
    const moves: Record<string, number> = {
      ArrowLeft: Math.max(0, (selected ?? last + 1) - 1),
      ArrowRight: Math.min(last, (selected ?? -1) + 1),
      Home: 0,
      End: last,
    };
    if (event.key === 'Escape') setSelected(null);
    else if (event.key in moves) {
      event.preventDefault();
      setViaKeyboard(true);
      setSelected(moves[event.key]!);
    }
  };

  const active = selected === null ? undefined : bars[selected];
  const downBars = bars.filter((bar) => bar.bucket.down > 0);
  const downBuckets = series.filter((b) => b.down > 0).length;
  const label =
    `Response time from ${region}, ${windowLabel}: ${series.length} buckets with checks` +
    (downBuckets > 0 ? `, ${downBuckets} with down checks` : ', none down') +
    '. Use the arrow keys to read each bucket.';

  return (
    <figure class="chart">
      <figcaption class="chart-title">
        <span class="region-name">{region}</span>
        <Legend />
      </figcaption>
      <div
        class="chart-area"
        ref={ref}
        tabIndex={0}
        role="group"
        aria-label={label}
        onKeyDown={onKey}
        onBlur={() => setSelected(null)}
      >
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          onPointerMove={pick}
          onPointerLeave={() => setSelected(null)}
          aria-hidden="true"
        >
          {yTicks.map((tick) => (
            <g key={tick} class="grid">
              <line x1={MARGIN.left} x2={MARGIN.left + plotWidth} y1={y(tick)} y2={y(tick)} />
              <text x={MARGIN.left - 6} y={y(tick) + 4} text-anchor="end">
                {formatMs(tick)}
              </text>
            </g>
          ))}
          {xTicks.map((tick, i) => (
            <text
              key={tick}
              class="axis-label"
              x={MARGIN.left + (plotWidth * i) / xSteps}
              y={HEIGHT - 8}
              text-anchor={i === 0 ? 'start' : i === xSteps ? 'end' : 'middle'}
            >
              {(long ? shortDate : shortTime).format(tick)}
            </text>
          ))}
          {downBars.map((bar) => (
            <rect
              key={`band-${bar.start}`}
              class="down-band"
              x={bar.x0}
              y={MARGIN.top}
              width={bar.x1 - bar.x0}
              height={plotHeight}
            />
          ))}
          {bars.map((bar) => {
            const gap = bar.x1 - bar.x0 > 4 ? 1 : 0;
            return (
              <g key={bar.start}>
                {bar.segments.map(([phase, bottom, top]) => (
                  <rect
                    key={phase}
                    class={`phase phase-${phase}`}
                    x={bar.x0 + gap / 2}
                    width={Math.max(1, bar.x1 - bar.x0 - gap)}
                    y={y(top)}
                    height={Math.max(0.5, y(bottom) - y(top))}
                  />
                ))}
              </g>
            );
          })}
          {/* Drawn over the bars: a strip under each bucket with down checks. */}
          {downBars.map((bar) => (
            <rect
              key={`mark-${bar.start}`}
              class="down-mark"
              x={bar.x0}
              y={MARGIN.top + plotHeight - 5}
              width={Math.max(2, bar.x1 - bar.x0)}
              height={5}
            />
          ))}
          <path class="max-line" d={maxPath} fill="none" />
          {bars
            .filter((bar) => bar.bucket.maxMs !== null)
            .map((bar) => (
              <circle
                key={`p-${bar.start}`}
                class="point"
                cx={(bar.x0 + bar.x1) / 2}
                cy={y(bar.bucket.maxMs!)}
                r={bars.length > 80 ? 1.6 : 2.5}
              />
            ))}
          {active && (
            <rect
              class="cursor"
              x={active.x0 - 1}
              y={MARGIN.top}
              width={active.x1 - active.x0 + 2}
              height={plotHeight}
            />
          )}
        </svg>
        {series.length === 0 && <p class="chart-empty">No checks from {region} in this window.</p>}
        {active && (
          <ChartTooltip
            bar={active}
            bucketMs={bucketMs}
            left={(active.x0 + active.x1) / 2}
            width={width}
            live={viaKeyboard}
          />
        )}
      </div>
    </figure>
  );
}

interface TooltipProps {
  bar: Bar;
  bucketMs: number;
  left: number;
  width: number;
  live: boolean;
}

function ChartTooltip({ bar, bucketMs, left, width, live }: TooltipProps) {
  const b = bar.bucket;
  const flip = left > width / 2;
  return (
    <div
      class="chart-tooltip"
      style={flip ? { right: `${width - left + 8}px` } : { left: `${left + 8}px` }}
      aria-live={live ? 'polite' : 'off'}
      aria-hidden={!live}
    >
      <strong>
        {formatTime(bar.start)} – {formatTime(bar.start + bucketMs)}
      </strong>
      <dl>
        <dt>Checks</dt>
        <dd>
          {b.checks}
          {b.down > 0 && <span class="down-text"> ({b.down} down)</span>}
        </dd>
        <dt>Average</dt>
        <dd>{formatMs(b.avgMs)}</dd>
        <dt>Slowest</dt>
        <dd>{formatMs(b.maxMs)}</dd>
        <dt>DNS</dt>
        <dd>{formatMs(b.dnsMs)}</dd>
        <dt>Connect</dt>
        <dd>{formatMs(b.connectMs)}</dd>
        <dt>TLS</dt>
        <dd>{formatMs(b.tlsMs)}</dd>
        <dt>First byte</dt>
        <dd>{formatMs(b.firstByteMs)}</dd>
      </dl>
    </div>
  );
}

function Legend() {
  return (
    <ul class="legend" aria-label="Legend">
      {PHASES.map((phase) => (
        <li key={phase.key}>
          <span class={`swatch phase-${phase.key}`} aria-hidden="true" />
          {phase.label}
        </li>
      ))}
      <li>
        <span class="swatch phase-rest" aria-hidden="true" />
        Rest
      </li>
      <li>
        <span class="swatch swatch-line" aria-hidden="true" />
        Slowest
      </li>
      <li>
        <span class="swatch swatch-down" aria-hidden="true" />
        Down
      </li>
    </ul>
  );
}
