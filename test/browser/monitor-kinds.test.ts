import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '@better-uptime/testing';
import { chromiumAvailable, type Dashboard, openDashboard, screenshot, signUpInBrowser } from './harness.js';
import { expectPage } from './wait.js';

/**
 * The monitor form for every kind in Chromium against the real system: one monitor of each kind (http,
 * tcp, dns, tls, ping, heartbeat) created through the form's kind selector and that kind's fields, a 400
 * shown beside the field it names, each monitor's page describing its kind; the heartbeat's push URL shown
 * once, pushed to, and its slot judged up.
 */
describe.skipIf(!chromiumAvailable())('the monitor form for every kind', { timeout: 150_000 }, () => {
  let dashboard: Dashboard;
  let target: TargetServer;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    target = await startTarget();
    dashboard = await openDashboard();
    ({ page, problems } = dashboard);
    await signUpInBrowser(page, 'Kim', 'kim@example.com');
  }, 120_000);
  afterAll(async () => {
    await dashboard?.close();
    await target?.close();
  });

  const shot = (name: string) => screenshot(page, name);

  /** Opens the form, picks the kind and fills the fields given by label; returns after the click. */
  async function fillForm(kind: string, name: string, fields: Record<string, string>) {
    await page.goto('/monitors/new');
    await page.getByLabel('Kind', { exact: true }).selectOption({ label: kind });
    for (const [label, value] of Object.entries(fields)) {
      await page.getByLabel(label, { exact: true }).fill(value);
    }
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Create monitor' }).click();
  }

  const cases: Array<{ kind: string; name: string; fields: Record<string, string>; meta: RegExp }> = [
    {
      kind: 'HTTP(S)',
      name: 'Web',
      fields: { URL: '', 'Check every (seconds)': '30' },
      meta: /HTTP\(S\) every 30 s.*GET, expecting 200-299/,
    },
    {
      kind: 'TCP port',
      name: 'Port',
      fields: { Host: '127.0.0.1', Port: '', 'Expect in the reply': 'HTTP/1.1' },
      meta: /TCP port every .*TCP connect, expects “HTTP\/1.1”/,
    },
    {
      kind: 'DNS record',
      name: 'Records',
      fields: { 'Name to query': 'example.test', Resolver: '127.0.0.1:1' },
      meta: /DNS record every .*A record, from 127\.0\.0\.1:1/,
    },
    {
      kind: 'TLS certificate',
      name: 'Certificate',
      fields: { Host: '127.0.0.1', Port: '' },
      meta: /certificate valid for at least 14 more days/,
    },
    {
      kind: 'Ping (ICMP)',
      name: 'Loopback',
      fields: { Host: '127.0.0.1', Packets: '2' },
      meta: /Ping \(ICMP\) every .*2 packets, at most 0 % lost/,
    },
  ];

  it('creates a monitor of each probed kind, each page describing its kind', async () => {
    for (const c of cases) {
      const fields = { ...c.fields };
      if ('URL' in fields) fields.URL = `${target.url}/health`;
      if ('Port' in fields) fields.Port = String(target.port);
      await fillForm(c.kind, c.name, fields);
      await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);
      await expectPage(page.getByRole('heading', { name: c.name })).toBeVisible();
      await expectPage(page.locator('.monitor-meta')).toHaveText(c.meta);
    }
    // The ping to 127.0.0.1 and the TCP connect come back up, with their details.
    await page.getByRole('link', { name: 'Monitors', exact: true }).first().click();
    await page.getByRole('link', { name: 'Loopback' }).first().click();
    await expectPage(page.locator('.latest-cards .check-detail').first()).toContainText('0 % lost', {
      timeout: 30_000,
    });
    await shot('monitor-kind-ping');
  });

  it('shows the API’s 400 beside the kind’s own field', async () => {
    await fillForm('TCP port', 'Bad port', { Host: '127.0.0.1', Port: '70000' });
    await expectPage(page.locator('#port-error')).toHaveText('Must be at most 65535');
    await expectPage(page.getByLabel('Port', { exact: true })).toBeFocused();
    await page.getByLabel('Kind', { exact: true }).selectOption({ label: 'DNS record' });
    await page.getByLabel('Name to query', { exact: true }).fill('example.test');
    await page.getByLabel('Record type', { exact: true }).selectOption('MX');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);
    await expectPage(page.locator('.monitor-meta')).toHaveText(/MX record/);
    // Editing keeps the kind and its settings.
    await page.getByRole('link', { name: 'Edit' }).click();
    await expectPage(page.getByLabel('Kind', { exact: true })).toHaveValue('dns');
    await expectPage(page.getByLabel('Record type', { exact: true })).toHaveValue('MX');
    await shot('monitor-form-dns');
  });

  it('creates a heartbeat, shows its push URL once, and a push makes its slot up', async () => {
    await fillForm('Heartbeat (push)', 'Nightly backup', {
      'Expect a push every (seconds)': '10',
      'Grace (seconds)': '-1',
    });
    await expectPage(page.locator('#graceSeconds-error')).toHaveText('Must be at least 0');
    // A heartbeat has no timeout nor regions to choose.
    await expectPage(page.getByLabel('Timeout (milliseconds)')).toBeHidden();
    await page.getByLabel('Grace (seconds)', { exact: true }).fill('0');
    await page.getByLabel('Failed checks before down').fill('1');
    await page.getByLabel('Good checks before up').fill('1');
    await page.getByRole('button', { name: 'Create monitor' }).click();
    const shown = page.locator('pre.push-url');
    await expectPage(shown).toHaveText(/\/api\/push\/hb_[A-Za-z0-9_-]{32}$/);
    const pushUrl = (await shown.textContent())!.trim();
    await shot('monitor-heartbeat-url');

    // A cron job's call (through the system's own address: PUBLIC_URL is not set in tests).
    const path = new URL(pushUrl).pathname;
    const pushed = await fetch(`${dashboard.system.url}${path}?message=backup%20done`, { method: 'POST' });
    expect(pushed.status).toBe(200);

    await page.getByRole('link', { name: 'Go to the monitor' }).click();
    await page.waitForURL(/\/monitors\/[0-9a-f-]{36}$/);
    await expectPage(page.locator('.monitor-meta')).toHaveText(
      /Heartbeat \(push\) every 10 s: a push expected/,
    );
    await expectPage(page.locator('.push-panel code.push-url')).toHaveText(/…[A-Za-z0-9_-]{4}$/);
    expect(await page.locator('.push-panel').textContent()).not.toContain(path.split('/').pop()!);
    await expectPage(page.locator('.last-push')).toContainText('“backup done”');
    // The producer judges the next slot from the push: up, in the region "push".
    const card = page.locator('.latest-cards li').first();
    await expectPage(card.locator('.region-name')).toHaveText('push', { timeout: 30_000 });
    await expectPage(card).toContainText('Up');

    // A new URL is shown once, and the old one stops working.
    await page.getByRole('button', { name: 'New push URL' }).click();
    await expectPage(page.locator('.push-panel pre.push-url')).toHaveText(/\/api\/push\/hb_/);
    expect((await fetch(`${dashboard.system.url}${path}`)).status).toBe(404);
    await shot('monitor-heartbeat');
    expect(problems).toEqual([]);
  });
});
