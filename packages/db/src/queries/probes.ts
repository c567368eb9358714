import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { type ProbeRow, probes } from '../schema.js';

export type NewProbe = Pick<ProbeRow, 'id' | 'name' | 'region' | 'tokenHash' | 'tokenHint' | 'createdBy'>;

/** The connection facts a probe's connection refreshes. */
export interface ProbeActivity {
  version?: string | null;
  clockOffsetMs?: number | null;
  checksPerSecond?: number | null;
  lagMs?: number | null;
}

export async function createProbe(db: Database, probe: NewProbe): Promise<ProbeRow> {
  const [row] = await db.insert(probes).values(probe).returning();
  return row!;
}

/** Every probe that is not revoked, oldest first. */
export function listProbes(db: Database): Promise<ProbeRow[]> {
  return db
    .select()
    .from(probes)
    .where(isNull(probes.revokedAt))
    .orderBy(asc(probes.createdAt), asc(probes.id));
}

/** The unrevoked probe holding this token hash. */
export async function findProbeByTokenHash(db: Database, tokenHash: string): Promise<ProbeRow | null> {
  const [row] = await db
    .select()
    .from(probes)
    .where(and(eq(probes.tokenHash, tokenHash), isNull(probes.revokedAt)))
    .limit(1);
  return row ?? null;
}

/** Revokes the probe; false when it does not exist or was revoked already. */
export async function revokeProbe(db: Database, id: string): Promise<boolean> {
  const rows = await db
    .update(probes)
    .set({ revokedAt: sql`now()`, connected: false })
    .where(and(eq(probes.id, id), isNull(probes.revokedAt)))
    .returning({ id: probes.id });
  return rows.length > 0;
}

/**
 * Records that the probe is (still) connected, with what its connection measured; false when it has been
 * revoked meanwhile (possibly by another API process), so the caller closes the connection.
 */
export async function recordProbeSeen(
  db: Database,
  id: string,
  connected: boolean,
  activity: ProbeActivity = {},
): Promise<boolean> {
  const rows = await db
    .update(probes)
    .set({ connected, lastSeenAt: sql`now()`, ...activity })
    .where(and(eq(probes.id, id), isNull(probes.revokedAt)))
    .returning({ id: probes.id });
  return rows.length > 0;
}

/** The regions of the unrevoked probes. */
export async function probeRegions(db: Database): Promise<string[]> {
  const rows = await db
    .selectDistinct({ region: probes.region })
    .from(probes)
    .where(isNull(probes.revokedAt))
    .orderBy(asc(probes.region));
  return rows.map((r) => r.region);
}

/**
 * The regions of the instance: the configured ones and those of its probes, refreshed in the background.
 * A monitor that checks from all regions is judged over this list, so a probe's region counts as soon as
 * the probe is created, in every process that judges results.
 */
export class InstanceRegions {
  private current: readonly string[];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly configured: readonly string[],
    refreshMs = 5_000,
  ) {
    this.current = [...configured];
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), refreshMs);
    this.timer.unref();
    void this.refresh().catch(() => undefined);
  }

  get list(): readonly string[] {
    return this.current;
  }

  /**
   * The regions of the instance, read again from the database when one of `wanted` is not among those
   * known: so a probe created through another process counts at once, and a known name costs no query.
   */
  async including(wanted: readonly string[]): Promise<readonly string[]> {
    return wanted.every((r) => this.current.includes(r)) ? this.current : this.refresh();
  }

  /** Reads the probes' regions now (after a probe was created or revoked). */
  async refresh(): Promise<readonly string[]> {
    const extra = (await probeRegions(this.db)).filter((r) => !this.configured.includes(r));
    this.current = [...this.configured, ...extra];
    return this.current;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
