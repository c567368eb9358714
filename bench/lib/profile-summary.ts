/**
 * Reads a V8 CPU profile (`node --cpu-prof`, written by the processes a benchmark starts with --cpu-prof)
 * and says where the time went: self time per function and per package, so a missed goal comes with
 * evidence rather than a guess. Also usable alone: `npx tsx bench/lib/profile-summary.ts <file.cpuprofile>`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of the wall time the main thread was busy (not idle), 0..1. */
  busyShare: number;
  topFunctions: Array<{ name: string; selfMs: number; share: number }>;
  byPackage: Array<{ name: string; selfMs: number; share: number }>;
}

/** Where a script lives, shortened: `node_modules/pg`, `packages/checker`, `node:internal`... */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const repo = /\/((?:apps|packages|bench)\/[^/]+)\//.exec(url);
  if (repo) return repo[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(path: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = url
      ? `${url.replace(/^.*\/(node_modules|apps|packages|bench)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const name = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 1000),
        share: Number((us / totalUs).toFixed(3)),
      }));
  return {
    totalMs: Math.round(totalUs / 1000),
    busyShare: Number((1 - idleUs / totalUs).toFixed(3)),
    topFunctions: rank(functions),
    byPackage: rank(packages),
  };
}

export function formatSummary(path: string, summary: ProfileSummary): string {
  const lines = [`${path}: ${summary.totalMs} ms, main thread busy ${Math.round(summary.busyShare * 100)} %`];
  lines.push('  self time by package:');
  for (const p of summary.byPackage)
    lines.push(
      `    ${String(p.selfMs).padStart(7)} ms ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.name}`,
    );
  lines.push('  self time by function:');
  for (const f of summary.topFunctions)
    lines.push(
      `    ${String(f.selfMs).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}`,
    );
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2))
    process.stdout.write(`${formatSummary(file, summarizeProfile(file, 25))}\n`);
}
