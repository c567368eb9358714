// `npm run build`: the production build that the Dockerfile and PM2 run.
//
//   dist/better-uptime.mjs      the CLI (apps/cli/src/main.ts) with all @better-uptime/* workspace code
//   dist/better-uptime.mjs.map  its source map (run with --enable-source-maps for TypeScript stack traces)
//   dist/drizzle/               the SQL migrations, found next to the bundle at run time
//   dist/web/                   the dashboard (apps/web/dist), served by the API from beside the bundle
//   dist/receive_time.node      the kernel receive-time reader (packages/receive-time), when it was built
//                               at install; without it checks time answers on the event loop
//
// Third-party packages stay external and load from node_modules (`npm ci --omit=dev` is enough at run
// time): PGlite loads its wasm and data files relative to itself, @node-rs/argon2 is native, and the rest
// are better left as published than re-bundled. Workspace packages export TypeScript sources, which is
// why they must be bundled.
//
// Options: --skip-web        do not run `npm run build:web` (the dashboard) even if package.json has it.
//          --out-dir <dir>   build there instead of dist/ (a folder inside the checkout, so the bundle
//                            still finds node_modules; the PM2 test uses one of its own)
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const outDirFlag = process.argv.indexOf('--out-dir');
const DIST = outDirFlag > 0 ? resolve(process.argv[outDirFlag + 1] ?? '') : join(ROOT, 'dist');
const BUNDLE = join(DIST, 'better-uptime.mjs');
const WORKSPACE_SCOPE = '@better-uptime/';
const ADDON = 'receive_time.node';

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** package.json of the root and of every workspace (the root's "workspaces" globs are `<dir>/*`). */
function manifests() {
  const root = readJson(join(ROOT, 'package.json'));
  const found = [{ path: 'package.json', json: root }];
  for (const pattern of root.workspaces ?? []) {
    if (!pattern.endsWith('/*')) throw new Error(`build: unsupported workspaces pattern "${pattern}"`);
    const dir = pattern.slice(0, -2);
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name, 'package.json');
      try {
        found.push({ path, json: readJson(join(ROOT, path)) });
      } catch (error) {
        if (error.code !== 'ENOENT') throw error;
      }
    }
  }
  return found;
}

/** Third-party dependency names: those installed by `npm ci --omit=dev`, and the dev-only ones. */
function dependencyNames() {
  const production = new Set();
  const devOnly = new Set();
  for (const { json } of manifests()) {
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const name of Object.keys(json[field] ?? {})) production.add(name);
    }
    for (const name of Object.keys(json.devDependencies ?? {})) devOnly.add(name);
  }
  for (const set of [production, devOnly]) {
    for (const name of set) if (name.startsWith(WORKSPACE_SCOPE)) set.delete(name);
  }
  for (const name of production) devOnly.delete(name);
  return { production, devOnly };
}

/** `@scope/name/sub/path` -> `@scope/name`, `name/sub` -> `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Keeps every declared production dependency external, bundles the workspace packages, and fails the build
 * on any other bare import: an undeclared package would be silently bundled (or, if dev-only, be missing
 * from the production image).
 */
function externalsPlugin({ production, devOnly }) {
  return {
    name: 'better-uptime-externals',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path) || args.path.startsWith(WORKSPACE_SCOPE)) return undefined;
        const name = packageName(args.path);
        if (production.has(name)) return { path: args.path, external: true };
        const where = relative(ROOT, args.importer);
        return {
          errors: [
            {
              text: devOnly.has(name)
                ? `"${name}" is imported by ${where} but is only a devDependency: the production install omits it`
                : `"${name}" is imported by ${where} but no workspace package.json declares it`,
            },
          ],
        };
      });
    },
  };
}

function runWebBuild() {
  const scripts = readJson(join(ROOT, 'package.json')).scripts ?? {};
  if (!scripts['build:web']) return;
  console.warn('build: npm run build:web');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`build: "npm run build:web" failed (exit ${result.status})`);
}

async function bundle() {
  // Only this script's own outputs are removed: dist/ may also hold what build:web writes.
  for (const path of [BUNDLE, `${BUNDLE}.map`, join(DIST, 'drizzle'), join(DIST, 'web'), join(DIST, ADDON)]) {
    rmSync(path, { recursive: true, force: true });
  }
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['apps/cli/src/main.ts'],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    // Keep names in stack traces and logs (error classes, functions).
    keepNames: true,
    banner: { js: '#!/usr/bin/env node' },
    metafile: true,
    logLevel: 'warning',
    plugins: [externalsPlugin(dependencyNames())],
  });
  // The externals plugin should make this impossible; checked because a bundled copy of a package that
  // loads files relative to itself (PGlite) would only fail at run time.
  const bundled = Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules/'));
  if (bundled.length > 0) throw new Error(`build: third-party code was bundled: ${bundled.join(', ')}`);
  chmodSync(BUNDLE, 0o755);
  cpSync(join(ROOT, 'packages/db/drizzle'), join(DIST, 'drizzle'), { recursive: true });
  // The dashboard goes beside the bundle (dist/web), where the API looks for it in production.
  const web = join(ROOT, 'apps/web/dist');
  if (existsSync(join(web, 'index.html'))) cpSync(web, join(DIST, 'web'), { recursive: true });
  // The native reader loads from beside the bundle (see packages/receive-time/src/index.ts).
  const addon = join(ROOT, 'packages/receive-time/build/Release', ADDON);
  const withAddon = existsSync(addon);
  if (withAddon) cpSync(addon, join(DIST, ADDON));
  const bytes = result.metafile.outputs[relative(ROOT, BUNDLE)]?.bytes ?? 0;
  console.warn(
    `build: ${relative(ROOT, BUNDLE)} (${Math.round(bytes / 1024)} KiB), ${relative(ROOT, DIST)}/drizzle` +
      (existsSync(join(DIST, 'web'))
        ? `, ${relative(ROOT, DIST)}/web`
        : ' (no dashboard: apps/web/dist is missing)') +
      (withAddon ? `, ${relative(ROOT, DIST)}/${ADDON}` : ` (no ${ADDON}: it was not built at install)`),
  );
}

try {
  if (!process.argv.includes('--skip-web')) runWebBuild();
  await bundle();
} catch (error) {
  // esbuild has already printed its own errors; say in one line that the build failed.
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
