#!/usr/bin/env node
// The `better-uptime` command. Runs the built bundle when there is one (npm run build), else the
// TypeScript sources through tsx's loader, in this same process (so signals reach the program itself).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../../../dist/better-uptime.mjs', import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
