import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestServer, TestUser } from './helpers.js';

/** Sends `text` as a JSON body, as it is (cut off, say), with `user`'s bearer token. */
export function sendRawJson(
  app: TestServer,
  method: 'POST' | 'PUT',
  url: string,
  user: TestUser,
  text: string,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: { ...user.bearer, 'content-type': 'application/json' },
    payload: text,
  });
}

/**
 * Sends each case's payload with `user`'s bearer token: each must be refused with a 400 whose message
 * contains the case's text.
 */
export async function expectRefusedPayloads(
  app: TestServer,
  method: 'POST' | 'PUT',
  url: string,
  user: TestUser,
  cases: ReadonlyArray<readonly [unknown, string]>,
): Promise<void> {
  for (const [payload, message] of cases) {
    const res = await app.inject({ method, url, headers: user.bearer, payload: payload as object });
    expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    expect(res.json().error.message).toContain(message);
  }
}
