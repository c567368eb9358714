import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchBrowser,
  newContext,
  SCREENSHOTS,
  signUpInBrowser,
  startSystem,
  type System,
} from './harness.js';
import { expectPage } from './wait.js';

/**
 * The probes page in Chromium against the real system: the first account (an administrator) creates a
 * probe, sees the API's refusal of a bad region, the token once with the command to run it, and revokes it.
 */
describe.skipIf(!chromiumAvailable())('remote probes page in a browser', { timeout: 120_000 }, () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    system = await startSystem();
    browser = await launchBrowser();
    const created = await newContext(browser, system, { viewport: { width: 1280, height: 900 } });
    problems = created.problems;
    page = await created.context.newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
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
    await page.screenshot({ path: join(SCREENSHOTS, 'probes.png'), fullPage: true });
    await page.getByRole('button', { name: 'Revoke Office' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke probe' }).click();
    await expectPage(row).toHaveCount(0);
    expect(problems).toEqual([]);
  });
});
