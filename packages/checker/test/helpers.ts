import type { CheckRequest } from '../src/index.js';

/** A GET that expects 2xx, follows redirects and may reach 127.0.0.1; override what a test is about. */
export function checkRequest(url: string, overrides: Partial<CheckRequest> = {}): CheckRequest {
  return {
    url,
    method: 'GET',
    timeoutMs: 5_000,
    expectedStatus: ['200-299'],
    keyword: null,
    keywordMode: 'present',
    followRedirects: true,
    allowPrivateTargets: true,
    ...overrides,
  };
}
