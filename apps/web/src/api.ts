import type { Check, Monitor, MonitorInput, MonitorStats, Overview, StatsWindow, User } from './types.js';

/**
 * The API on the dashboard's own origin. The session lives in the API's httpOnly cookie, never in page
 * storage; writes carry the readable bu_csrf cookie's value as x-csrf-token (the API's double submit).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The body field a validation message names ("body/intervalSeconds must be >= 30" names
   * intervalSeconds), with the message reworded for display beside it.
   */
  get field(): { name: string; message: string } | null {
    const match = /^body\/([A-Za-z]+)(?:\/\d+)?\s+(.*)$/.exec(this.message);
    return match ? { name: match[1]!, message: capitalise(match[2]!) } : null;
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Called when the session turns out to be gone, so the app can send the user to the login page. */
let onUnauthorized: () => void = () => undefined;
export function handleUnauthorized(callback: () => void): void {
  onUnauthorized = callback;
}

function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const csrf = method === 'GET' ? undefined : readCookie('bu_csrf');
  if (csrf) headers['x-csrf-token'] = csrf;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection.');
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as {
    error?: { code: string; message: string };
  } | null;
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      data?.error?.code ?? 'error',
      data?.error?.message ?? `The server answered ${response.status}`,
    );
    if (response.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized();
    throw error;
  }
  return data as T;
}

const monitorPath = (id: string) => `/api/monitor/${encodeURIComponent(id)}`;
const resultsPath = (id: string) => `/api/results/${encodeURIComponent(id)}`;

export const api = {
  me: (signal?: AbortSignal) => request<{ user: User }>('GET', '/api/auth/me', undefined, signal),
  login: (email: string, password: string) =>
    request<{ user: User }>('POST', '/api/auth/login', { email, password }),
  signup: (name: string, email: string, password: string) =>
    request<{ user: User }>('POST', '/api/auth/signup', { name, email, password }),
  logout: () => request<void>('POST', '/api/auth/logout'),

  regions: (signal?: AbortSignal) => request<{ regions: string[] }>('GET', '/api/regions', undefined, signal),
  overview: (signal?: AbortSignal) => request<Overview>('GET', '/api/overview', undefined, signal),

  monitor: (id: string, signal?: AbortSignal) =>
    request<{ monitor: Monitor }>('GET', monitorPath(id), undefined, signal),
  createMonitor: (input: MonitorInput) => request<{ monitor: Monitor }>('POST', '/api/monitor', input),
  updateMonitor: (id: string, input: MonitorInput) =>
    request<{ monitor: Monitor }>('PUT', monitorPath(id), input),
  deleteMonitor: (id: string) => request<void>('DELETE', monitorPath(id)),

  stats: (id: string, window: StatsWindow, signal?: AbortSignal) =>
    request<MonitorStats>('GET', `${resultsPath(id)}/stats?window=${window}`, undefined, signal),
  latest: (id: string, signal?: AbortSignal) =>
    request<{ latest: Check[] }>('GET', `${resultsPath(id)}/latest`, undefined, signal),
  checks: (id: string, options: { limit: number; cursor?: string | undefined }, signal?: AbortSignal) => {
    const query = new URLSearchParams({ limit: String(options.limit) });
    if (options.cursor) query.set('cursor', options.cursor);
    return request<{ checks: Check[]; nextCursor: string | null }>(
      'GET',
      `${resultsPath(id)}/checks?${query}`,
      undefined,
      signal,
    );
  },
};
