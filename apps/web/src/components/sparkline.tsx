/**
 * A tiny response-time line per region (hourly averages, oldest first); gaps where an hour had no
 * response. Decorative: the numbers are shown as text beside it.
 */
export function Sparkline({
  series,
  width = 120,
  height = 32,
}: {
  series: (number | null)[][];
  width?: number;
  height?: number;
}) {
  const values = series.flat().filter((v): v is number => v !== null);
  if (values.length === 0) return null;
  // From zero, so that regions and hours compare honestly.
  const max = Math.max(...values, 1);
  const pad = 3;
  const x = (i: number, n: number) =>
    pad + (n <= 1 ? (width - 2 * pad) / 2 : (i / (n - 1)) * (width - 2 * pad));
  const y = (v: number) => height - pad - (v / max) * (height - 2 * pad);
  return (
    <svg
      class="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      aria-hidden="true"
    >
      {series.map((points, s) => {
        let path = '';
        const dots: [number, number][] = [];
        points.forEach((v, i) => {
          if (v === null) return;
          const joined = i > 0 && points[i - 1] !== null && points[i - 1] !== undefined;
          path += `${joined ? 'L' : 'M'}${x(i, points.length).toFixed(1)},${y(v).toFixed(1)}`;
          const isolated = !joined && (points[i + 1] === null || points[i + 1] === undefined);
          if (isolated) dots.push([x(i, points.length), y(v)]);
        });
        return (
          <g key={s} class={`series-${s % 4}`}>
            <path d={path} fill="none" />
            {dots.map(([cx, cy]) => (
              <circle key={cx} cx={cx} cy={cy} r={2.2} />
            ))}
          </g>
        );
      })}
    </svg>
  );
}
