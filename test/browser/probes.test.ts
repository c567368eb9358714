import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, type Dashboard, openDashboard, screenshot, signUpInBrowser } from './harness.js';
import { expectPage } from './wait.js';

/**
 * The probes page in Chromium against the real system: the first account (an administrator) creates a
 * probe, sees the API's refusal of a bad region, the token once with the command to run it, and revokes it.
 */
describe.skipIf(!chromiumAvailable())('remote probes page in a browser', { timeout: 120_000 }, () => {
  let dashboard: Dashboard;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    dashboard = await openDashboard();
    ({ page, problems } = dashboard);
  }, 120_000);
  afterAll(async () => {
    await dashboard?.close();
  });

  it('creates a probe (its token shown once) and revokes it', async () => {
    await signUpInBrowser(page, 'Ada', 'ada@example.com');
    await page.getByRole('link', { name: 'Probes' }).click();
    await page.waitForURL((url) => url.pathname === '/probes');
    await page.getByLabel('Name').fill('Office');
    await page.getByLabel('Region').fill('Not A Region');
    await page.getByRole('button', { name: 'Create probe' }).click();
    await expectPage(page.getByRole('alert')).toContainText('region');
    await page.getByLabel('Region').fill('office');
    await page.getByRole('button', { name: 'Create probe' }).click();
    await expectPage(page.locator('pre.new-key')).toHaveText(
      /PROBE_TOKEN=bu_probe_\S+ npx better-uptime probe/,
    );
    const row = page.locator('tbody tr');
    await expectPage(row).toHaveCount(1);
    await expectPage(row).toContainText('office');
    await expectPage(row).toContainText('never connected');
    await screenshot(page, 'probes');
    await page.getByRole('button', { name: 'Revoke Office' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke probe' }).click();
    await expectPage(row).toHaveCount(0);
    expect(problems).toEqual([]);
  });
});
