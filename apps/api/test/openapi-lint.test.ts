import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Database } from '@better-uptime/db';
import { testServer } from './helpers.js';

const run = promisify(execFile);
const REDOCLY = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'redocly');

describe('the OpenAPI document, for client generators', () => {
  it('gives every operation a unique operationId and its security, and names a server', async () => {
    const app = testServer({} as Database);
    await app.ready();
    const doc = app.swagger() as {
      servers?: unknown[];
      paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
    };
    await app.close();
    expect(doc.servers?.length).toBeGreaterThan(0);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ key: `${method} ${path}`, ...op })),
    );
    for (const op of operations) {
      expect(op.operationId, op.key).toMatch(/^[a-z]+[A-Za-z0-9]*$/);
      expect(Array.isArray(op.security), `${op.key} security`).toBe(true);
    }
    expect(new Set(operations.map((op) => op.operationId)).size).toBe(operations.length);
    expect(doc.paths['/api/monitor/{id}']!.get!.operationId).toBe('getMonitorById');
    expect(doc.paths['/api/auth/login']!.post!.security).toEqual([]);
  });

  it('names its schemas in components.schemas, refers to them, and maps each discriminator value', async () => {
    const app = testServer({} as Database);
    await app.ready();
    const doc = app.swagger() as {
      components: { schemas: Record<string, { discriminator?: { mapping?: Record<string, string> } }> };
      paths: Record<string, Record<string, unknown>>;
    };
    await app.close();
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Monitor', 'HttpMonitor', 'Channel', 'Error']),
    );
    const list = JSON.stringify(doc.paths['/api/monitor']!.get);
    expect(list).toContain('"items":{"$ref":"#/components/schemas/Monitor"}');
    expect(schemas.Monitor!.discriminator!.mapping!.http).toBe('#/components/schemas/HttpMonitor');
    expect(Object.keys(schemas.Channel!.discriminator!.mapping!)).toContain('webhook');
    // Every reference resolves.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.filter((name) => !(name in schemas))).toEqual([]);
  });

  it('passes redocly lint with the recommended rules, without errors', { timeout: 120_000 }, async () => {
    const app = testServer({} as Database);
    await app.ready();
    const dir = await mkdtemp(join(tmpdir(), 'bu-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(app.swagger()));
      // Exits non-zero on any error; warnings (inline discriminated variants) are reported, not failed.
      const { stdout, stderr } = await run(
        REDOCLY,
        ['lint', file, '--extends', 'recommended', '--format', 'summary'],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      ).catch((error: { stdout: string; stderr: string }) => {
        throw new Error(`redocly lint found errors:\n${error.stdout}\n${error.stderr}`);
      });
      expect(`${stdout}${stderr}`).not.toMatch(/\berrors?\b.*\b[1-9]/i);
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
