import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, startTlsTarget, type TargetServer, type TlsTargetServer } from '@better-uptime/testing';
import {
  callApi,
  chromiumAvailable,
  type Dashboard,
  openDashboard,
  openSignedIn,
  SCREENSHOTS,
  screenshot,
} from './harness.js';
import { expectPage } from './wait.js';

const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 860 };
const BULK = 300;

/**
 * What a daily user of the dashboard meets, in Chromium against the real system (API, producer, two
 * regions' workers) at a phone's 375 px and a desktop's width, in light and dark: a new install opening on
 * sign-up, form errors in words for every field at once, an address without a scheme, a failure's own
 * message, one number format, aligned columns, a down row tinted across, check-bar details on a tap,
 * compact phone rows, charts whose time labels do not collide; then the overview at scale: pages from the
 * server, only the rows on screen in the page, the server's search, filters and sort, tag groups, live
 * changes from the event stream and polling when the stream is refused. Screenshots go to
 * test-output/screenshots; UPDATE_DOCS_SCREENSHOT=1 also writes docs/dashboard.png for the README.
 */
describe.skipIf(!chromiumAvailable())('the dashboard in daily use', { timeout: 240_000 }, () => {
  let dashboard: Dashboard;
  let target: TargetServer;
  let tls: TlsTargetServer;
  let page: Page;
  let problems: string[];
  let tlsMonitorId = '';

  beforeAll(async () => {
    target = await startTarget();
    for (const path of ['/shop', '/blog', '/flip']) target.override(path, { status: 200, body: 'ok' });
    target.override('/api', { status: 200, body: '{"ok":true}', delayMs: 120 });
    tls = await startTlsTarget();
    // Hundreds of monitors are made in a few seconds here.
    dashboard = await openDashboard({
      env: { MONITOR_WRITES_PER_MINUTE: '0' },
      context: { viewport: DESKTOP },
    });
    ({ page, problems } = dashboard);
  }, 180_000);
  afterAll(async () => {
    await dashboard?.close();
    await target?.close();
    await tls?.close();
  });

  const shot = (name: string, on: Page = page) => screenshot(on, name);
  const row = (name: string, on: Page = page) =>
    on.locator('.monitors-body [role=row]', { has: on.getByRole('link', { name, exact: true }) });
  it('opens a new install on sign-up and says every problem of the form in words, at once', async () => {
    await page.goto('/');
    await page.waitForURL('**/signup');
    await expectPage(page.getByRole('heading', { name: 'Create an account' })).toBeVisible();
    await page.getByLabel('Name').fill('Lin');
    await page.getByLabel('Email').fill('not an address');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectPage(page.locator('#password-error')).toHaveText('Must be at least 10 characters');
    await expectPage(page.locator('#email-error')).toBeVisible();
    expect(await page.locator('#email-error').textContent()).not.toMatch(/[<>]=|body\//);
    await page.getByLabel('Email').fill('lin@example.com');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await expectPage(page.getByText('No monitors yet.')).toBeVisible();
  });

  it('adds https:// to an address typed without a scheme, and names every wrong field at once', async () => {
    await page.goto('/monitors/new');
    const url = page.getByLabel('URL');
    await url.fill(`127.0.0.1:${tls.port}/status`);
    await page.getByLabel('Name', { exact: true }).fill('Legacy TLS');
    await page.getByLabel('Tags').fill('legacy, production');
    await expectPage(url).toHaveValue(`https://127.0.0.1:${tls.port}/status`);
    await page.getByLabel('Check every (seconds)').fill('5');
    await page.getByLabel('Failed checks before down').fill('0');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await expectPage(page.locator('#intervalSeconds-error')).toHaveText('Must be at least 10');
    await expectPage(page.locator('#failureThreshold-error')).toHaveText('Must be at least 1');
    await expectPage(page.getByLabel('Check every (seconds)')).toBeFocused();
    await shot('daily-form-errors');
    await page.getByLabel('Check every (seconds)').fill('30');
    await page.getByLabel('Failed checks before down').fill('1');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);
    tlsMonitorId = new URL(page.url()).pathname.split('/').pop()!;
  });

  it('shows the failure’s own message on the monitor page and in the checks table; a new chart starts at 1 h', async () => {
    const meta = page.locator('.monitor-meta');
    await expectPage(meta).toContainText(`https://127.0.0.1:${tls.port}/status`);
    // One unit rule: 25 000 ms (5 s below the 30 s interval) reads as seconds.
    await expectPage(meta).toContainText('timeout 25 s');
    await expectPage(page.getByRole('button', { name: '1h', exact: true })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    const message = page.locator('.latest-cards .check-message').first();
    await expectPage(message).toContainText('self-signed', { timeout: 60_000 });
    await expectPage(page.locator('.checks-table .check-message').first()).toContainText('self-signed');
    expect(await page.locator('.checks-table .reason-cell').first().textContent()).toContain('TLS failed');
  });

  it('seeds a small account through the API for the screenshots', async () => {
    const create = async (body: Record<string, unknown>) => {
      const answer = await callApi(page, 'POST', '/api/monitor', body);
      expect(answer.status).toBe(201);
    };
    await create({ name: 'Shop', url: `${target.url}/shop`, intervalSeconds: 30, tags: ['production'] });
    await create({
      name: 'Checkout API',
      url: `${target.url}/api`,
      intervalSeconds: 30,
      tags: ['production'],
    });
    await create({ name: 'Blog', url: `${target.url}/blog`, intervalSeconds: 30, tags: ['marketing'] });
    await create({ name: 'Flip', url: `${target.url}/flip`, intervalSeconds: 10, failureThreshold: 1 });
    await create({ name: 'Old landing page', url: `${target.url}/old`, paused: true, tags: ['marketing'] });
    await page.goto('/');
    // A new monitor is up after its recovery threshold (2) of good checks: two slots of a 30 s interval,
    // the first of which may be almost an interval away (measured: up to 60 s), and a margin.
    const twoIntervals = 100_000;
    for (const name of ['Shop', 'Checkout API', 'Blog', 'Flip']) {
      await expectPage(row(name).locator('.monitor-cell .status')).toHaveText('Up', {
        timeout: twoIntervals,
      });
    }
    await expectPage(row('Legacy TLS').locator('.monitor-cell .status')).toHaveText('Down', {
      timeout: twoIntervals,
    });
  });

  it('lines up every column on a desktop, tints a down row across, one uptime format', async () => {
    await page.goto('/');
    await expectPage(row('Shop').locator('.sparkline')).toBeAttached({ timeout: 100_000 });
    const rows = page.locator('.monitors-body [role=row]');
    await expectPage(rows).toHaveCount(6);
    // The newest response's right edge is the same with or without a sparkline (the paused row has none).
    const rights = await page
      .locator('.monitors-body .latest-ms')
      .evaluateAll((cells) => cells.map((c) => Math.round(c.getBoundingClientRect().right)));
    expect(new Set(rights).size).toBe(1);
    const uptimeRights = await page
      .locator('.monitors-body .uptime-cell')
      .evaluateAll((cells) => cells.map((c) => Math.round(c.getBoundingClientRect().right)));
    expect(new Set(uptimeRights).size).toBe(1);
    for (const text of await page.locator('.monitors-body .uptime-cell').allTextContents()) {
      expect(text.trim()).toMatch(/^(\d{1,3}\.\d{2} %|—)$/);
    }
    // The down row's tint covers the whole row, up to its last cell.
    const down = row('Legacy TLS');
    const tint = await down.evaluate((element) => {
      const box = element.getBoundingClientRect();
      const body = element.parentElement!.getBoundingClientRect();
      const last = element.lastElementChild!;
      return {
        width: Math.round(box.width),
        bodyWidth: Math.round(body.width),
        background: getComputedStyle(element).backgroundColor,
        lastBackground: getComputedStyle(last).backgroundColor,
      };
    });
    expect(tint.width).toBe(tint.bodyWidth);
    expect(tint.background).toBe('rgb(254, 226, 226)');
    expect(tint.lastBackground).toBe('rgba(0, 0, 0, 0)');
    await page.waitForTimeout(300);
    await shot('daily-overview-desktop-light');
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await mkdir(join(DOCS_SCREENSHOT, '..'), { recursive: true });
      await copyFile(join(SCREENSHOTS, 'dashboard.png'), DOCS_SCREENSHOT);
    }

    const dark = await openSignedIn(dashboard, { viewport: DESKTOP, colorScheme: 'dark' });
    await dark.page.goto('/');
    await expectPage(row('Legacy TLS', dark.page).locator('.monitor-cell .status')).toHaveText('Down');
    expect(await row('Legacy TLS', dark.page).evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
      'rgb(61, 21, 23)',
    );
    await dark.page.waitForTimeout(300);
    await shot('daily-overview-desktop-dark', dark.page);
    expect(dark.problems).toEqual([]);
    await dark.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`fits 375 px in ${colorScheme}: compact rows, whole filters, a check's details on a tap`, async () => {
      const phone = await openSignedIn(dashboard, {
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
        colorScheme,
      });
      const on = phone.page;
      await on.goto('/');
      await expectPage(row('Shop', on).locator('.monitor-cell .status')).toHaveText('Up');
      expect(
        await on.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      for (const height of await on
        .locator('.monitors-body [role=row]')
        .evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height))) {
        expect(height).toBeLessThanOrEqual(100);
      }
      const controls = await on
        .locator('.filters select, .filters input')
        .evaluateAll((all) => all.map((c) => c.getBoundingClientRect()).map((b) => [b.left, b.right]));
      expect(controls.length).toBe(5);
      for (const [left, right] of controls) {
        expect(left).toBeGreaterThanOrEqual(0);
        expect(right).toBeLessThanOrEqual(PHONE.width);
      }
      await row('Shop', on).locator('.tick-up').last().tap();
      const tip = row('Shop', on).locator('.tick-tip');
      await expectPage(tip).toBeVisible();
      await expectPage(tip).toContainText('Up');
      await on.waitForTimeout(200);
      await shot(`daily-overview-phone-${colorScheme}`, on);
      // Tapping elsewhere closes it.
      await on.locator('h1').tap();
      await expectPage(tip).toBeHidden();

      await on.goto(`/monitors/${tlsMonitorId}`);
      await expectPage(on.locator('.checks-table .check-message').first()).toContainText('self-signed');
      await expectPage(on.locator('.chart').first()).toBeVisible();
      expect(
        await on.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      // Every cell of the stats and checks tables is on the screen, not cut off to the right.
      for (const table of ['.stats-table', '.checks-table']) {
        const edges = await on
          .locator(`${table} tbody td`)
          .evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().right));
        expect(edges.length).toBeGreaterThan(0);
        for (const right of edges) expect(right).toBeLessThanOrEqual(PHONE.width);
      }
      // The chart's time labels do not overlap.
      for (const chart of await on.locator('.chart svg').all()) {
        const boxes = await chart
          .locator('.axis-label')
          .evaluateAll((labels) =>
            labels.map((l) => l.getBoundingClientRect()).map((b) => ({ left: b.left, right: b.right })),
          );
        expect(boxes.length).toBeGreaterThanOrEqual(2);
        for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.left).toBeGreaterThan(boxes[i - 1]!.right);
      }
      await on.waitForTimeout(200);
      await shot(`daily-monitor-phone-${colorScheme}`, on);
      expect(phone.problems).toEqual([]);
      await phone.close();
    });
  }

  it('updates rows live from the event stream, without asking for the overview again', async () => {
    await page.goto('/');
    await expectPage(page.locator('.updated')).toHaveText('Live');
    await expectPage(page.locator('.updated')).toHaveAttribute('data-live', 'stream');
    const asked: string[] = [];
    const listen = (request: { url(): string }) => {
      if (new URL(request.url()).pathname === '/api/overview') asked.push(request.url());
    };
    page.on('request', listen);
    target.override('/flip', { status: 503, body: 'down' });
    await expectPage(row('Flip').locator('.monitor-cell .status')).toHaveText('Down', { timeout: 45_000 });
    await expectPage(row('Flip').locator('.tick-down').first()).toBeAttached();
    page.off('request', listen);
    // Every row it changed is loaded: nothing is asked for again (the minute's reload is not due yet).
    expect(asked).toEqual([]);
    await expectPage(page.locator('.count-down .count-number')).toHaveText('2');
    target.override('/flip', { status: 200, body: 'ok' });
  });

  it('polls when the event stream is refused', async () => {
    const polling = await openSignedIn(dashboard, { viewport: DESKTOP });
    await polling.page.route(/\/api\/overview\/events/, (route) => route.fulfill({ status: 503, body: '' }));
    const asked: number[] = [];
    polling.page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/overview') asked.push(Date.now());
    });
    await polling.page.goto('/');
    await expectPage(row('Shop', polling.page)).toBeVisible();
    await expectPage(polling.page.locator('.updated')).toHaveAttribute('data-live', 'polling');
    await expectPage(polling.page.locator('.updated')).toContainText('Updated');
    const first = asked.length;
    await expect.poll(() => asked.length, { timeout: 25_000, interval: 500 }).toBeGreaterThan(first);
    await polling.close();
  });

  it('pages, searches, filters and groups 300 more monitors on the server, rendering only the rows on screen', async () => {
    const created = await page.evaluate(
      async ({ count, url }) => {
        const csrf = decodeURIComponent(/(?:^|; )bu_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '');
        let made = 0;
        for (let start = 0; start < count; start += 25) {
          const batch = Array.from({ length: Math.min(25, count - start) }, (_, j) => start + j);
          const statuses = await Promise.all(
            batch.map(async (i) => {
              const tags = [...(i % 3 === 0 ? ['eu'] : []), ...(i % 5 === 0 ? ['api'] : [])];
              const response = await fetch('/api/monitor', {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
                body: JSON.stringify({
                  name: `Bulk ${String(i).padStart(3, '0')}`,
                  url: `${url}/bulk/${i}`,
                  paused: true,
                  tags,
                }),
              });
              return response.status;
            }),
          );
          made += statuses.filter((s) => s === 201).length;
        }
        return made;
      },
      { count: BULK, url: target.url },
    );
    expect(created).toBe(BULK);
    const total = BULK + 6;
    const asked: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/overview') asked.push(url);
    });
    await page.goto('/?sort=name');
    const table = page.getByRole('table');
    await expectPage(table).toHaveAttribute('aria-rowcount', String(total + 1));
    expect(asked[0]!.searchParams.get('limit')).toBe('50');
    expect(asked[0]!.searchParams.get('sort')).toBe('name');
    const rows = page.locator('.monitors-body [role=row]');
    expect(await rows.count()).toBeLessThan(40);
    // Scrolling to the end loads page after page (with the server's cursor) until the last monitor.
    for (let i = 0; i < 30 && !(await row('Shop').isVisible()); i++) {
      await page.mouse.wheel(0, 4000);
      await page.waitForTimeout(150);
    }
    await expectPage(row('Shop')).toBeVisible();
    expect(asked.some((url) => url.searchParams.has('cursor'))).toBe(true);
    expect(await rows.count()).toBeLessThan(40);
    await shot('daily-overview-scrolled');

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByLabel('Search').fill('Bulk 12');
    await expectPage(table).toHaveAttribute('aria-rowcount', '11');
    expect(asked.at(-1)!.searchParams.get('q')).toBe('Bulk 12');
    await page.getByLabel('Search').fill('');
    await page.locator('.filter-tag select').selectOption('eu');
    await expectPage(table).toHaveAttribute('aria-rowcount', String(BULK / 3 + 1));
    expect(asked.at(-1)!.searchParams.get('tag')).toBe('eu');
    await page.locator('.filter-tag select').selectOption('');
    await page.locator('.count-paused').click();
    await page.waitForURL(/status=paused/);
    await expectPage(rows.first().locator('.monitor-cell .status')).toHaveText('Paused');
    expect(asked.at(-1)!.searchParams.get('status')).toBe('paused');
    await expectPage(table).toHaveAttribute('aria-rowcount', String(BULK + 1 + 1)); // and the old landing page
    await page.locator('.count-paused').click();

    // Grouped by tag: each group collapsed until opened, then loaded on its own.
    await page.getByLabel('Group by tag').check();
    const groups = page.locator('.tag-group');
    await expectPage(groups).toHaveCount(5); // api, eu, legacy, marketing, production
    await expectPage(page.locator('.monitors-body [role=row]')).toHaveCount(0);
    await page.getByRole('button', { name: /^eu\b/ }).click();
    await expectPage(page.locator('.tag-group', { hasText: 'eu' }).getByRole('table')).toHaveAttribute(
      'aria-rowcount',
      String(BULK / 3 + 1),
    );
    await shot('daily-overview-groups');
    expect(problems).toEqual([]);
  });
});
