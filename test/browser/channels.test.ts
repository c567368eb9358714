import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceiverSink, startReceiverSink, startTarget, type TargetServer } from '@better-uptime/testing';
import { chromiumAvailable, type Dashboard, openDashboard, screenshot, signUpInBrowser } from './harness.js';
import { expectPage } from './wait.js';

/**
 * Notification channels in Chromium against the real system: a webhook channel is added through the
 * channels page (a 400 beside its field first), tested, edited and its deliveries shown; it is ticked by
 * default in a new monitor's form, and when that monitor's incident opens, the incident page shows the
 * delivery the notifier made to a receiver on 127.0.0.1.
 */
describe.skipIf(!chromiumAvailable())('notification channels in a browser', { timeout: 120_000 }, () => {
  let dashboard: Dashboard;
  let target: TargetServer;
  let sink: ReceiverSink;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    target = await startTarget();
    target.override('/down', { status: 503, body: 'maintenance' });
    sink = await startReceiverSink();
    dashboard = await openDashboard();
    ({ page, problems } = dashboard);
  }, 120_000);
  afterAll(async () => {
    await dashboard?.close();
    await sink?.close();
    await target?.close();
  });

  const shot = (name: string) => screenshot(page, name);

  it('adds a webhook channel, showing the API’s 400 beside its field, then its secret once', async () => {
    await signUpInBrowser(page, 'Ada', 'ada@example.com');

    await page.getByRole('link', { name: 'Channels' }).click();
    await page.waitForURL((url) => url.pathname === '/channels');
    await expectPage(page.getByText('No channels yet.')).toBeVisible();
    await page.getByRole('button', { name: 'Add channel' }).first().click();
    await page.getByLabel('Name').fill('Ops hook');
    await page.getByLabel('URL').fill('ftp://example.com/hook');
    await page.getByLabel('Default: add to new monitors').check();
    await page.locator('.channel-form').getByRole('button', { name: 'Add channel' }).click();
    await expectPage(page.locator('#channel-url-error')).toHaveText('Must use http or https');
    await page.getByLabel('URL').fill(`${sink.url}/ops`);
    await page.locator('.channel-form').getByRole('button', { name: 'Add channel' }).click();
    await expectPage(page.locator('pre.new-key')).toHaveText(/^whsec_/);
    const row = page.locator('.channels-table tbody tr');
    await expectPage(row).toHaveCount(1);
    await expectPage(row).toContainText('Ops hook (default)');
    await expectPage(row).toContainText('nothing sent yet');
  });

  it('tests the channel, shows the outcome and its deliveries, and edits it keeping the masked URL', async () => {
    await page.getByRole('button', { name: 'Test Ops hook' }).click();
    await expectPage(page.locator('.channel-note')).toHaveText('Test message to “Ops hook” delivered.');
    const hit = await sink.waitFor((r) => r.path === '/ops');
    expect((hit[0]!.json as { type: string }).type).toBe('test');
    await expectPage(page.locator('.channels-table tbody tr')).toContainText('delivered');
    await page.getByRole('button', { name: 'Deliveries of Ops hook' }).click();
    await expectPage(page.locator('.deliveries-table tbody tr')).toHaveCount(1);
    await expectPage(page.locator('.deliveries-table')).toContainText('Delivered (1 attempt');

    await page.getByRole('button', { name: 'Edit Ops hook' }).click();
    await expectPage(page.getByLabel('URL')).toHaveValue(`${sink.url}/…/ops`);
    await page.getByLabel('Name').fill('Ops webhook');
    await page.getByRole('button', { name: 'Save channel' }).click();
    await expectPage(page.locator('.channel-note')).toHaveText('Channel “Ops webhook” saved.');
    await page.getByRole('button', { name: 'Test Ops webhook' }).click();
    await expectPage(page.locator('.channel-note')).toHaveText('Test message to “Ops webhook” delivered.');
    await sink.waitFor((r) => r.path === '/ops', 2);
    await shot('channels');
  });

  it('ticks the default channel in a new monitor, and its incident page lists the delivery sent', async () => {
    await page.getByRole('link', { name: 'New monitor' }).first().click();
    const choice = page.getByRole('checkbox', { name: /Ops webhook/ });
    await expectPage(choice).toBeVisible();
    expect(await choice.isChecked()).toBe(true);
    await page.getByLabel('URL').fill(`${target.url}/down`);
    await page.getByLabel('Name', { exact: true }).fill('Status page');
    await page.getByLabel('Check every (seconds)').fill('30');
    await page.getByLabel('Recheck while failing every (seconds)').fill('5');
    await page.getByLabel('Remind every (minutes)').fill('-1');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await expectPage(page.locator('#reminderIntervalMinutes-error')).toHaveText('Must be at least 0');
    await page.getByLabel('Remind every (minutes)').fill('60');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);

    const opened = await sink.waitFor(
      (r) => r.path === '/ops' && (r.json as { type: string }).type === 'incident.opened',
      1,
      60_000,
    );
    const incidentId = (opened[0]!.json as { incident: { id: string } }).incident.id;
    await page.goto(`/incidents/${incidentId}`);
    const deliveries = page.locator('.deliveries-table tbody tr');
    await expectPage(deliveries).toHaveCount(1);
    await expectPage(deliveries).toContainText('Down');
    await expectPage(deliveries).toContainText('Ops webhook (webhook)');
    await expectPage(deliveries).toContainText('Delivered (1 attempt');
    await shot('incident-deliveries');
    expect(problems).toEqual([]);
  });
});
