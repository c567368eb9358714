import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningSystem, startRoles } from '@better-uptime/cli';
import { createLogger, loadConfig } from '@better-uptime/config';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '@better-uptime/testing';
import { ensureDashboardBuilt } from '../../apps/web/scripts/ensure-built.js';

/** Debian's Chromium (installed by .ci/run); playwright-core never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots', import.meta.url));
export const REGIONS = ['usa', 'india'];

/** Whether the browser suite can run here; under CI=true a missing browser fails the run instead. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but ${CHROMIUM} is missing: apt-get install chromium`);
  console.warn(
    `\n!!! ${CHROMIUM} not found: the dashboard browser tests are SKIPPED. Install it with ` +
      '`apt-get install chromium` (Debian) to run them.\n',
  );
  return false;
}

export interface System {
  /** The API and dashboard, e.g. http://127.0.0.1:40123 */
  url: string;
  stop(): Promise<void>;
}

/**
 * The real system in this process: API (serving the built dashboard), producer and a worker per region,
 * on a PostgreSQL database of its own when the server answers, else on PGlite in a temporary directory;
 * `env` sets or overrides settings (as environment variables).
 */
export async function startSystem(env: Record<string, string> = {}): Promise<System> {
  if (!ensureDashboardBuilt()) throw new Error('the dashboard did not build');
  const dataDir = await mkdtemp(join(tmpdir(), 'bu-browser-'));
  const database: TestDatabase | undefined = postgresAvailable() ? await createTestDatabase(2) : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'browser-test-secret-0123456789abcdefghij',
    SECRETS_KEY: 'a test key for channel secrets, 32 characters or more',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    ALLOW_PRIVATE_TARGETS: 'true',
    REGIONS: REGIONS.join(','),
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    PRODUCER_TICK_MS: '200',
    SCHEDULE_LEAD_MS: '500',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  let system: RunningSystem;
  try {
    system = await startRoles(
      ['api', 'producer', 'worker'],
      config,
      createLogger('browser-test', 'silent'),
      REGIONS,
    );
  } catch (error) {
    await database?.drop();
    throw error;
  }
  return {
    url: system.api!.address,
    async stop() {
      await system.stop();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A browser context that may talk to the system only (127.0.0.1): anything else is aborted, and script
 * errors and dialogs are recorded so tests can assert there were none.
 */
export async function newContext(
  browser: Browser,
  system: System,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; problems: string[] }> {
  const context = await browser.newContext({ baseURL: system.url, ...options });
  const problems: string[] = [];
  await context.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === '127.0.0.1' || host === '[::1]' ? route.continue() : route.abort();
  });
  context.on('page', (page) => {
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // Refused requests (4xx) are part of the tests (validation, signed out); anything else is not.
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) {
        problems.push(`console: ${message.text()}`);
      }
    });
  });
  return { context, problems };
}

/** Signs a new account up through the dashboard's form and waits for the overview. */
export async function signUpInBrowser(page: Page, name: string, email: string): Promise<void> {
  await page.goto('/signup');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((url) => url.pathname === '/');
}

type ContextOptions = Parameters<Browser['newContext']>[0];

/** What a browser suite works with: the system, a browser, and a page in a context limited to the system. */
export interface Dashboard {
  system: System;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Script errors, console errors and dialogs seen so far (see newContext). */
  problems: string[];
  /** Closes the browser, then stops the system. */
  close(): Promise<void>;
}

/**
 * Starts the system (`env` as for startSystem) and Chromium, and opens a page (15 s default timeout) in a
 * context with `context` options (a 1280 × 900 viewport unless they say otherwise); a failure part way
 * stops what was started.
 */
export async function openDashboard({
  env,
  context: options = {},
}: { env?: Record<string, string>; context?: ContextOptions } = {}): Promise<Dashboard> {
  const system = await startSystem(env);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const { context, problems } = await newContext(browser, system, {
      viewport: { width: 1280, height: 900 },
      ...options,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const opened = browser;
    return {
      system,
      browser,
      context,
      page,
      problems,
      async close() {
        await opened.close();
        await system.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    await system.stop();
    throw error;
  }
}

/**
 * A second context of the dashboard's browser (another screen size, colour scheme…) signed in with the
 * dashboard page's session, and a page in it (15 s default timeout).
 */
export async function openSignedIn(
  dashboard: Dashboard,
  options: ContextOptions,
): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const { context, problems } = await newContext(dashboard.browser, dashboard.system, options);
  await context.addCookies(await dashboard.context.cookies());
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { page, problems, close: () => context.close() };
}

/** A full-page screenshot in test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Calls the API from `page` with its session and CSRF token, as the dashboard does. */
export function callApi(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = /(?:^|; )bu_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
      const response = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json().catch(() => null)) as unknown };
    },
    { method, path, body },
  );
}
