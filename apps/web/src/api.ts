import type {
  Channel,
  Check,
  Delivery,
  Incident,
  MaintenanceInput,
  MaintenanceWindow,
  Monitor,
  MonitorInput,
  MonitorStats,
  MonitorStatus,
  Overview,
  StatusPage,
  StatusPageInput,
  IncidentUpdateStatus,
  StatsWindow,
  TimelineEntry,
  User,
} from './types.js';

/**
 * The API on the dashboard's own origin. The session lives in the API's httpOnly cookie, never in page
 * storage; writes carry the readable bu_csrf cookie's value as x-csrf-token (the API's double submit).
 */

/** One invalid field as the API names it ("body/intervalSeconds" or "intervalSeconds") and says why. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Every invalid field, when the API lists them. */
    readonly details: readonly FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The body fields the answer names, each with its message in words for display beside it: every one
   * in `details` when the API lists them, else the one its message starts with ("body/intervalSeconds
   * must be >= 30" names intervalSeconds; "body/weekly/time must be ..." names weekly/time). An item's
   * index is dropped, so "body/monitorIds/2 ..." names monitorIds.
   */
  get fields(): Array<{ name: string; message: string }> {
    if (this.details.length > 0) {
      return this.details.flatMap(({ field, message }) => {
        const name = fieldName(field);
        return name ? [{ name, message: inWords(message) }] : [];
      });
    }
    const match = /^(body\/[A-Za-z]+(?:\/[A-Za-z]+)*(?:\/\d+)?)\s+(.*)$/.exec(this.message);
    return match ? [{ name: fieldName(match[1]!)!, message: inWords(match[2]!) }] : [];
  }

  /** The first of `fields`. */
  get field(): { name: string; message: string } | null {
    return this.fields[0] ?? null;
  }
}

/** "body/auth/username", "/auth/username" or "auth/username" → "auth/username"; an item's index dropped. */
function fieldName(path: string): string | null {
  const name = path
    .replace(/^(body)?\/?/, '')
    .replace(/\/\d+$/, '')
    .replace(/\/\d+\//g, '/');
  return /^[A-Za-z]+(?:\/[A-Za-z]+)*$/.test(name) ? name : null;
}

/** A validation message as people say it: "must be >= 30" → "Must be at least 30". */
export function inWords(message: string): string {
  const worded = message
    .replace(/must be >= (\S+)/, 'must be at least $1')
    .replace(/must be <= (\S+)/, 'must be at most $1')
    .replace(/must be an integer/, 'must be a whole number')
    .replace(/must match pattern .*/, 'contains characters that are not allowed');
  return worded.charAt(0).toUpperCase() + worded.slice(1);
}

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
  // A body cut off by leaving the page is an abort like any other, never an answer of null.
  const data = (await response.json().catch((error: Error) => {
    if (error.name === 'AbortError') throw error;
    return null;
  })) as {
    error?: { code: string; message: string; details?: FieldProblem[] };
    details?: FieldProblem[];
  } | null;
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      data?.error?.code ?? 'error',
      data?.error?.message ?? `The server answered ${response.status}`,
      data?.error?.details ?? data?.details ?? [],
    );
    if (response.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized();
    throw error;
  }
  return data as T;
}

const monitorPath = (id: string) => `/api/monitor/${encodeURIComponent(id)}`;
const resultsPath = (id: string) => `/api/results/${encodeURIComponent(id)}`;
const incidentPath = (id: string) => `/api/incidents/${encodeURIComponent(id)}`;
const maintenancePath = (id: string) => `/api/maintenance/${encodeURIComponent(id)}`;
const channelPath = (id: string) => `/api/channels/${encodeURIComponent(id)}`;
const statusPagePath = (id: string) => `/api/status-pages/${encodeURIComponent(id)}`;

export type OverviewSort = 'state' | 'name' | 'response' | 'uptime';
export interface OverviewFilter {
  q?: string | undefined;
  status?: MonitorStatus | undefined;
  tag?: string | undefined;
  sort?: OverviewSort | undefined;
}

