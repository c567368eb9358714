// Which build `better-uptime` runs: the bundle `npm run build` (and `npm start`) writes to dist/, unless
// the TypeScript sources changed after it was built, in which case the sources, through tsx, so that an
// edited checkout never runs stale code. A production install has no sources and always takes the bundle.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the bundle is built from: each workspace's src/, and the migrations copied beside it. */
const SOURCE_DIRS = [
  ['apps', 'src'],
  ['packages', 'src'],
  ['packages', 'drizzle'],
];

function newestIn(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestIn(join(path, name)));
  return newest;
}

/** The newest modification time (ms) among the bundle's sources under `root`, 0 when there are none. */
export function newestSourceChange(root) {
  let newest = 0;
  for (const [group, dir] of SOURCE_DIRS) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const workspace of readdirSync(groupDir)) {
      newest = Math.max(newest, newestIn(join(groupDir, workspace, dir)));
    }
  }
  return newest;
}

/**
 * `{ build: 'bundle', path }` when dist/better-uptime.mjs exists and no source is newer; otherwise
 * `{ build: 'source', staleBundle }`, staleBundle telling whether a bundle was there but out of date.
 */
export function chooseBuild(root) {
  const path = join(root, 'dist', 'better-uptime.mjs');
  const bundle = statSync(path, { throwIfNoEntry: false });
  if (!bundle) return { build: 'source', staleBundle: false };
  if (newestSourceChange(root) > bundle.mtimeMs) return { build: 'source', staleBundle: true };
  return { build: 'bundle', path };
}
