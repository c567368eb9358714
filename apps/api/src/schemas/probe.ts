import { type TProperties, Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';
import { DateTime, Nullable, RegionName, Uuid } from './common.js';

export const Probe = Type.Object(
  {
    id: Uuid('Probe id'),
    name: Type.String(),
    region: Type.String({ description: 'The region whose checks the probe runs' }),
    tokenHint: Type.String({ description: 'The last characters of the token, to tell tokens apart' }),
    createdAt: DateTime(),
    connected: Type.Boolean({ description: 'Connected to the instance now' }),
    lastSeenAt: Nullable(DateTime('When the instance last heard from the probe; null: never connected')),
    version: Nullable(Type.String({ description: 'The version the probe reported' })),
    clockOffsetMs: Nullable(
      Type.Number({ description: "The probe's clock minus the instance's, measured on the connection" }),
    ),
    clockSkewed: Type.Boolean({
      description: 'The offset is beyond the bound (1 s): the probe keeps slots on the instance time anyway',
    }),
    checksPerSecond: Nullable(
      Type.Number({ description: 'Results stored from the probe per second, lately' }),
    ),
    lagMs: Nullable(
      Type.Number({ description: "p99 of how late the probe's checks started after their slots" }),
    ),
  },
  { title: 'Probe' },
);

export const CreateProbeBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '\\S',
      [PATTERN_MESSAGE]: 'must not be blank',
    }),
    region: RegionName('A configured region or a new one, which becomes a region of the instance'),
  },
  { additionalProperties: false },
);

export const CreatedProbe = Type.Object(
  {
    probe: Probe,
    token: Type.String({
      description: 'The secret, shown this once: PROBE_TOKEN of `better-uptime probe` (bu_probe_...)',
    }),
  },
  { title: 'CreatedProbe' },
);

export const ProbeList = Type.Object({ probes: Type.Array(Probe) });

export const ProbeParams = Type.Object({ id: Uuid('Probe id') });

const EntryId = Type.String({ pattern: '^[0-9]{1,19}-[0-9]{1,19}$' });
const Ids = Type.Array(EntryId, { maxItems: 5_000 });
const Millis = Type.Number({ minimum: 0, maximum: 1e14 });
const Ms = Nullable(Type.Number({ minimum: 0, maximum: 86_400_000 }));

const WireResult = Type.Object(
  {
    monitorId: Type.String({ format: 'uuid' }),
    region: Type.String({ maxLength: 32 }),
    scheduledAt: Millis,
    checkedAt: Millis,
    status: Type.Union([Type.Literal('Up'), Type.Literal('Down')]),
    responseTimeMs: Type.Number({ minimum: 0, maximum: 86_400_000 }),
    statusCode: Nullable(Type.Integer({ minimum: 0, maximum: 999 })),
    reason: Nullable(Type.String({ maxLength: 32 })),
    message: Nullable(Type.String({ maxLength: 2_000 })),
    dnsMs: Ms,
    connectMs: Ms,
    tlsMs: Ms,
    firstByteMs: Ms,
    certExpiresAt: Nullable(Millis),
    details: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    entryId: Type.Optional(EntryId),
  },
  { additionalProperties: false },
);

const Call = <Op extends string, Fields extends TProperties>(op: Op, fields: Fields) =>
  Type.Object(
    { type: Type.Literal('call'), id: Type.Integer({ minimum: 0 }), op: Type.Literal(op), ...fields },
    { additionalProperties: false },
  );

/** Every message a probe may send on its connection (see apps/worker/src/probe/protocol.ts). */
export const ProbeMessage = Type.Union([
  Type.Object(
    { type: Type.Literal('hello'), version: Type.String({ maxLength: 64 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('clock'), serverTime: Millis, probeTime: Millis },
    { additionalProperties: false },
  ),
  Call('read', {
    count: Type.Integer({ minimum: 0, maximum: 1_000 }),
    blockMs: Type.Integer({ minimum: 0, maximum: 10_000 }),
  }),
  Call('claim', {
    minIdleMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
    count: Type.Integer({ minimum: 0, maximum: 1_000 }),
  }),
  Call('touch', { ids: Ids }),
  Call('ack', { ids: Ids }),
  Call('deadLetter', {
    ids: Ids,
    reason: Type.Union([Type.Literal('undecodable'), Type.Literal('max_deliveries')]),
  }),
  Call('results', { rows: Type.Array(WireResult, { maxItems: 5_000 }) }),
  Call('stats', {
    checked: Type.Integer({ minimum: 0 }),
    droppedStale: Type.Integer({ minimum: 0 }),
    latenessP99Ms: Nullable(Type.Number()),
  }),
]);
