import type { Locator } from 'playwright-core';

/**
 * Retrying assertions on a locator, in the spirit of @playwright/test's web-first `expect` (which
 * playwright-core does not include): each polls until it holds or `timeout` ms pass, then fails saying
 * what it last saw.
 */
async function eventually<T>(
  read: () => Promise<T>,
  holds: (value: T) => boolean,
  describe: (value: T | undefined) => string,
  timeout: number,
): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (holds(last)) return;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(describe(last));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const matches = (value: string | null, expected: string | RegExp) =>
  value !== null && (typeof expected === 'string' ? value.trim() === expected : expected.test(value));

export function expectPage(locator: Locator) {
  const quick = { timeout: 500 };
  return {
    toBeVisible: ({ timeout = 10_000 } = {}) =>
      eventually(
        () => locator.isVisible(),
        (v) => v,
        () => `${locator} is not visible after ${timeout} ms`,
        timeout,
      ),
    toBeHidden: ({ timeout = 10_000 } = {}) =>
      eventually(
        () => locator.isHidden(),
        (v) => v,
        () => `${locator} is still visible after ${timeout} ms`,
        timeout,
      ),
    toBeAttached: ({ timeout = 10_000 } = {}) =>
      eventually(
        () => locator.count(),
        (n) => n > 0,
        () => `${locator} is not in the page after ${timeout} ms`,
        timeout,
      ),
    toBeFocused: ({ timeout = 10_000 } = {}) =>
      eventually(
        () => locator.evaluate((element) => element === document.activeElement, undefined, quick),
        (v) => v,
        () => `${locator} does not have focus after ${timeout} ms`,
        timeout,
      ),
    toHaveCount: (count: number, { timeout = 10_000 } = {}) =>
      eventually(
        () => locator.count(),
        (n) => n === count,
        (n) => `${locator}: ${n} elements, expected ${count}, after ${timeout} ms`,
        timeout,
      ),
    toHaveText: (expected: string | RegExp, { timeout = 10_000 } = {}) =>
      eventually(
        () => locator.textContent(quick),
        (text) => matches(text, expected),
        (text) =>
          `${locator}: text ${JSON.stringify(text)}, expected ${String(expected)}, after ${timeout} ms`,
        timeout,
      ),
    toContainText: (expected: string, { timeout = 10_000 } = {}) =>
      eventually(
        () => locator.textContent(quick),
        (text) => text !== null && text.includes(expected),
        (text) =>
          `${locator}: text ${JSON.stringify(text)} lacks ${JSON.stringify(expected)} after ${timeout} ms`,
        timeout,
      ),
    toHaveAttribute: (name: string, expected: string | RegExp, { timeout = 10_000 } = {}) =>
      eventually(
        () => locator.getAttribute(name, quick),
        (value) => matches(value, expected),
        (value) =>
          `${locator}: ${name}=${JSON.stringify(value)}, expected ${String(expected)}, after ${timeout} ms`,
        timeout,
      ),
    toHaveValue: (expected: string, { timeout = 10_000 } = {}) =>
      eventually(
        () => locator.inputValue(quick),
        (value) => value === expected,
        (value) => `${locator}: value ${JSON.stringify(value)}, expected ${JSON.stringify(expected)}`,
        timeout,
      ),
  };
}
