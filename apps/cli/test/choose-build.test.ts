import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseBuild } from '../bin/choose-build.js';

/** The bin's choice between dist/ and the sources, on a made-up checkout with chosen file times. */
describe('which build the better-uptime command runs', () => {
  let root: string;
  const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
  const file = (path: string, seconds: number) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
    at(path, seconds);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bu-choose-'));
    file('apps/cli/src/main.ts', 1_000);
    file('packages/db/src/client.ts', 1_000);
    file('packages/db/drizzle/0001_x.sql', 1_000);
    for (const dir of ['apps/cli/src', 'apps/cli', 'apps', 'packages/db/src', 'packages/db/drizzle'])
      at(dir, 1_000);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('runs the sources when there is no bundle', () => {
    expect(chooseBuild(root)).toEqual({ build: 'source', staleBundle: false });
  });

  it('runs the bundle when it is newer than every source', () => {
    file('dist/better-uptime.mjs', 2_000);
    expect(chooseBuild(root)).toEqual({ build: 'bundle', path: join(root, 'dist', 'better-uptime.mjs') });
  });

  it.each(['apps/cli/src/main.ts', 'packages/db/src/client.ts', 'packages/db/drizzle/0001_x.sql'])(
    'runs the sources when %s changed after the bundle was built',
    (changed) => {
      file('dist/better-uptime.mjs', 2_000);
      at(changed, 3_000);
      expect(chooseBuild(root)).toEqual({ build: 'source', staleBundle: true });
    },
  );

  it('counts a new source file (its directory changes)', () => {
    file('dist/better-uptime.mjs', 2_000);
    file('packages/db/src/new.ts', 1_000);
    at('packages/db/src', 3_000);
    expect(chooseBuild(root)).toEqual({ build: 'source', staleBundle: true });
  });

  it('takes the bundle in a production install, which has no sources', () => {
    rmSync(join(root, 'apps'), { recursive: true });
    rmSync(join(root, 'packages'), { recursive: true });
    file('dist/better-uptime.mjs', 2_000);
    expect(chooseBuild(root)).toMatchObject({ build: 'bundle' });
  });
});
