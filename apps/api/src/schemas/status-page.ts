import { type Static, Type } from '@sinclair/typebox';
import { INCIDENT_UPDATE_STATUSES } from '@better-uptime/db';
import { PATTERN_MESSAGE } from '../validation.js';
import { DateTime, Nullable, Uuid } from './common.js';

const Text = (maxLength: number, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: '\\S',
    [PATTERN_MESSAGE]: 'must not be blank',
    ...(description ? { description } : {}),
  });

const Section = Type.Object(
  {
    name: Text(100),
    monitors: Type.Array(
      Type.Object(
        {
          monitorId: Uuid('A monitor of yours'),
          displayName: Text(100, 'The name visitors see (the monitor’s own name and URL stay private)'),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
  },
  { additionalProperties: false, title: 'StatusPageSection' },
);

const Show = Type.Object(
  {
    uptimeBars: Type.Optional(
      Type.Boolean({ default: true, description: '90 daily uptime bars per monitor' }),
    ),
    uptimePercent: Type.Optional(Type.Boolean({ default: true, description: '90-day uptime % per monitor' })),
    incidents: Type.Optional(
      Type.Boolean({ default: true, description: 'Open incidents and those of 14 days' }),
    ),
    maintenance: Type.Optional(
      Type.Boolean({ default: true, description: 'Maintenance in effect or scheduled' }),
    ),
  },
  { additionalProperties: false },
);

export const StatusPageBody = Type.Object(
  {
    slug: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$',
      [PATTERN_MESSAGE]: 'must be lower-case letters, digits and inner hyphens (URL-safe)',
      description: 'The page is at /status/<slug>; unique across all users',
    }),
    title: Text(200),
    description: Type.Optional(Type.String({ maxLength: 2000, default: '' })),
    sections: Type.Array(Section, { maxItems: 20 }),
    show: Type.Optional(Show),
    published: Type.Optional(Type.Boolean({ default: true, description: 'Unpublished pages answer 404' })),
    customDomain: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 253,
          pattern:
            '^(?=.*[a-zA-Z])[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$',
          [PATTERN_MESSAGE]: 'must be a host name such as status.example.com',
          description: 'Requests with this Host header get the page at /',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type StatusPageBodyJson = Static<typeof StatusPageBody>;

export const StatusPage = Type.Object(
  {
    id: Uuid('Status page id'),
    slug: Type.String(),
    title: Type.String(),
    description: Type.String(),
    sections: Type.Array(Section),
    show: Type.Object({
      uptimeBars: Type.Boolean(),
      uptimePercent: Type.Boolean(),
      incidents: Type.Boolean(),
      maintenance: Type.Boolean(),
    }),
    published: Type.Boolean(),
    customDomain: Nullable(Type.String()),
    createdAt: DateTime(),
    updatedAt: DateTime(),
  },
  { title: 'StatusPage' },
);
export type StatusPageJson = Static<typeof StatusPage>;

export const StatusPageParams = Type.Object({ id: Uuid('Status page id') }, { additionalProperties: false });
export const SlugParams = Type.Object(
  { slug: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

const PublicState = Type.Union(
  ['up', 'down', 'maintenance', 'paused', 'pending'].map((s) => Type.Literal(s)),
);
const UpdateStatus = Type.Union(INCIDENT_UPDATE_STATUSES.map((s) => Type.Literal(s)));

export const IncidentUpdateBody = Type.Object(
  {
    status: UpdateStatus,
    message: Type.String({
      minLength: 1,
      maxLength: 5000,
      pattern: '\\S',
      [PATTERN_MESSAGE]: 'must not be blank',
    }),
  },
  { additionalProperties: false },
);

const IncidentUpdate = Type.Object(
  { status: UpdateStatus, message: Type.String(), at: DateTime() },
  { title: 'IncidentUpdate' },
);

export const IncidentUpdateResponse = Type.Object({
  update: Type.Object({
    id: Uuid('Update id'),
    incidentId: Uuid('Incident id'),
    status: UpdateStatus,
    message: Type.String(),
    at: DateTime(),
  }),
});

const PublicIncident = Type.Object({
  monitor: Type.String({ description: 'Display name' }),
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  startedAt: DateTime(),
  resolvedAt: Nullable(DateTime()),
  durationMs: Type.Integer({ description: 'Until resolved, or until now while open' }),
  reason: Nullable(Type.String({ description: 'dns, connect, tls, timeout, http_status, ...' })),
  updates: Type.Array(IncidentUpdate, { description: 'What the operator posted, oldest first' }),
});

export const PublicStatusPage = Type.Object(
  {
    slug: Type.String(),
    title: Type.String(),
    description: Type.String(),
    generatedAt: DateTime(),
    state: Type.Union(
      ['operational', 'partial_outage', 'major_outage', 'maintenance'].map((s) => Type.Literal(s)),
      { description: 'major_outage: every monitor down; partial_outage: some' },
    ),
    sections: Type.Array(
      Type.Object({
        name: Type.String(),
        monitors: Type.Array(
          Type.Object({
            name: Type.String({ description: 'The display name the owner chose' }),
            state: PublicState,
            uptimePercent: Nullable(Type.Number(), '90 days; null without checks or when hidden'),
            bars: Type.Array(
              Type.Object({
                date: Type.String({ description: 'UTC day, YYYY-MM-DD' }),
                uptimePercent: Nullable(Type.Number()),
              }),
              { description: 'The last 90 UTC days, oldest first (empty when hidden)' },
            ),
          }),
        ),
      }),
    ),
    incidents: Type.Object({
      open: Type.Array(PublicIncident),
      recent: Type.Array(PublicIncident, { description: 'Resolved within the last 14 days' }),
    }),
    maintenance: Type.Array(
      Type.Object({
        name: Type.String(),
        monitors: Type.Array(Type.String()),
        startsAt: DateTime(),
        endsAt: DateTime(),
        active: Type.Boolean(),
      }),
      { description: 'In effect now, or the next occurrence within 15 days' },
    ),
  },
  { title: 'PublicStatusPage' },
);
export type PublicStatusPageJson = Static<typeof PublicStatusPage>;
