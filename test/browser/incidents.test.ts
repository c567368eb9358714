import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '@better-uptime/testing';
import {
  chromiumAvailable,
  type Dashboard,
  openDashboard,
  openSignedIn,
  screenshot,
  signUpInBrowser,
} from './harness.js';
import { expectPage } from './wait.js';

/**
 * Incidents and maintenance windows in Chromium against the real system (two regions, both checking a
 * local target): a monitor with fast retries opens an incident when its target answers 500, which shows
 * on the monitor page and the incidents page, is acknowledged, and resolves with a duration when the
 * target recovers; then maintenance windows are scheduled through the form (a 400 shown beside its
 * field), listed, and put the monitor in maintenance. The browser runs in Europe/Berlin, so the local
 * times typed into the form must reach the API converted.
 */
describe.skipIf(!chromiumAvailable())('incidents and maintenance in a browser', { timeout: 120_000 }, () => {
  const TIME_ZONE = 'Europe/Berlin';
  let dashboard: Dashboard;
  let target: TargetServer;
  let page: Page;
  let problems: string[];
  let monitorId = '';

  beforeAll(async () => {
    target = await startTarget();
    // Failing from the start: the check pushed at creation fails, the retry 5 s later confirms.
    target.override('/payments', { status: 500, body: 'database unavailable' });
    dashboard = await openDashboard({
      context: { timezoneId: TIME_ZONE },
    });
    ({ page, problems } = dashboard);
  }, 120_000);
  afterAll(async () => {
    await dashboard?.close();
    await target?.close();
  });

  const shot = (name: string, on: Page = page) => screenshot(on, name);
  const card = (on: Page = page) => on.locator('.incident');

  it('signs up and creates a monitor with fast retries, the alert fields explained and checked', async () => {
    await signUpInBrowser(page, 'Grace', 'grace@example.com');

    await page.getByRole('link', { name: 'New monitor' }).first().click();
    // Each alert field says what its default is.
    await expectPage(page.locator('#failureThreshold-hint')).toContainText('Default 2');
    await expectPage(page.locator('#recoveryThreshold-hint')).toContainText('Default 2');
    await expectPage(page.locator('#regionQuorum-hint')).toContainText('majority');
    await expectPage(page.locator('#retryIntervalSeconds-hint')).toContainText('Default 10');
    await expectPage(page.getByLabel('Regions down to open an incident')).toHaveValue('');

    await page.getByLabel('URL').fill(`${target.url}/payments`);
    await page.getByLabel('Name', { exact: true }).fill('Payments');
    await page.getByLabel('Check every (seconds)').fill('30');
    await page.getByLabel('Failed checks before down').fill('2');
    await page.getByLabel('Recheck while failing every (seconds)').fill('3');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    // The API's 400, beside the field it names, which gets focus.
    await expectPage(page.locator('#retryIntervalSeconds-error')).toHaveText('Must be at least 5');
    await expectPage(page.getByLabel('Recheck while failing every (seconds)')).toBeFocused();
    await shot('monitor-form-alerts');
    await page.getByLabel('Recheck while failing every (seconds)').fill('5');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);
    monitorId = new URL(page.url()).pathname.split('/').pop()!;
    await expectPage(page.locator('.alert-settings')).toContainText('rechecked every 5 s');
  });

  it('opens an incident within seconds: shown on the monitor page with its banner', async () => {
    const meta = page.locator('.monitor-meta .status');
    await expectPage(meta).toHaveText('Down', { timeout: 30_000 });
    await expectPage(page.locator('.monitor-meta .state-since')).toContainText('for ');
    const banner = page.locator('.incident-banner');
    await expectPage(banner).toContainText('Incident open');
    await expectPage(banner).toContainText('HTTP 500');
    await expectPage(banner).toContainText('india, usa');
    await expectPage(page.locator('section[aria-labelledby="incidents-heading"] .incident')).toHaveCount(1);
    await page.waitForTimeout(300);
    await shot('incident-monitor');
  });

  it('lists it on the incidents page as open, and acknowledges it', async () => {
    await page.getByRole('link', { name: 'Incidents', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/incidents');
    await expectPage(page.getByRole('heading', { name: /^Open/ })).toBeVisible();
    await expectPage(card()).toHaveCount(1);
    const open = card().first();
    await expectPage(open.locator('.status')).toHaveText('Open');
    await expectPage(open.getByRole('link', { name: 'Payments' })).toBeVisible();
    await expectPage(open.locator('.incident-cause')).toContainText('HTTP 500 · unexpected status');
    // The duration of an open incident runs on.
    const before = await open.locator('.incident-duration').textContent();
    await page.waitForTimeout(1_100);
    expect(await open.locator('.incident-duration').textContent()).not.toBe(before);

    // The open/resolved filter lives in the address.
    await page.getByRole('button', { name: 'Resolved', exact: true }).click();
    await page.waitForURL(/status=resolved/);
    await expectPage(page.getByText('No resolved incident yet.')).toBeVisible();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expectPage(card()).toHaveCount(1);

    await card()
      .first()
      .getByRole('button', { name: /Acknowledge/ })
      .click();
    await expectPage(card().first().locator('.incident-ack time')).toBeVisible();
    await expectPage(
      card()
        .first()
        .getByRole('button', { name: /Acknowledge/ }),
    ).toHaveCount(0);
    await page.waitForTimeout(300);
    await shot('incidents-open');
  });

  it('resolves it when the target recovers, with a duration, and shows its timeline', async () => {
    target.override('/payments', { status: 200, body: 'ok' });
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await expectPage(page.getByRole('heading', { name: 'History' })).toBeVisible({ timeout: 30_000 });
    const resolved = card().first();
    await expectPage(resolved.locator('.status')).toHaveText('Resolved');
    await expectPage(resolved.locator('.incident-duration')).toHaveText(/^\d+ (s|min)$/);
    await expectPage(resolved.locator('.incident-ack time')).toBeVisible();

    await resolved.getByRole('link', { name: /Details/ }).click();
    await page.waitForURL(/\/incidents\/[0-9a-f-]{36}$/);
    await expectPage(page.getByRole('heading', { name: 'Incident: Payments' })).toBeVisible();
    await expectPage(page.locator('.incident-detail .status')).toHaveText('Resolved');
    await expectPage(page.locator('.incident-detail')).toContainText('recovered');
    // Each region went down and up again, and the monitor with them.
    const timeline = page.locator('.timeline-item');
    await expectPage(timeline.filter({ hasText: 'Down' }).first()).toBeVisible();
    expect(await page.locator('.timeline-to-down').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.timeline-to-up').count()).toBeGreaterThanOrEqual(2);
    await page.waitForTimeout(300);
    await shot('incident-detail');

    await page.getByRole('link', { name: 'Payments', exact: true }).click();
    await expectPage(page.locator('.monitor-meta .status')).toHaveText('Up');
    await expectPage(page.locator('.incident-banner')).toHaveCount(0);
  });

  /** Local date-time input values (the browser's zone) `minutes` from now. */
  const localInput = (minutes: number) =>
    page.evaluate((m) => {
      const d = new Date(Date.now() + m * 60_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    }, minutes);

  it('schedules a one-off window through the form, showing a 400 beside its field', async () => {
    await page.getByRole('link', { name: 'Maintenance', exact: true }).click();
    await expectPage(page.getByText('No maintenance window yet.')).toBeVisible();
    await page.getByRole('link', { name: 'New window' }).click();
    await page.getByLabel('Name').fill('Database upgrade');
    await page.getByRole('checkbox', { name: 'Payments' }).check();
    const typedAt = Date.now();
    const start = await localInput(-5);
    await page.getByLabel('Starts').fill(start);
    await page.getByLabel('Ends').fill(await localInput(-10));
    await page.getByRole('button', { name: 'Create window' }).click();
    await expectPage(page.locator('#endsAt-error')).toHaveText('Must be after the start');
    await expectPage(page.getByLabel('Ends')).toBeFocused();
    await shot('maintenance-form-error');
    await page.getByLabel('Ends').fill(await localInput(60));
    await page.getByRole('button', { name: 'Create window' }).click();
    await page.waitForURL((url) => url.pathname === '/maintenance');
    const window = page.locator('.window', { hasText: 'Database upgrade' });
    await expectPage(window.locator('.status')).toHaveText('Maintenance');
    await expectPage(window.locator('.window-next')).toContainText('Active now');
    await expectPage(window.getByRole('link', { name: 'Payments' })).toBeVisible();

    // The local time typed in Berlin reached the API as the same instant (to the minute typed).
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe(TIME_ZONE);
    const stored = await page.evaluate(async () => {
      const response = await fetch('/api/maintenance');
      return ((await response.json()) as { windows: Array<{ startsAt: string }> }).windows[0]!.startsAt;
    });
    const offset = Date.parse(stored) - (typedAt - 5 * 60_000);
    expect(offset).toBeLessThanOrEqual(0);
    expect(offset).toBeGreaterThan(-61_000);
  });

  it('schedules a weekly window in the browser’s time zone and lists it with its next occurrence', async () => {
    await page.getByRole('link', { name: 'New window' }).click();
    await page.getByLabel('Name').fill('Weekly deploys');
    await page.getByRole('checkbox', { name: 'Payments' }).check();
    await page.getByLabel('Weekly').check();
    await expectPage(page.getByLabel('Time zone')).toHaveValue(TIME_ZONE);
    await page.getByRole('checkbox', { name: 'Tue' }).check();
    await page.getByRole('checkbox', { name: 'Thu' }).check();
    await page.getByLabel('At', { exact: true }).fill('03:30');
    await page.getByLabel('For (minutes)').fill('90');
    await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
    await page.getByRole('button', { name: 'Create window' }).click();
    await expectPage(page.locator('#timeZone-error')).toHaveText(
      'Must be an IANA time zone such as Europe/Berlin',
    );
    await page.getByLabel('Time zone').fill(TIME_ZONE);
    await page.getByRole('button', { name: 'Create window' }).click();
    await page.waitForURL((url) => url.pathname === '/maintenance');
    const weekly = page.locator('.window', { hasText: 'Weekly deploys' });
    await expectPage(weekly.locator('.window-schedule')).toHaveText(
      `Weekly on Tue, Thu at 03:30 for 1 h 30 min (${TIME_ZONE})`,
    );
    await expectPage(weekly.locator('.window-next')).toContainText('Next:');
    await expectPage(page.locator('.window')).toHaveCount(2);

    // Edit: the form comes back filled in as saved.
    await weekly.getByRole('link', { name: /Edit/ }).click();
    await expectPage(page.getByLabel('For (minutes)')).toHaveValue('90');
    expect(await page.getByLabel('Weekly').isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Thu' }).isChecked()).toBe(true);
    await expectPage(page.getByLabel('At', { exact: true })).toHaveValue('03:30');
    await page.getByLabel('For (minutes)').fill('120');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL((url) => url.pathname === '/maintenance');
    await expectPage(weekly.locator('.window-schedule')).toHaveText(
      `Weekly on Tue, Thu at 03:30 for 2 h (${TIME_ZONE})`,
    );
    await page.waitForTimeout(300);
    await shot('maintenance');
  });

  it('fits a 375 px phone in dark mode', async () => {
    const { page: phone, close } = await openSignedIn(dashboard, {
      viewport: { width: 375, height: 812 },
      isMobile: true,
      colorScheme: 'dark',
      timezoneId: TIME_ZONE,
    });
    for (const [path, ready] of [
      ['/incidents', '.incident'],
      ['/maintenance', '.window'],
      [`/monitors/${monitorId}`, '.incidents .incident'],
    ] as const) {
      await phone.goto(path);
      await expectPage(phone.locator(ready).first()).toBeVisible();
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await phone.goto('/maintenance');
    await expectPage(phone.locator('.window').first()).toBeVisible();
    const chip = await phone
      .locator('.window .status-maintenance')
      .first()
      .evaluate((e) => getComputedStyle(e).color);
    expect(chip).toBe('rgb(196, 181, 253)');
    await shot('maintenance-phone-dark', phone);
    await phone.goto('/incidents');
    await expectPage(phone.locator('.incident').first()).toBeVisible();
    await shot('incidents-phone-dark', phone);
    await close();
  });

  it('deletes a window after confirmation', async () => {
    await page.getByRole('link', { name: 'Maintenance', exact: true }).click();
    const weekly = page.locator('.window', { hasText: 'Weekly deploys' });
    await weekly.getByRole('button', { name: /Delete/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this maintenance window?' });
    await expectPage(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await expectPage(dialog).toBeHidden();
    await weekly.getByRole('button', { name: /Delete/ }).click();
    await dialog.getByRole('button', { name: 'Delete window' }).click();
    await expectPage(page.locator('.window')).toHaveCount(1);
    await expectPage(page.locator('.window')).toContainText('Database upgrade');
  });

  it('shows the monitor in maintenance on the overview and its page', async () => {
    await page.getByRole('link', { name: 'Monitors', exact: true }).click();
    const row = page.locator('[role=row]', {
      has: page.getByRole('link', { name: 'Payments', exact: true }),
    });
    await expectPage(row.locator('.monitor-cell .status')).toHaveText('Maintenance', { timeout: 20_000 });
    await expectPage(page.locator('.count-maintenance .count-number')).toHaveText('1');
    await page.locator('.count-maintenance').click();
    await page.waitForURL(/status=maintenance/);
    await expectPage(page.locator('.monitors-body [role=row]')).toHaveCount(1);
    await row.getByRole('link', { name: 'Payments', exact: true }).click();
    // The monitor's own state follows with its next check (the overview knows the window at once).
    await expectPage(page.locator('.monitor-meta .status')).toHaveText('Maintenance', { timeout: 45_000 });
    expect(problems).toEqual([]);
  });
});
