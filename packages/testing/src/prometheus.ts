import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample as the parser gives it. */
export interface PrometheusSample {
  labels?: Record<string, string>;
  value?: string;
}

export interface PrometheusFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: PrometheusSample[];
}

const parse = parsePrometheusTextFormat as (text: string) => PrometheusFamily[];

/**
 * A `/metrics` body read by an independent parser of the Prometheus text format (not prom-client's own
 * writer read back), so a malformed exposition fails the test; it throws on text it cannot parse. Families
 * by name; a histogram `x` also as its series `x_bucket`, `x_sum` and `x_count` with their labels (the
 * parser folds a labelled histogram's series into one and loses their labels, so those are read from a
 * second pass in which its TYPE line is a plain comment: the sample lines are the same).
 */
export function parsePrometheus(text: string): Map<string, PrometheusFamily> {
  const families = new Map(parse(text).map((family) => [family.name, family]));
  const histograms = [...families.values()].filter((f) => f.type === 'HISTOGRAM').map((f) => f.name);
  if (histograms.length > 0) {
    const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# histogram $1');
    for (const family of parse(untyped)) {
      const base = family.name.replace(/_(bucket|sum|count)$/, '');
      if (family.name === base || !histograms.includes(base)) continue;
      // Each label set's series come in turn (buckets, sum, count), so a name recurs: gather its samples.
      const seen = families.get(family.name);
      if (seen) seen.metrics.push(...family.metrics);
      else families.set(family.name, family);
    }
  }
  return families;
}

/** The samples of a family whose labels include `labels`. */
export function samplesOf(
  families: Map<string, PrometheusFamily>,
  name: string,
  labels: Record<string, string> = {},
): PrometheusSample[] {
  return (families.get(name)?.metrics ?? []).filter((sample) =>
    Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value),
  );
}

/** The sum of the matching samples' values; 0 when none match. For a histogram, ask `<name>_count`. */
export function sampleTotal(
  families: Map<string, PrometheusFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  return samplesOf(families, name, labels).reduce((total, sample) => total + Number(sample.value ?? 0), 0);
}
