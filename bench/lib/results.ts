/** Writes a run's figures to `bench-results/` (git-ignored): one JSON file and one markdown table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { FigureResult, Metric } from './figure.js';
import { REPO_ROOT } from './children.js';

export interface FigureOutcome {
  name: string;
  title: string;
  seconds: number;
  result?: FigureResult;
  error?: string;
}

export interface RunRecord {
  startedAt: string;
  command: string;
  quick: boolean;
  runs: number;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  figures: FigureOutcome[];
}

export const RESULTS_DIR = join(REPO_ROOT, 'bench-results');

export function machineInfo(): RunRecord['machine'] {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Writes `<stamp>.json` and `<stamp>.md`, plus `latest.json`/`latest.md`; returns the markdown path. */
export function writeResults(record: RunRecord): { json: string; markdown: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = record.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(record, null, 2);
  const markdown = toMarkdown(record);
  const paths = { json: join(RESULTS_DIR, `${stamp}.json`), markdown: join(RESULTS_DIR, `${stamp}.md`) };
  writeFileSync(paths.json, json);
  writeFileSync(paths.markdown, markdown);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);
  writeFileSync(join(RESULTS_DIR, 'latest.md'), markdown);
  return paths;
}

function cell(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined) return '–';
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 3 })}${unit ? ` ${unit}` : ''}`;
}

function metricRow(figure: string, metric: Metric): string {
  const baseline = metric.baseline
    ? `${metric.baseline.label}: ${cell(metric.baseline.value, metric.unit)}`
    : '–';
  const met = metric.met === undefined ? '' : metric.met === null ? '?' : metric.met ? 'met' : '**missed**';
  return `| ${figure} | ${metric.label} | ${cell(metric.value, metric.unit)} | ${baseline} | ${cell(metric.ratio)} | ${metric.goal ?? ''} | ${met} |`;
}

export function toMarkdown(record: RunRecord): string {
  const { machine } = record;
  const lines = [
    `# Benchmark run ${record.startedAt}`,
    '',
    `\`${record.command}\` on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}` +
      `${record.quick ? ' (quick smoke run: sizes and durations cut, figures not comparable)' : ''}.`,
    '',
    '| figure | metric | value | baseline (same run) | ratio | goal | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const figure of record.figures) {
    if (figure.error) lines.push(`| ${figure.name} | failed: ${figure.error.split('\n')[0]} | | | | | |`);
    for (const metric of figure.result?.metrics ?? []) lines.push(metricRow(figure.name, metric));
  }
  for (const figure of record.figures) {
    lines.push('', `## ${figure.name}: ${figure.title} (${Math.round(figure.seconds)} s)`, '');
    if (figure.error) lines.push('```', figure.error, '```');
    for (const note of figure.result?.notes ?? []) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}
