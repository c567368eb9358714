import { type Static, type TObject, type TSchema, type TUnion, Type } from '@sinclair/typebox';
import {
  CHANNEL_DEFINITIONS,
  CHANNEL_TYPES,
  type ChannelType as ChannelTypeName,
  MASKED_PATTERN,
} from '@better-uptime/notifications';
import { PATTERN_MESSAGE, UNNAMED_VARIANT } from '../validation.js';
import { Cursor, DateTime, Limit, NextCursor, Nullable, Uuid } from './common.js';

const ChannelType = Type.Union(
  CHANNEL_TYPES.map((t) => Type.Literal(t)),
  { description: 'Where messages go' },
);

const Name = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '\\S',
  [PATTERN_MESSAGE]: 'must not be blank',
});

/** A type's config as created: its definition's schema (packages/notifications/src/channel-types). */
const configOf = (type: ChannelTypeName) => CHANNEL_DEFINITIONS[type].config;

const MaskedSecret = Type.String({
  pattern: MASKED_PATTERN,
  description: 'The masked value an answer showed: keeps the stored secret',
});

/**
 * A type's config as an update gives it: any subset of its fields, each secret field either a new value or
 * the masked one an answer showed (which keeps the stored value, as leaving it out does).
 */
const changesSchemas = new Map<string, TObject>();
export function channelConfigChanges(type: string): TObject {
  let schema = changesSchemas.get(type);
  if (!schema) {
    const definition = CHANNEL_DEFINITIONS[type as ChannelTypeName];
    const properties = Object.fromEntries(
      Object.entries(definition.config.properties as Record<string, TSchema>).map(([field, fieldSchema]) => [
        field,
        Type.Optional(
          definition.secretFields.includes(field) ? Type.Union([fieldSchema, MaskedSecret]) : fieldSchema,
        ),
      ]),
    );
    schema = Type.Object(properties, {
      additionalProperties: false,
      title: `${type} channel config changes`,
    });
    changesSchemas.set(type, schema);
  }
  return schema;
}

/** A type's config as answers show it: its fields, secret ones masked. */
function shownConfig(type: ChannelTypeName): TObject {
  const definition = CHANNEL_DEFINITIONS[type];
  const properties = Object.fromEntries(
    Object.entries(definition.config.properties as Record<string, TSchema>).map(([field, fieldSchema]) => [
      field,
      definition.secretFields.includes(field)
        ? Type.String({
            description: `${String(fieldSchema.description ?? field)} (masked: … and its last 4 characters)`,
          })
        : field === 'chatId'
          ? Type.String({ description: String(fieldSchema.description ?? '') })
          : fieldSchema,
    ]),
  );
  return Type.Object(properties, { title: `${type} channel config as shown` });
}

const isDefaultInput = Type.Optional(
  Type.Boolean({ default: false, description: 'Linked to monitors created from now on' }),
);

/** One object per channel type (its `config` schema) under a `type` discriminator. */
export const ChannelCreateBody = Type.Union(
  CHANNEL_TYPES.map((type) =>
    Type.Object(
      { type: Type.Literal(type), name: Name, config: configOf(type), isDefault: isDefaultInput },
      { additionalProperties: false, title: `New ${type} channel` },
    ),
  ),
  {
    discriminator: { propertyName: 'type' },
    description:
      'Secrets (URLs of webhooks, bot tokens, keys, ntfy topics) are stored sealed and masked in answers.',
  },
) as TUnion<TObject[]>;
export type ChannelCreateBody = {
  type: ChannelTypeName;
  name: string;
  config: Record<string, unknown>;
  isDefault?: boolean | undefined;
};

/**
 * An edit: any subset of name, config and default flag. Naming the type (it cannot change) picks that
 * type's config schema; without it the route checks the config against the stored channel's type.
 */
