/**
 * The API as figures run it: buildServer in a process of its own (lib/api-process.ts), production mode,
 * on a figure's database, answering once it has signed its user up.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type BenchChild, spawnChild } from './children.js';
import type { BenchContext } from './figure.js';

const API_ENTRY = fileURLToPath(new URL('./api-process.ts', import.meta.url));

export function spawnApi(ctx: BenchContext, databaseUrl: string, regions: readonly string[]): BenchChild {
  const api = spawnChild({
    label: 'api',
    entry: API_ENTRY,
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: randomBytes(36).toString('base64'),
      SECRETS_KEY: randomBytes(36).toString('base64'),
      // Request lines are at debug anyway; warn keeps any other line out of what is measured.
      LOG_LEVEL: 'warn',
      REGIONS: regions.join(','),
    },
    cpuProfileDir: ctx.cpuProfileDir,
  });
  ctx.defer(() => api.stop());
  return api;
}
