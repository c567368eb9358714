import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '@better-uptime/testing';
import {
  callApi,
  chromiumAvailable,
  type Dashboard,
  openDashboard,
  openSignedIn,
  screenshot,
} from './harness.js';
import { totpCode, totpStep } from '../../apps/api/src/auth/totp.js';
import { expectPage } from './wait.js';

/**
 * The dashboard end to end, in Debian's Chromium against the real system (API, producer, workers for two
 * regions) and a local target: sign up, create a monitor, watch it go Up then Down without reloading,
 * read its charts, edit, pause and delete it, log out. Screenshots land in test-output/screenshots.
 */
describe.skipIf(!chromiumAvailable())('dashboard in a browser', { timeout: 180_000 }, () => {
  let dashboard: Dashboard;
  let target: TargetServer;
  let page: Page;
  let problems: string[];
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    target = await startTarget();
    target.override('/health', { status: 200, body: 'all good' });
    dashboard = await openDashboard();
    ({ page, problems } = dashboard);
  }, 180_000);
  afterAll(async () => {
    await dashboard?.close();
    await target?.close();
  });

  const shot = (name: string, on: Page = page) => screenshot(on, name);
  const row = (name: string) =>
    page.locator('[role=row]', { has: page.getByRole('link', { name, exact: true }) });

  it('opens a new install (no account yet) on sign-up, and signs up', async () => {
    await page.goto('/');
    await page.waitForURL('**/signup');
    await expectPage(page.getByRole('heading', { name: 'Create an account' })).toBeVisible();
    await page.getByLabel('Name').fill('Ada');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The API's message, beside the field it names.
    await expectPage(page.locator('#password-error')).toHaveText('Must be at least 10 characters');
    await expectPage(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await expectPage(page.getByText('No monitors yet.')).toBeVisible();
    // The session is the API's httpOnly cookie: nothing in page storage.
    expect(
      await page.evaluate(() => Object.keys(localStorage).length + Object.keys(sessionStorage).length),
    ).toBe(0);
    expect(await page.evaluate(() => document.cookie)).not.toContain('bu_session');
  });

  it('creates a monitor against a local target and shows it Up in the overview', async () => {
    await page.getByRole('link', { name: 'New monitor' }).first().click();
    await page.getByLabel('URL').fill(`${target.url}/health`);
    await page.getByLabel('Name').fill('Checkout API');
    await page.getByLabel('Check every (seconds)').fill('30');
    await page.getByLabel('Keyword').fill('good');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);
    await expectPage(page.getByRole('heading', { name: 'Checkout API' })).toBeVisible();
    await page.getByRole('link', { name: 'Monitors', exact: true }).first().click();
    // The API pushes a new monitor to the workers at once: Up within seconds, without a reload.
    await expectPage(row('Checkout API').locator('.monitor-cell .status')).toHaveText('Up', {
      timeout: 20_000,
    });
    await expectPage(row('Checkout API').locator('.region-state')).toHaveCount(2);
    await expectPage(page.locator('.count-up .count-number')).toHaveText('1');
  });

  it('renders a monitor named like markup as text, never as markup', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const { status } = await callApi(page, 'POST', '/api/monitor', {
      name,
      url: `${target.url}/ok`,
      paused: true,
    });
    expect(status).toBe(201);
    // Made outside this page (and paused: no check, no event), it is listed when the overview loads.
    await page.reload();
    await expectPage(page.getByRole('link', { name, exact: true })).toBeVisible({ timeout: 10_000 });
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.getByRole('link', { name, exact: true }).click();
    await expectPage(page.getByRole('heading', { name, exact: true })).toBeVisible();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.goBack();
    expect(problems).toEqual([]);
  });

  it('turns Down when the target fails, without reloading the page', async () => {
    target.override('/health', { status: 503, body: 'maintenance' });
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    // The next 30-second slot finds it failing; the overview follows live, without reloading.
    await expectPage(row('Checkout API').locator('.monitor-cell .status')).toHaveText('Down', {
      timeout: 60_000,
    });
    await expectPage(page.locator('.count-down .count-number')).toHaveText('1');
    // A tick from the live stream names the region and the outcome; the status code is in the checks table.
    await expectPage(row('Checkout API').locator('.tick-down').first()).toHaveAttribute('title', /Down/);
    expect(navigations).toEqual([]);
    await page.waitForTimeout(300);
    await shot('overview');
  });

  it('shows the monitor page: stats per region, charts with points, latest checks, paged table', async () => {
    await row('Checkout API').getByRole('link', { name: 'Checkout API' }).click();
    await expectPage(page.getByRole('heading', { name: 'Checkout API' })).toBeVisible();
    await expectPage(page.locator('.chart')).toHaveCount(2);
    await expectPage(page.locator('.chart').first().locator('circle.point').first()).toBeVisible();
    expect(await page.locator('.chart circle.point').count()).toBeGreaterThanOrEqual(2);
    await expectPage(page.locator('.chart .down-band').first()).toBeAttached();
    await expectPage(page.locator('.stats-table tbody tr')).toHaveCount(2);
    await expectPage(page.locator('.latest-cards li')).toHaveCount(2);
    await expectPage(page.locator('.checks-table tbody tr').first()).toContainText('503');
    // A narrower window, from the address.
    await page.getByRole('button', { name: '1h', exact: true }).click();
    await page.waitForURL(/window=1h/);
    await expectPage(page.getByRole('button', { name: '1h', exact: true })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    await expectPage(page.locator('.chart').first().locator('circle.point').first()).toBeVisible();
    // Keyboard: arrow keys read the chart's buckets.
    await page.locator('.chart-area').first().focus();
    await page.keyboard.press('End');
    await expectPage(page.locator('.chart-tooltip').first()).toContainText('Checks');
    await page.waitForTimeout(300);
    await shot('monitor');
    await page.keyboard.press('Escape');
  });

  it('edits the monitor, showing the API’s validation message beside the field', async () => {
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await expectPage(page.getByLabel('URL')).toHaveValue(`${target.url}/health`);
    await page.getByLabel('Check every (seconds)').fill('5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectPage(page.locator('#intervalSeconds-error')).toHaveText('Must be at least 10');
    await expectPage(page.getByLabel('Check every (seconds)')).toBeFocused();
    await shot('monitor-form-error');
    await page.getByLabel('Check every (seconds)').fill('60');
    await page.getByLabel('Name').fill('Checkout API (edited)');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectPage(page.getByRole('heading', { name: 'Checkout API (edited)' })).toBeVisible();
    await expectPage(page.locator('.monitor-meta')).toContainText('every 1 min');
  });

  it('pauses and resumes it', async () => {
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expectPage(page.getByRole('button', { name: 'Resume', exact: true })).toBeVisible();
    await expectPage(page.locator('.monitor-meta .status')).toHaveText('Paused');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await expectPage(page.getByRole('button', { name: 'Pause', exact: true })).toBeVisible();
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expectPage(page.locator('.monitor-meta .status')).toHaveText('Paused');
  });

  it('deletes it after confirmation', async () => {
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this monitor?' });
    await expectPage(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expectPage(dialog).toBeHidden();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.getByRole('button', { name: 'Delete monitor' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await expectPage(page.getByRole('link', { name: 'Checkout API (edited)' })).toHaveCount(0);
    await expectPage(page.locator('.monitors-body [role=row]')).toHaveCount(1); // the paused markup-named one
  });

  it('fits a phone screen and follows a dark system preference', async () => {
    const { page: phone, close } = await openSignedIn(dashboard, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      colorScheme: 'dark',
    });
    await phone.goto('/');
    await expectPage(phone.locator('.monitors-body [role=row]')).toHaveCount(1);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const background = await phone.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe('rgb(15, 18, 22)');
    await shot('overview-phone-dark', phone);
    await close();
  });

  it('manages the account: an API key shown once, two-factor authentication with a QR code', async () => {
    await page.getByRole('link', { name: 'Ada' }).click();
    await page.waitForURL('**/account');
    await expectPage(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
    await page.getByLabel('Name').fill('deploy script');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expectPage(page.locator('.new-key')).toHaveText(/^bu_[A-Za-z0-9_-]{43}$/);
    await expectPage(page.getByRole('cell', { name: 'deploy script', exact: true })).toBeVisible();
    await expectPage(page.getByRole('cell', { name: 'this session' })).toBeVisible();

    await page.getByRole('button', { name: 'Set up' }).click();
    const qr = page.locator('img.qr');
    await expectPage(qr).toBeVisible();
    expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    const secret = (await page.locator('code.totp-secret').textContent())!;
    await page.getByLabel('Code from the app').fill(totpCode(secret, totpStep(Date.now())));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expectPage(page.locator('.recovery-codes')).toBeVisible();
    recoveryCodes = (await page.locator('.recovery-codes').textContent())!.split('\n');
    await expectPage(page.getByText('On. 10 recovery codes left.')).toBeVisible();
    await shot('account');
  });

  it('logs out and lands on the login page', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.goto('/monitors/new');
    await page.waitForURL(/\/login\?next=%2Fmonitors%2Fnew$/);
    expect(problems).toEqual([]);
  });

  it('deletes the account after confirmation, asking for the password and a second factor', async () => {
    await page.goto('/login');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Authentication code').fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('link', { name: 'Ada' }).click();
    await page.waitForURL('**/account');

    const section = page.getByRole('region', { name: 'Delete account' });
    const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
    await section.getByLabel('Your password').fill('not my password');
    await section.getByLabel('Two-factor code or a recovery code').fill(recoveryCodes[1]!);
    await section.getByRole('button', { name: 'Delete account…' }).click();
    await expectPage(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expectPage(dialog).toBeHidden();
    await section.getByRole('button', { name: 'Delete account…' }).click();
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await expectPage(dialog.getByRole('alert')).toHaveText('body/password is not the current password');
    await page.keyboard.press('Escape');
    await expectPage(dialog).toBeHidden();

    await section.getByLabel('Your password').fill('correct horse battery');
    await section.getByRole('button', { name: 'Delete account…' }).click();
    await shot('account-delete');
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    // With no account left, the dashboard opens on sign-up again; the old credentials no longer work.
    await page.waitForURL('**/signup');
    const status = await page.evaluate(async () => {
      const response = await fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com', password: 'correct horse battery' }),
      });
      return response.status;
    });
    expect(status).toBe(401);
    expect(problems).toEqual([]);
  });
});
