/** The API's JSON, as the dashboard reads it (see /api/openapi.json for the authoritative description). */

export type CheckStatus = 'Up' | 'Down';
/** A monitor's confirmed state: down means an incident is open; maintenance, a window is in effect. */
export type MonitorStatus = 'up' | 'down' | 'paused' | 'pending' | 'maintenance';
export const MONITOR_STATUSES: readonly MonitorStatus[] = ['up', 'down', 'maintenance', 'paused', 'pending'];
export type StatsWindow = '1h' | '24h' | '7d' | '30d' | '90d';
export const STATS_WINDOWS: readonly StatsWindow[] = ['1h', '24h', '7d', '30d', '90d'];

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface Monitor {
  id: string;
  name: string;
  kind: string;
  /** What is checked, as people read it (the URL, host:port, ...). */
  target: string;
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
  failureThreshold: number;
  recoveryThreshold: number;
  /** Null: a majority of the monitor's regions. */
  regionQuorum: number | null;
  retryIntervalSeconds: number;
  tags?: string[];
  /** Single-monitor answers only: the channels told of its events, and the reminder cadence (0: off). */
  channelIds?: string[];
  reminderIntervalMinutes?: number;
  state: MonitorStatus;
  stateSince: string;
  openIncidentId: string | null;
  /** Single-monitor answers only. */
  openIncident?: Incident | null;
  nextCheckAt: string;
  createdAt: string;
  updatedAt: string;
  /** Heartbeat monitors, single-monitor answers: the push URL (whole only where it was just made). */
  pushUrl?: string;
  lastPush?: { at: string; status: 'up' | 'down'; message: string | null } | null;
  /** Its badges are served to anyone at /api/badges/:id/... */
  publicBadges?: boolean;
  /** The settings of the monitor's kind (the http ones are named above). */
  [setting: string]: unknown;
}

/** The settings a form sends; numbers stay text when they are not numbers, so the API names the field. */
export type MonitorInput = Record<string, unknown>;

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
  kind: string;
  target: string;
  paused: boolean;
  intervalSeconds: number;
  createdAt: string;
  tags?: string[];
  status: MonitorStatus;
  stateSince: string;
  openIncidentId: string | null;
  uptimePercent: number | null;
  regions: RegionState[];
  recent: RecentCheck[];
}

export interface Overview {
  generatedAt: string;
  windowHours: number;
  /** Per state over every page matching q and tag; total of those. */
  counts: Record<MonitorStatus, number> & { total?: number };
  /** This page, in the order asked for. */
  monitors: OverviewMonitor[];
  /** Absent from servers that send every monitor at once. */
  nextCursor?: string | null;
  /** Every tag of the user's monitors. */
  tags?: string[];
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
  /** Up checks slower than the monitor's degradedAboveMs. */
  degraded: number;
  /** Checks run during planned maintenance (left out of uptimePercent), and the up ones among them. */
  maintenanceChecks: number;
  maintenanceUp: number;
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
  /** Stable per monitor, region and slot. */
  id: string;
  monitorId: string;
  kind: string;
  /** The seed's name of the region; `region` is the same value. */
  location: string;
  region: string;
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
  /** What is particular to the kind (certificate, degraded, DNS answers, ...). */
  details: Record<string, unknown> | null;
  certExpiresAt?: string | null;
  scheduledAt: string;
  checkedAt: string;
}

export interface RegionCause {
  region: string;
  reason: string | null;
  statusCode: number | null;
  message: string | null;
  since: string;
}

export interface Incident {
  id: string;
  monitorId: string;
  monitorName: string;
  status: 'open' | 'resolved';
  startedAt: string;
  confirmedAt: string;
  resolvedAt: string | null;
  /** recovered, paused, resumed, settings_changed or monitor_deleted */
  resolution: string | null;
  durationMs: number | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  cause: {
    reason: string | null;
    statusCode: number | null;
    message: string | null;
    regions: RegionCause[];
  };
}

export interface TimelineEntry {
  at: string;
  /** Null for a change of the monitor's own state. */
  region: string | null;
  from: string;
  to: string;
  reason: string | null;
  statusCode: number | null;
  message: string | null;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyRule {
  days: Weekday[];
  /** HH:MM in timeZone */
  time: string;
  durationMinutes: number;
}

export interface MaintenanceWindow {
  id: string;
  name: string;
  monitorIds: string[];
  startsAt: string | null;
  endsAt: string | null;
  weekly: WeeklyRule | null;
  timeZone: string;
  /** In effect now. */
  active: boolean;
  /** The occurrence in effect now, or the next one within two weeks. */
  next: { startsAt: string; endsAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

/** What the maintenance form sends; values the form cannot vouch for go as typed, for the API to name. */
export interface MaintenanceInput {
  name: string;
  monitorIds: string[];
  startsAt?: string;
  endsAt?: string;
  weekly?: { days: Weekday[]; time: string; durationMinutes: unknown };
  timeZone?: string;
}

export type ChannelType =
  'webhook' | 'slack' | 'discord' | 'teams' | 'telegram' | 'ntfy' | 'pagerduty' | 'email';

export interface Channel {
  id: string;
  type: ChannelType;
  name: string;
  /** Secrets masked. */
  config: Record<string, unknown>;
  isDefault: boolean;
  lastOutcome?: {
    outcome: AttemptOutcome;
    at: string;
    statusCode: number | null;
    error: string | null;
  } | null;
  createdAt: string;
  updatedAt: string;
}

export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

export interface Delivery {
  id: number;
  eventId: string;
  eventType: string;
  channelId: string;
  channelName: string;
  channelType: ChannelType;
  incidentId: string | null;
  monitorId: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
  history: Array<{
    at: string;
    outcome: AttemptOutcome;
    statusCode: number | null;
    latencyMs: number;
    error: string | null;
    grouped: number;
  }>;
}

/** The figures a status page shows (each on unless turned off). */
export interface StatusPageShow {
  uptimeBars: boolean;
  uptimePercent: boolean;
  incidents: boolean;
  maintenance: boolean;
}

export interface StatusPageSection {
  name: string;
  monitors: Array<{ monitorId: string; displayName: string }>;
}

/** A public page of some of the user's monitors, at /status/:slug (and at customDomain's /). */
export interface StatusPage {
  id: string;
  slug: string;
  title: string;
  description: string;
  sections: StatusPageSection[];
  show: StatusPageShow;
  published: boolean;
  customDomain: string | null;
  createdAt: string;
  updatedAt: string;
}

export type StatusPageInput = Pick<
  StatusPage,
  'slug' | 'title' | 'description' | 'sections' | 'show' | 'published' | 'customDomain'
>;

export const INCIDENT_UPDATE_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentUpdateStatus = (typeof INCIDENT_UPDATE_STATUSES)[number];
