import { monitorKind, withDefaults } from '@better-uptime/checker';
import { type Database, monitors, type NewMonitorRow, newId, type ResultRow, users } from '@better-uptime/db';

/**
 * Test data written straight into the database, past the API: no password hashing, no scheduling, no
 * validation. Every seeded row gets a fresh id, so tests sharing a database never collide.
 */

export interface SeedUserFields {
  /** Defaults to `<id>@x.test`, unique per call. */
  email?: string;
  name?: string;
  /** Stored as given: a seeded user cannot log in unless a test puts a real hash here. */
  passwordHash?: string;
}

/** Inserts a user and returns its id. */
export async function seedUser(db: Database, fields: SeedUserFields = {}): Promise<string> {
  const id = newId();
  await db.insert(users).values({
    id,
    email: fields.email ?? `${id}@x.test`,
    name: fields.name ?? 'u',
    passwordHash: fields.passwordHash ?? 'h',
  });
  return id;
}

/**
 * A monitor's settings; what is left out takes the column default. An http monitor can be given by its
 * `url` (and keyword fields), which become its settings with the kind's defaults.
 */
export type SeedMonitorFields = Partial<Omit<NewMonitorRow, 'id' | 'userId' | 'createdAt' | 'updatedAt'>> & {
  url?: string;
  keyword?: string | null;
  keywordMode?: 'present' | 'absent';
};

/**
 * Inserts a monitor of `userId` and returns its id. Named 'm' and pointed at http://127.0.0.1/ unless
 * `fields` say otherwise; everything else is the column default: every 180 s, 30 s timeout, all regions,
 * due now and NOT paused. Pass `paused: true` when nothing may ever claim it (a producer or a
 * claimDueMonitors call in the same database would otherwise schedule it).
 */
export async function seedMonitor(
  db: Database,
  userId: string,
  fields: SeedMonitorFields = {},
): Promise<string> {
  const id = newId();
  const { url = 'http://127.0.0.1/', keyword, keywordMode, ...columns } = fields;
  const settings =
    columns.settings ??
    withDefaults(monitorKind('http')!, {
      url,
      ...(keyword === undefined ? {} : { keyword }),
      ...(keywordMode === undefined ? {} : { keywordMode }),
    });
  const kind = columns.kind ?? 'http';
  const target = columns.target ?? monitorKind(kind)?.target(settings as never) ?? kind;
  await db.insert(monitors).values({ name: 'm', ...columns, kind, settings, target, id, userId });
  return id;
}

/**
 * One check result as a worker hands it to insertResults: Up from usa in 12 ms with HTTP 200, checked 5 ms
 * after its slot, no phase timings, no message. Override what the test is about.
 */
export function resultRow(
  monitorId: string,
  scheduledAt: Date | number,
  overrides: Partial<ResultRow> = {},
): ResultRow {
  const slot = new Date(scheduledAt);
  return {
    monitorId,
    region: 'usa',
    scheduledAt: slot,
    checkedAt: new Date(slot.getTime() + 5),
    status: 'Up',
    responseTimeMs: 12,
    statusCode: 200,
    reason: null,
    message: null,
    dnsMs: null,
    connectMs: null,
    tlsMs: null,
    firstByteMs: null,
    certExpiresAt: null,
    ...overrides,
  };
}
