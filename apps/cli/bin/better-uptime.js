#!/usr/bin/env node
// The `better-uptime` command. Runs the built bundle when there is one (npm run build), else the
// TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../../../dist/better-uptime.mjs', import.meta.url));
if (existsSync(built)) {
  await import(built);
} else {
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cli');
  const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const result = spawnSync(process.execPath, [tsx, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