export interface IncidentFilter {
  status?: 'open' | 'resolved' | undefined;
  monitorId?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export const api = {
  me: (signal?: AbortSignal) => request<{ user: User }>('GET', '/api/auth/me', undefined, signal),
  login: (email: string, password: string, code?: string) =>
    request<{ user: User }>(
      'POST',
      '/api/auth/login',
      code ? { email, password, code } : { email, password },
    ),
  signup: (name: string, email: string, password: string) =>
    request<{ user: User }>('POST', '/api/auth/signup', { name, email, password }),
  /** Whether sign-up is open, and whether no account exists yet. */
  signupState: (signal?: AbortSignal) =>
    request<{ open: boolean; firstAccount: boolean }>('GET', '/api/auth/signup', undefined, signal),
  logout: () => request<void>('POST', '/api/auth/logout'),

  changePassword: (currentPassword: string, newPassword: string) =>
    request<void>('PUT', '/api/auth/password', { currentPassword, newPassword }),
  sessions: () => request<{ sessions: SessionInfo[] }>('GET', '/api/auth/sessions'),
  revokeSession: (id: string) => request<void>('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}`),
  apiKeys: () => request<{ apiKeys: ApiKeyInfo[] }>('GET', '/api/keys'),
  createApiKey: (name: string, scope: 'read' | 'write') =>
    request<{ apiKey: ApiKeyInfo; key: string }>('POST', '/api/keys', { name, scope }),
  deleteApiKey: (id: string) => request<void>('DELETE', `/api/keys/${encodeURIComponent(id)}`),
  probes: () => request<{ probes: ProbeInfo[] }>('GET', '/api/probes'),
  createProbe: (name: string, region: string) =>
    request<{ probe: ProbeInfo; token: string }>('POST', '/api/probes', { name, region }),
  revokeProbe: (id: string) => request<void>('DELETE', `/api/probes/${encodeURIComponent(id)}`),
  deleteAccount: (password: string, code?: string) =>
    request<void>('DELETE', '/api/auth/account', code === undefined ? { password } : { password, code }),
  totpStatus: () =>
    request<{ enabled: boolean; pending: boolean; recoveryCodesLeft: number }>('GET', '/api/auth/totp'),
  totpSetup: () => request<{ secret: string; otpauthUrl: string }>('POST', '/api/auth/totp/setup'),
  totpEnable: (code: string) =>
    request<{ recoveryCodes: string[] }>('POST', '/api/auth/totp/enable', { code }),
  totpDisable: (password: string, code: string) =>
    request<void>('POST', '/api/auth/totp/disable', { password, code }),

  regions: (signal?: AbortSignal) => request<{ regions: string[] }>('GET', '/api/regions', undefined, signal),
  /** One page of the overview, filtered and sorted by the server. */
  overview: (
    filter: OverviewFilter & { limit?: number; cursor?: string | undefined },
    signal?: AbortSignal,
  ) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filter)) {
      if (value !== undefined && value !== '') query.set(key, String(value));
    }
    const search = query.toString();
    return request<Overview>('GET', `/api/overview${search ? `?${search}` : ''}`, undefined, signal);
  },
  tags: (signal?: AbortSignal) =>
    request<{ tags: Array<{ name: string; monitors: number }> }>('GET', '/api/tags', undefined, signal),

  monitor: (id: string, signal?: AbortSignal) =>
    request<{ monitor: Monitor }>('GET', monitorPath(id), undefined, signal),
  createMonitor: (input: MonitorInput) => request<{ monitor: Monitor }>('POST', '/api/monitor', input),
  updateMonitor: (id: string, input: MonitorInput) =>
    request<{ monitor: Monitor }>('PUT', monitorPath(id), input),
  deleteMonitor: (id: string) => request<void>('DELETE', monitorPath(id)),
  newPushUrl: (id: string) => request<{ pushUrl: string }>('POST', `${monitorPath(id)}/push-token`),

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

  incidents: (filter: IncidentFilter, signal?: AbortSignal) => {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.monitorId) query.set('monitorId', filter.monitorId);
    if (filter.limit) query.set('limit', String(filter.limit));
    if (filter.cursor) query.set('cursor', filter.cursor);
    const search = query.toString();
    return request<{ incidents: Incident[]; nextCursor: string | null }>(
      'GET',
      `/api/incidents${search ? `?${search}` : ''}`,
      undefined,
      signal,
    );
  },
  incident: (id: string, signal?: AbortSignal) =>
    request<{ incident: Incident; timeline: TimelineEntry[] }>('GET', incidentPath(id), undefined, signal),
  acknowledgeIncident: (id: string) =>
    request<{ incident: Incident }>('POST', `${incidentPath(id)}/acknowledge`),

  /** Every maintenance window, newest first (the list's pages followed). */
  maintenanceWindows: async (signal?: AbortSignal) => {
    const all: MaintenanceWindow[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: { windows: MaintenanceWindow[]; nextCursor: string | null } = await request(
        'GET',
        `/api/maintenance?limit=1000${query}`,
        undefined,
        signal,
      );
      all.push(...page.windows);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  },
  maintenanceWindow: (id: string, signal?: AbortSignal) =>
    request<{ window: MaintenanceWindow }>('GET', maintenancePath(id), undefined, signal),
  createMaintenance: (input: MaintenanceInput) =>
    request<{ window: MaintenanceWindow }>('POST', '/api/maintenance', input),
  updateMaintenance: (id: string, input: MaintenanceInput) =>
    request<{ window: MaintenanceWindow }>('PUT', maintenancePath(id), input),
  deleteMaintenance: (id: string) => request<void>('DELETE', maintenancePath(id)),

  channels: (signal?: AbortSignal) =>
    request<{ channels: Channel[] }>('GET', '/api/channels', undefined, signal),
  createChannel: (input: ChannelInput) =>
    request<{ channel: Channel; secret: string }>('POST', '/api/channels', input),
  updateChannel: (id: string, input: Partial<ChannelInput>) =>
    request<{ channel: Channel }>('PUT', channelPath(id), input),
  deleteChannel: (id: string) => request<void>('DELETE', channelPath(id)),
  testChannel: (id: string) =>
    request<{ outcome: string; statusCode: number | null; error: string | null; delivery: Delivery }>(
      'POST',
      `${channelPath(id)}/test`,
    ),
  channelDeliveries: (id: string, signal?: AbortSignal) =>
    request<{ deliveries: Delivery[]; nextCursor: string | null }>(
      'GET',
      `${channelPath(id)}/deliveries?limit=20`,
      undefined,
      signal,
    ),
  incidentDeliveries: (id: string, signal?: AbortSignal) =>
    request<{ deliveries: Delivery[] }>('GET', `${incidentPath(id)}/deliveries`, undefined, signal),
  statusPages: (signal?: AbortSignal) =>
    request<{ statusPages: StatusPage[] }>('GET', '/api/status-pages', undefined, signal),
  statusPage: (id: string, signal?: AbortSignal) =>
    request<{ statusPage: StatusPage }>('GET', statusPagePath(id), undefined, signal),
  createStatusPage: (input: StatusPageInput) =>
    request<{ statusPage: StatusPage }>('POST', '/api/status-pages', input),
  updateStatusPage: (id: string, input: StatusPageInput) =>
    request<{ statusPage: StatusPage }>('PUT', statusPagePath(id), input),
  deleteStatusPage: (id: string) => request<void>('DELETE', statusPagePath(id)),
  /** An update shown under the incident on the status pages of its monitor. */
  postIncidentUpdate: (id: string, status: IncidentUpdateStatus, message: string) =>
    request<{ update: { id: string; status: IncidentUpdateStatus; message: string; at: string } }>(
      'POST',
      `${incidentPath(id)}/updates`,
      { status, message },
    ),
  /** Every monitor's id and name, for choosing some (the list's pages followed). */
  monitorNames: async (signal?: AbortSignal) => {
    const all: Array<Pick<Monitor, 'id' | 'name'>> = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: { monitors: Monitor[]; nextCursor: string | null } = await request(
        'GET',
        `/api/monitor?limit=1000${query}`,
        undefined,
        signal,
      );
      all.push(...page.monitors.map((m) => ({ id: m.id, name: m.name })));
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  },
};

export interface SessionInfo {
  id: string;
  createdAt: string;
  expiresAt: string;
  userAgent: string | null;
  current: boolean;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  scope: 'read' | 'write';
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface ProbeInfo {
  id: string;
  name: string;
  region: string;
  tokenHint: string;
  createdAt: string;
  connected: boolean;
  lastSeenAt: string | null;
  version: string | null;
  clockOffsetMs: number | null;
  clockSkewed: boolean;
  checksPerSecond: number | null;
  lagMs: number | null;
}

export interface ChannelInput {
  type: string;
  name: string;
  config: Record<string, unknown>;
  isDefault: boolean;
}
