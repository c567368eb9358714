import { MONITOR_KINDS, refineSettings, type KindSettings } from '@better-uptime/checker';
import { describe, expect, it } from 'vitest';
import { monitorViewJson } from '../src/present.js';
import { MonitorListResponse } from '../src/schemas/monitor.js';
import { ChannelListResponse } from '../src/schemas/channel.js';
import { serializerCompiler } from '../src/serialization.js';

const serialize = (schema: unknown) =>
  serializerCompiler({ schema, method: 'GET', url: '/', httpStatus: '200' } as never) as (
    value: unknown,
  ) => string;

const settingsOf: Record<string, KindSettings> = {
  http: { url: 'https://example.com/health', auth: { type: 'basic', username: 'u', password: 'secret-pw' } },
  tcp: { host: 'example.com', port: 5432 },
  dns: { hostname: 'example.com', recordType: 'A' },
  tls: { host: 'example.com', port: 443 },
  ping: { host: 'example.com' },
  heartbeat: {},
};

function monitorOf(kind: (typeof MONITOR_KINDS)[number], i: number) {
  const settings = refineSettings(kind, settingsOf[kind.name] ?? {});
  if ('problem' in settings) throw new Error(`${kind.name}: ${String(settings.problem)}`);
  const now = new Date(Date.UTC(2026, 11, 3, 12, 0, i)).toISOString();
  return monitorViewJson({
    id: `0193a1b2-c3d4-7e5f-8a9b-${String(i).padStart(12, '0')}`,
    name: `${kind.name} ${i}`,
    kind: kind.name,
    target: 'example.com',
    settings,
    intervalSeconds: 60,
    timeoutMs: 5_000,
    regions: ['usa'],
    paused: false,
    publicBadges: false,
    failureThreshold: 2,
    recoveryThreshold: 2,
    regionQuorum: null,
    retryIntervalSeconds: 10,
    tags: ['prod'],
    state: 'up',
    stateSince: now,
    openIncidentId: null,
    nextCheckAt: now,
    createdAt: now,
    updatedAt: now,
  } as Parameters<typeof monitorViewJson>[0]);
}

describe('response serialization of discriminated unions', () => {
  it('writes every kind of monitor as its own schema does, the same bytes as JSON.stringify', () => {
    const monitors = MONITOR_KINDS.flatMap((kind, k) => [monitorOf(kind, 2 * k), monitorOf(kind, 2 * k + 1)]);
    const body = { monitors, nextCursor: null };
    const written = serialize(MonitorListResponse)(body);
    expect(JSON.parse(written)).toEqual(JSON.parse(JSON.stringify(body)));
    // Secrets are masked before, and stay masked.
    expect(written).not.toContain('secret-pw');
  });

  it('still writes only the fields the variant declares', () => {
    const monitor = { ...monitorOf(MONITOR_KINDS[1], 1), passwordHash: 'argon2id$leak', userId: 'someone' };
    const written = JSON.parse(serialize(MonitorListResponse)({ monitors: [monitor], nextCursor: null }));
    expect(written.monitors[0]).not.toHaveProperty('passwordHash');
    expect(written.monitors[0]).not.toHaveProperty('userId');
    expect(written.monitors[0].port).toBe(5432);
  });

  it('tells channels apart by type', () => {
    const channel = (type: string, config: Record<string, unknown>) => ({
      id: '0193a1b2-c3d4-7e5f-8a9b-000000000001',
      type,
      name: type,
      config,
      isDefault: false,
      createdAt: '2026-12-03T12:00:00.000Z',
      updatedAt: '2026-12-03T12:00:00.000Z',
      lastOutcome: null,
    });
    const body = {
      channels: [
        channel('telegram', { botToken: '…abcd', chatId: '42' }),
        channel('email', { to: ['a@example.com'] }),
      ],
    };
    const written = JSON.parse(serialize(ChannelListResponse)(body));
    expect(written.channels.map((c: { config: unknown }) => c.config)).toEqual([
      { botToken: '…abcd', chatId: '42' },
      { to: ['a@example.com'] },
    ]);
  });
});
