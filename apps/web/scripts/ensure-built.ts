/**
 * Builds the dashboard (apps/web/dist) when it is missing or older than its sources, so that `npm start`
 * and the browser tests serve the current dashboard on a fresh clone with no extra step. Without Vite
 * (a production install that left out dev dependencies) it says so and leaves the API to explain.
 *
 *   tsx apps/web/scripts/ensure-built.ts          build if needed
 *   tsx apps/web/scripts/ensure-built.ts --force  always build
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DIST_INDEX = join(WEB_DIR, 'dist', 'index.html');
const SOURCES = ['index.html', 'vite.config.ts', 'package.json', 'src', 'public'];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce(
    (newest, name) => Math.max(newest, newestChange(join(path, name))),
    info.mtimeMs,
  );
}

export function dashboardNeedsBuild(): boolean {
  if (!existsSync(DIST_INDEX)) return true;
  const built = statSync(DIST_INDEX).mtimeMs;
  return SOURCES.some((source) => newestChange(join(WEB_DIR, source)) > built);
}

/** Runs `vite build` in apps/web when needed; returns whether the dashboard is there afterwards. */
export function ensureDashboardBuilt({ force = false } = {}): boolean {
  if (!force && !dashboardNeedsBuild()) return true;
  let viteBin: string;
  try {
    viteBin = join(
      createRequire(join(WEB_DIR, 'package.json')).resolve('vite/package.json'),
      '..',
      'bin',
      'vite.js',
    );
  } catch {
    console.warn(
      'Dashboard not built and Vite is not installed: run `npm install`, then `npm run build:web`.',
    );
    return existsSync(DIST_INDEX);
  }
  console.warn('Building the dashboard (apps/web/dist)…');
  const result = spawnSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], {
    cwd: WEB_DIR,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('Building the dashboard failed; the API will run without it.');
    return false;
  }
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureDashboardBuilt({ force: process.argv.includes('--force') });
}
