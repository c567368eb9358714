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
 * Status pages in Chromium against the real system: a monitor with public badges shows its badge URLs
 * (copied, previewed); a status page is created through the dashboard (the API's 400 beside its field
 * first), read at /status/:slug without a session, edited and deleted after confirmation, at desktop and
 * at 375 px widths.
 */
describe.skipIf(!chromiumAvailable())('status pages in a browser', { timeout: 120_000 }, () => {
  let dashboard: Dashboard;
  let target: TargetServer;
  let page: Page;
  let problems: string[];
  let monitorId: string;

  beforeAll(async () => {
    target = await startTarget();
    dashboard = await openDashboard({
      context: { permissions: ['clipboard-read', 'clipboard-write'] },
    });
    ({ page, problems } = dashboard);
  }, 120_000);
  afterAll(async () => {
    await dashboard?.close();
    await target?.close();
  });

  const shot = (name: string, on: Page = page) => screenshot(on, name);

  it('shows a monitor’s public badges with their URLs, previews and copy buttons', async () => {
    await signUpInBrowser(page, 'Ada', 'ada@example.com');
    await page.getByRole('link', { name: 'New monitor' }).first().click();
    await page.getByLabel('URL').fill(`${target.url}/`);
    await page.getByLabel('Name', { exact: true }).fill('API server');
    await page.getByLabel(/Public badges/).check();
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);
    monitorId = new URL(page.url()).pathname.split('/').pop()!;

    const panel = page.locator('.badges-panel');
    await expectPage(panel.locator('.badge-url')).toHaveCount(3);
    const urls = await panel.locator('.badge-url').allTextContents();
    expect(urls).toEqual([
      `${dashboard.system.url}/api/badges/${monitorId}/status.svg`,
      `${dashboard.system.url}/api/badges/${monitorId}/uptime.svg?window=30d`,
      `${dashboard.system.url}/api/badges/${monitorId}/response.svg`,
    ]);
    // Each preview loaded (a 404 or a broken SVG leaves the image without width).
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('.badges-panel img')).every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    );
    await panel.getByRole('button', { name: 'Copy Uptime (30 days) badge URL' }).click();
    await expectPage(panel.getByText('Copied')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(urls[1]);
    await shot('monitor-badges');
  });

  /** Fills the new status page form with the monitor under `displayName` (a bad address first) and saves. */
  async function createThroughForm(on: Page, slug: string, displayName: string) {
    await on.getByRole('link', { name: 'New status page' }).first().click();
    await on.waitForURL((url) => url.pathname === '/status-pages/new');
    await on.getByLabel('Title').fill('Acme status');
    await on.getByLabel('Address').fill('Not A Slug');
    await on.getByRole('checkbox', { name: 'API server' }).check();
    await on.getByLabel('Name visitors see for API server').fill(displayName);
    await on.getByRole('button', { name: 'Create status page' }).click();
    await expectPage(on.locator('#slug-error')).toHaveText(
      'Must be lower-case letters, digits and inner hyphens (URL-safe)',
    );
    await expectPage(on.getByLabel('Address')).toBeFocused();
    await on.getByLabel('Address').fill(slug);
    await on.getByRole('button', { name: 'Create status page' }).click();
    await on.waitForURL((url) => url.pathname === '/status-pages');
  }

  /** Creates, reads, edits and deletes a status page through the dashboard on `on`. */
  async function roundTrip(on: Page, slug: string) {
    await on.goto('/status-pages');
    await expectPage(on.getByText('No status page yet.')).toBeVisible();
    await createThroughForm(on, slug, 'Public API');
    const card = on.locator('.window', { hasText: 'Acme status' });
    await expectPage(card).toContainText('1 section, 1 monitor');
    const overflow = await on.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    // The public page, a full load outside the dashboard: the display name, never the monitor's URL.
    await card.getByRole('link', { name: `/status/${slug}` }).click();
    await on.waitForURL((url) => url.pathname === `/status/${slug}`);
    await expectPage(on.getByText('Public API').first()).toBeVisible();
    const html = await on.content();
    expect(html).toContain('Acme status');
    expect(html).not.toContain(target.url);
    expect(html).not.toContain('API server');

    await on.goto('/status-pages');
    await on.getByRole('link', { name: 'Edit Acme status' }).click();
    await expectPage(on.getByLabel('Title')).toHaveValue('Acme status');
    await expectPage(on.getByLabel('Name visitors see for API server')).toHaveValue('Public API');
    await on.getByLabel('Title').fill('Acme platform status');
    await on.getByLabel('Name visitors see for API server').fill('Core API');
    await on.getByLabel(/90-day uptime percentage/).uncheck();
    await on.getByRole('button', { name: 'Save changes' }).click();
    await on.waitForURL((url) => url.pathname === '/status-pages');
    await expectPage(on.locator('.window')).toContainText('Acme platform status');
    const answer = await on.request.get(`/api/public/status-pages/${slug}`);
    expect(answer.status()).toBe(200);
    const body = JSON.stringify(await answer.json());
    expect(body).toContain('Core API');
    expect(body).not.toContain('Public API');

    const deleting = on.locator('.window', { hasText: 'Acme platform status' });
    await deleting.getByRole('button', { name: /Delete/ }).click();
    const dialog = on.getByRole('dialog', { name: 'Delete this status page?' });
    await expectPage(dialog).toBeVisible();
    await on.keyboard.press('Escape');
    await expectPage(dialog).toBeHidden();
    await expectPage(on.locator('.window')).toHaveCount(1);
    await deleting.getByRole('button', { name: /Delete/ }).click();
    await dialog.getByRole('button', { name: 'Delete status page' }).click();
    await expectPage(on.getByText('No status page yet.')).toBeVisible();
    expect((await on.request.get(`/status/${slug}`)).status()).toBe(404);
  }

  it('creates, shows, edits and deletes a status page at desktop width', async () => {
    await page.getByRole('link', { name: 'Status pages' }).click();
    await page.waitForURL((url) => url.pathname === '/status-pages');
    await roundTrip(page, 'acme');
    await shot('status-pages');
  });

  it('does the same on a 375 px phone', async () => {
    const {
      page: phone,
      problems: phoneProblems,
      close,
    } = await openSignedIn(dashboard, { viewport: { width: 375, height: 812 }, isMobile: true });
    await roundTrip(phone, 'acme-phone');
    await phone.goto('/status-pages/new');
    await phone.getByRole('checkbox', { name: 'API server' }).check();
    await shot('status-page-form-phone', phone);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await close();
    expect(phoneProblems).toEqual([]);
  });

  it('posts an incident update (a 400 beside its field first) that the status page shows', async () => {
    await page.goto('/status-pages');
    await createThroughForm(page, 'acme-incidents', 'Public API');
    // The target answers 404 at /: the monitor's incident opens after its recheck.
    await page.goto(`/monitors/${monitorId}`);
    const incident = page.locator('.incidents .incident-link').first();
    await expectPage(incident).toBeVisible({ timeout: 60_000 });
    await incident.click();
    await page.waitForURL(/\/incidents\/[0-9a-f-]{36}$/);
    await page.getByRole('button', { name: 'Post update' }).click();
    await expectPage(page.locator('#update-message-error')).toHaveText('Must not be empty');
    await page.locator('#update-status').selectOption('identified');
    await page.getByLabel('Message').fill('The health route answers 404 since the deploy.');
    await page.getByRole('button', { name: 'Post update' }).click();
    await expectPage(page.getByRole('status').filter({ hasText: 'Posted “Identified”' })).toBeVisible();

    // The public page is computed at most once per 5 s (its max-age): it may show the update after that.
    const posted = page.getByText('The health route answers 404 since the deploy.');
    const deadline = Date.now() + 15_000;
    for (;;) {
      await page.goto('/status/acme-incidents');
      if ((await posted.count()) > 0 || Date.now() > deadline) break;
      await page.waitForTimeout(1_000);
    }
    await expectPage(posted).toBeVisible();
    await shot('status-page-public');
    expect(problems).toEqual([]);
  });
});
