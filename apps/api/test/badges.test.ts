import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@better-uptime/db';
import { postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import {
  createMonitor,
  recordChecks,
  signup,
  startTestApi,
  stopTestApi,
  type TestServer,
  type TestUser,
} from './helpers.js';

const MINUTE = 60_000;
const NOW = Date.UTC(2031, 6, 1, 12, 0, 0);

/** The badge's two texts (label, value) and colour, read from the parsed SVG. */
function readBadge(svg: string): { label: string; value: string; title: string; fill: string } {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg);
  const texts = doc.svg.g[1].text as Array<{ '#text': string; 'aria-hidden'?: string }>;
  const shown = texts.filter((t) => t['aria-hidden'] === undefined).map((t) => String(t['#text']));
  return {
    label: shown[0]!,
    value: shown[1]!,
    title: String(doc.svg.title),
    fill: doc.svg.g[0].rect[1].fill,
  };
}

describe.skipIf(!postgresAvailable())('badges (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let app: TestServer;
  let owner: TestUser;
  let publicId: string;
  let privateId: string;
  let emptyId: string;

  beforeAll(async () => {
    ({ testDb, app } = await startTestApi({ now: () => NOW }));
    owner = await signup(app);
    const created = await createMonitor(app, owner, { publicBadges: true, regions: ['usa'] });
    expect(created.publicBadges).toBe(true);
    publicId = created.id;
    privateId = (await createMonitor(app, owner, { regions: ['usa'] })).id;
    emptyId = (await createMonitor(app, owner, { publicBadges: true })).id;
    // 10 checks over the last 10 minutes: 9 up (100..900 ms), then the newest a timeout (down, no response).
    await recordChecks(
      testDb.handle.db,
      Array.from({ length: 10 }, (_, i) => ({
        monitorId: publicId,
        region: 'usa',
        scheduledAt: new Date(NOW - (10 - i) * MINUTE),
        ...(i === 9
          ? { status: 'Down' as const, statusCode: null, reason: 'timeout', responseTimeMs: 30_000 }
          : { responseTimeMs: (i + 1) * 100 }),
      })),
    );
  });
  afterAll(() => stopTestApi({ app, testDb }));

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });

  it('serves valid SVG with the right numbers, without login, cached with an ETag', async () => {
    const uptime = await get(`/api/badges/${publicId}/uptime.svg?window=24h`);
    expect(uptime.statusCode).toBe(200);
    expect(uptime.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(uptime.headers['cache-control']).toBe('public, max-age=60');
    expect(readBadge(uptime.body)).toMatchObject({ label: 'uptime 24h', value: '90%', fill: '#fe7d37' });

    // The default window is 30 days; 90 days reads the rollups, with the same answer.
    expect(readBadge((await get(`/api/badges/${publicId}/uptime.svg`)).body).label).toBe('uptime 30d');
    expect(readBadge((await get(`/api/badges/${publicId}/uptime.svg?window=90d`)).body).value).toBe('90%');

    // Average of the checks that got a response: 100..900 ms → 500 ms.
    const response = readBadge((await get(`/api/badges/${publicId}/response.svg`)).body);
    expect(response).toMatchObject({ label: 'response', value: '500 ms', fill: '#97ca00' });

    // One timeout is not an incident (two failures in a row open one): the monitor is up.
    const status = await get(`/api/badges/${publicId}/status.svg`);
    expect(readBadge(status.body)).toMatchObject({ label: 'status', value: 'up', fill: '#4c1' });

    const etag = status.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get(`/api/badges/${publicId}/status.svg`, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('says "no data" in grey without checks, and escapes a chosen label', async () => {
    expect(readBadge((await get(`/api/badges/${emptyId}/uptime.svg`)).body)).toMatchObject({
      value: 'no data',
      fill: '#9f9f9f',
    });
    const hostile = '<script>&"x\'</script>';
    const res = await get(`/api/badges/${publicId}/status.svg?label=${encodeURIComponent(hostile)}`);
    expect(res.body).not.toContain('<script>');
    const badge = readBadge(res.body);
    // Escaped in the document, the same text once parsed.
    expect(badge.label).toBe(hostile);
    expect(badge.title).toBe(`${hostile}: up`);
  });

  it('answers 404 for private, unknown and other monitors alike, and 400 for malformed requests', async () => {
    const notFound = { error: { code: 'not_found', message: 'Badge not found' } };
    for (const id of [privateId, newId()]) {
      for (const kind of ['status', 'uptime', 'response']) {
        const res = await get(`/api/badges/${id}/${kind}.svg`);
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual(notFound);
      }
    }
    expect((await get(`/api/badges/not-a-uuid/status.svg`)).statusCode).toBe(400);
    expect((await get(`/api/badges/${publicId}/uptime.svg?window=1y`)).statusCode).toBe(400);
    expect((await get(`/api/badges/${publicId}/status.svg?label=`)).statusCode).toBe(400);
    expect((await get(`/api/badges/${publicId}/status.svg?other=1`)).statusCode).toBe(400);
  });

  it('follows the owner’s publicBadges setting: read, turned off, turned on', async () => {
    const read = await app.inject({ method: 'GET', url: `/api/monitor/${privateId}`, headers: owner.bearer });
    expect(read.json().monitor.publicBadges).toBe(false);
    const off = await app.inject({
      method: 'PUT',
      url: `/api/monitor/${publicId}`,
      headers: owner.bearer,
      payload: { publicBadges: false },
    });
    expect(off.json().monitor.publicBadges).toBe(false);
    expect((await get(`/api/badges/${publicId}/status.svg`)).statusCode).toBe(404);
    const wrongType = await app.inject({
      method: 'PUT',
      url: `/api/monitor/${privateId}`,
      headers: owner.bearer,
      payload: { publicBadges: 'yes' },
    });
    expect(wrongType.statusCode).toBe(400);
    await app.inject({
      method: 'PUT',
      url: `/api/monitor/${privateId}`,
      headers: owner.bearer,
      payload: { publicBadges: true },
    });
    expect((await get(`/api/badges/${privateId}/status.svg`)).statusCode).toBe(200);
  });
});
