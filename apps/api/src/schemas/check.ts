import { type Static, Type } from '@sinclair/typebox';
import { Cursor, DateTime, Limit, NextCursor, Nullable, RegionName, Uuid } from './common.js';

const Status = Type.Union([Type.Literal('Up'), Type.Literal('Down')]);

export const Check = Type.Object(
  {
    id: Type.String({
      description:
        'Stable and opaque: one per monitor, region and slot (a check is stored once for them, so the id ' +
        'never names two)',
    }),
    monitorId: Uuid('Monitor id'),
    kind: Type.String({ description: 'The monitor’s kind (http, tcp, ...): says what details hold' }),
    location: Type.String({
      description: 'Region that ran the check (the seed’s name; `region` is the same value)',
    }),
    region: Type.String({ description: 'Region that ran the check, named as everywhere else' }),
    status: Status,
    responseTimeMs: Type.Integer(),
    statusCode: Nullable(Type.Integer()),
    reason: Nullable(
      Type.String({
        description:
          'Why it is down: dns, connect, tls, timeout, http_status, keyword, redirects, protocol, too_large, ' +
          'assertion, cert_expiry, unavailable, ...',
      }),
    ),
    message: Nullable(Type.String()),
    timings: Type.Object({
      dnsMs: Nullable(Type.Integer()),
      connectMs: Nullable(Type.Integer()),
      tlsMs: Nullable(Type.Integer()),
      firstByteMs: Nullable(Type.Integer()),
    }),
    certExpiresAt: Nullable(DateTime()),
    details: Nullable(
      Type.Object({}, { additionalProperties: true }),
      'What is particular to the kind: the certificate (expiresAt, issuer, subject, names), degraded, ' +
        'DNS answers, ping loss and round trips, heartbeat last seen',
    ),
    scheduledAt: DateTime('The slot the check belongs to'),
    checkedAt: DateTime('When the check ran'),
  },
  { title: 'Check' },
);
export type CheckJson = Static<typeof Check>;

export const ResultParams = Type.Object({ monitorId: Uuid('Monitor id') }, { additionalProperties: false });

export const ChecksQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
    from: Type.Optional(DateTime('Only checks scheduled at or after this time')),
    to: Type.Optional(DateTime('Only checks scheduled at or before this time')),
    region: Type.Optional(RegionName()),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);

export const ChecksResponse = Type.Object({
  checks: Type.Array(Check, { description: 'Newest slot first; same slot: by region, descending' }),
  nextCursor: NextCursor,
});

export const LatestResponse = Type.Object({
  latest: Type.Array(Check, { description: 'The newest check of each region, by region name' }),
});

export const CleanupQuery = Type.Object(
  {
    days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3650,
        default: 90,
        description: 'Delete checks scheduled more than this many days ago',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CleanupResponse = Type.Object({
  deleted: Type.Integer({ description: 'How many checks were deleted' }),
});
