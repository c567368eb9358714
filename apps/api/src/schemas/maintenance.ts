import { type Static, Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';
import { Cursor, DateTime, Limit, NextCursor, Nullable, Uuid } from './common.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const Weekly = Type.Object(
  {
    days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      description: 'Days of the week on which the window starts',
    }),
    time: Type.String({
      pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
      [PATTERN_MESSAGE]: 'must be a local time of day, HH:MM (00:00 to 23:59)',
      description: 'Local start time in timeZone',
    }),
    durationMinutes: Type.Integer({ minimum: 1, maximum: 10_080, description: 'Up to a week' }),
  },
  { additionalProperties: false },
);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', [PATTERN_MESSAGE]: 'must not be blank' }),
  monitorIds: Type.Array(Uuid('A monitor of yours'), { minItems: 1, maxItems: 1000, uniqueItems: true }),
  startsAt: Type.Optional(
    DateTime('One-off: when it starts (required). Weekly: no occurrence starts before it (optional)'),
  ),
  endsAt: Type.Optional(
    DateTime('One-off: when it ends (required). Weekly: no occurrence starts at or after it (optional)'),
  ),
  weekly: Type.Optional(Weekly),
  timeZone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      default: 'UTC',
      description: 'IANA time zone of a weekly rule',
    }),
  ),
};

export const MaintenanceInput = Type.Object(fields, {
  additionalProperties: false,
  description: 'A one-off window (startsAt, endsAt) or a weekly rule (weekly, timeZone)',
});
export type MaintenanceInputBody = Static<typeof MaintenanceInput>;

export const MaintenanceWindow = Type.Object(
  {
    id: Uuid('Window id'),
    name: Type.String(),
    monitorIds: Type.Array(Type.String()),
    startsAt: Nullable(DateTime()),
    endsAt: Nullable(DateTime()),
    weekly: Nullable(Weekly),
    timeZone: Type.String(),
    active: Type.Boolean({ description: 'In effect now' }),
    next: Nullable(
      Type.Object({ startsAt: DateTime(), endsAt: DateTime() }),
      'The occurrence in effect now, or the next one within two weeks',
    ),
    createdAt: DateTime(),
    updatedAt: DateTime(),
  },
  { title: 'MaintenanceWindow' },
);
export type MaintenanceWindowJson = Static<typeof MaintenanceWindow>;

export const MaintenanceResponse = Type.Object({ window: MaintenanceWindow });
export const MaintenanceListQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export const MaintenanceListResponse = Type.Object({
  windows: Type.Array(MaintenanceWindow, { description: 'Newest first' }),
  nextCursor: NextCursor,
});
export const MaintenanceParams = Type.Object({ id: Uuid('Window id') }, { additionalProperties: false });
