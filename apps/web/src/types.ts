/** The API's JSON, as the dashboard reads it (see /api/openapi.json for the authoritative description). */

export type CheckStatus = 'Up' | 'Down';
export type MonitorStatus = 'up' | 'down' | 'paused' | 'pending';
export type StatsWindow = '1h' | '24h' | '7d' | '30d';
export const STATS_WINDOWS: readonly StatsWindow[] = ['1h', '24h', '7d', '30d'];

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface Monitor {
  id: string;
  name: string;
  url: string;
  intervalSeconds: number;
  timeoutMs: number;
  method: 'GET' | 'HEAD';
  expectedStatus: string[];
  keyword: string | null;
  keywordMode: 'present' | 'absent';
  followRedirects: boolean;
  regions: string[];
  paused: boolean;
  nextCheckAt: string;
  createdAt: string;
  updatedAt: string;
}

/** The settings a form sends; numbers stay text when they are not numbers, so the API names the field. */
export type MonitorInput = Partial<Record<keyof Monitor, unknown>>;

export interface RegionState {
  region: string;
  status: CheckStatus | null;
  lastCheckedAt: string | null;
  since: string | null;
  responseTimeMs: number | null;
  statusCode: number | null;
  reason: string | null;
  checks: number;
  uptimePercent: number | null;
  hourlyResponseMs: (number | null)[];
}

export interface RecentCheck {
  scheduledAt: string;
  status: CheckStatus;
  region: string;
  statusCode: number | null;
  reason: string | null;
  responseTimeMs: number;
  regions: number;
  downRegions: number;
}

export interface OverviewMonitor {
  id: string;
  name: string;
  url: string;
  paused: boolean;
  intervalSeconds: number;
  createdAt: string;
  status: MonitorStatus;
  uptimePercent: number | null;
  regions: RegionState[];
  recent: RecentCheck[];
}

export interface Overview {
  generatedAt: string;
  windowHours: number;
  counts: Record<MonitorStatus, number>;
  monitors: OverviewMonitor[];
}

export interface SeriesBucket {
  at: string;
  checks: number;
  down: number;
  avgMs: number | null;
  maxMs: number | null;
  dnsMs: number | null;
  connectMs: number | null;
  tlsMs: number | null;
  firstByteMs: number | null;
}

export interface RegionStats {
  region: string;
  checks: number;
  up: number;
  uptimePercent: number | null;
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  series: SeriesBucket[];
}

export interface MonitorStats {
  monitorId: string;
  window: StatsWindow;
  from: string;
  to: string;
  bucketSeconds: number;
  regions: RegionStats[];
}

export interface Check {
  monitorId: string;
  location: string;
  status: CheckStatus;
  responseTimeMs: number;
  statusCode: number | null;
  reason: string | null;
  message: string | null;
  timings: {
    dnsMs: number | null;
    connectMs: number | null;
    tlsMs: number | null;
    firstByteMs: number | null;
  };
  scheduledAt: string;
  checkedAt: string;
}