export const ChannelUpdateBody = Type.Union(
  CHANNEL_TYPES.map((type) =>
    Type.Object(
      {
        type: Type.Optional(Type.Literal(type, { description: 'The channel’s type; it cannot change' })),
        name: Type.Optional(Name),
        config: Type.Optional(channelConfigChanges(type)),
        isDefault: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false, minProperties: 1, title: `${type} channel changes` },
    ),
  ),
  {
    discriminator: { propertyName: 'type' },
    description:
      'Any subset of the fields. `config` holds any of the fields of the channel’s type; a secret left out, ' +
      'or sent back masked, keeps its value.',
    [UNNAMED_VARIANT]: Type.Object(
      {
        name: Type.Optional(Name),
        config: Type.Optional(Type.Object({}, { additionalProperties: true })),
        isDefault: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
  },
) as TUnion<TObject[]>;
export type ChannelUpdateBody = {
  type?: ChannelTypeName;
  name?: string;
  config?: Record<string, unknown>;
  isDefault?: boolean;
};

const AttemptOutcome = Type.Union([Type.Literal('delivered'), Type.Literal('retry'), Type.Literal('failed')]);

const LastOutcome = Type.Object({
  outcome: AttemptOutcome,
  at: DateTime(),
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
});

const channelOutput = {
  id: Uuid('Channel id'),
  name: Type.String(),
  isDefault: Type.Boolean(),
  lastOutcome: Type.Optional(Nullable(LastOutcome, 'How the latest attempt went (lists only)')),
  createdAt: DateTime(),
  updatedAt: DateTime(),
};

/** A channel as answers show it: one object per type, its config's secrets masked. */
export const Channel = Type.Union(
  CHANNEL_TYPES.map((type) =>
    Type.Object(
      { ...channelOutput, type: Type.Literal(type), config: shownConfig(type) },
      { title: `${type} channel` },
    ),
  ),
  { discriminator: { propertyName: 'type' }, title: 'Channel' },
);
export type ChannelJson = Static<TObject<typeof channelOutput>> & {
  type: ChannelTypeName;
  config: Record<string, unknown>;
};

export const ChannelResponse = Type.Object({ channel: Channel });
export const ChannelCreatedResponse = Type.Object({
  channel: Channel,
  secret: Type.String({
    description:
      'Shown only here: the key of the X-BetterUptime-Signature HMAC on webhook requests (t=<unix>,v1=<hex>)',
  }),
});
export const ChannelListResponse = Type.Object({ channels: Type.Array(Channel) });
export const ChannelParams = Type.Object({ id: Uuid('Channel id') }, { additionalProperties: false });

const Attempt = Type.Object({
  at: DateTime(),
  outcome: AttemptOutcome,
  statusCode: Nullable(Type.Integer(), 'The receiver’s HTTP status (or SMTP reply code)'),
  latencyMs: Type.Integer(),
  error: Nullable(Type.String()),
  grouped: Type.Integer({
    description: 'Deliveries the message carried (more than 1: an alert storm’s group)',
  }),
});

export const Delivery = Type.Object(
  {
    id: Type.Integer(),
    eventId: Uuid('The event (receivers deduplicate on it)'),
    eventType: Type.String({ description: 'incident.opened, incident.resolved, incident.reminder, ...' }),
    channelId: Uuid('Its channel'),
    channelName: Type.String(),
    channelType: ChannelType,
    incidentId: Nullable(Uuid('Its incident')),
    monitorId: Nullable(Uuid('Its monitor')),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(DateTime('While pending: when it is tried (again)')),
    deliveredAt: Nullable(DateTime()),
    createdAt: DateTime(),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    history: Type.Array(Attempt, { description: 'Every attempt, oldest first' }),
  },
  { title: 'Delivery' },
);
export type DeliveryJson = Static<typeof Delivery>;

export const DeliveryListQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export const DeliveryListResponse = Type.Object({
  deliveries: Type.Array(Delivery, { description: 'Newest first' }),
  nextCursor: NextCursor,
});
export const IncidentDeliveriesResponse = Type.Object({
  deliveries: Type.Array(Delivery, { description: 'Oldest first' }),
});

export const TestResponse = Type.Object({
  outcome: AttemptOutcome,
  statusCode: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  delivery: Delivery,
});

/** The notification fields of a monitor, on its create, update and single answers. */
export const MonitorNotificationInput = {
  channelIds: Type.Optional(
    Type.Array(Uuid('Channel id'), {
      maxItems: 50,
      uniqueItems: true,
      description: 'Your channels told of its events; left out on create: your default channels',
    }),
  ),
  reminderIntervalMinutes: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 10_080,
      description: 'While an incident is open and unacknowledged, remind every this many minutes (0: off)',
    }),
  ),
};

export const MonitorNotificationOutput = {
  channelIds: Type.Optional(
    Type.Array(Uuid('Channel id'), { description: 'Your channels told of its events' }),
  ),
  reminderIntervalMinutes: Type.Optional(Type.Integer({ description: 'Minutes between reminders; 0: off' })),
};
