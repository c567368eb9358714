import { type Static, Type } from '@sinclair/typebox';
import { Cursor, DateTime, Limit, NextCursor, Nullable, Uuid } from './common.js';

const RegionCause = Type.Object({
  region: Type.String(),
  reason: Nullable(Type.String()),
  statusCode: Nullable(Type.Integer()),
  message: Nullable(Type.String()),
  since: DateTime('The first failed check of the region’s outage'),
});

export const IncidentCause = Type.Object(
  {
    reason: Nullable(Type.String(), 'Why the checks failed: dns, connect, tls, timeout, http_status, ...'),
    statusCode: Nullable(Type.Integer()),
    message: Nullable(Type.String()),
    regions: Type.Array(RegionCause, { description: 'The regions that were down when it was confirmed' }),
  },
  { title: 'IncidentCause' },
);

export const Incident = Type.Object(
  {
    id: Uuid('Incident id'),
    monitorId: Uuid('Its monitor'),
    monitorName: Type.String(),
    status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
    startedAt: DateTime('The scheduled time of the first failed check of the streak that confirmed it'),
    confirmedAt: DateTime('When enough regions had failed enough checks'),
    resolvedAt: Nullable(DateTime('The first good check of the recovery, or when it was settled')),
    resolution: Nullable(
      Type.String(),
      'Why it was resolved: recovered, paused, resumed, settings_changed or monitor_deleted',
    ),
    durationMs: Nullable(Type.Integer(), 'resolvedAt - startedAt; null while open'),
    acknowledgedAt: Nullable(DateTime()),
    acknowledgedBy: Nullable(Uuid('Who acknowledged it')),
    cause: IncidentCause,
  },
  { title: 'Incident' },
);
export type IncidentJson = Static<typeof Incident>;

export const TimelineEntry = Type.Object({
  at: DateTime('The scheduled time of the check that caused the change (or when an edit did)'),
  region: Nullable(Type.String(), 'Null for a change of the monitor’s own state'),
  from: Type.String(),
  to: Type.String(),
  reason: Nullable(Type.String()),
  statusCode: Nullable(Type.Integer()),
  message: Nullable(Type.String()),
});

export const IncidentResponse = Type.Object({ incident: Incident });
export const IncidentDetailResponse = Type.Object({
  incident: Incident,
  timeline: Type.Array(TimelineEntry, {
    description: 'Each region’s and the monitor’s transitions, oldest first',
  }),
});

export const IncidentListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])),
    monitorId: Type.Optional(Uuid('Only this monitor’s incidents')),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const IncidentListResponse = Type.Object({
  incidents: Type.Array(Incident, { description: 'Open ones first, then newest first' }),
  nextCursor: NextCursor,
});

export const IncidentParams = Type.Object({ id: Uuid('Incident id') }, { additionalProperties: false });
