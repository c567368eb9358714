/**
 * The monitor kinds by name. Everything that differs between kinds is looked up here: the API validates
 * and describes settings with a kind's schema, the worker runs its prober.
 */
import type { Static, TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { dnsKind } from './kinds/dns.js';
import { heartbeatKind } from './kinds/heartbeat.js';
import { httpKind } from './kinds/http.js';
import { pingKind } from './kinds/ping.js';
import { tcpKind } from './kinds/tcp.js';
import { tlsKind } from './kinds/tls.js';
import {
  isProblem,
  type MonitorKind,
  type ProbeOptions,
  type SettingsProblem,
  unavailable,
} from './kinds/kind.js';
import type { CheckOutcome } from './types.js';

export const MONITOR_KINDS = [
  httpKind,
  tcpKind,
  dnsKind,
  tlsKind,
  pingKind,
  heartbeatKind,
] as const satisfies readonly MonitorKind[];
export type KindName = (typeof MONITOR_KINDS)[number]['name'];
export const KIND_NAMES = MONITOR_KINDS.map((kind) => kind.name) as KindName[];
/** The kind of a monitor created without one: every client from before kinds keeps working. */
export const DEFAULT_KIND: KindName = 'http';

/** A monitor's settings as stored and carried: a kind's own fields, as a plain JSON object. */
export type KindSettings = Record<string, unknown>;

const byName = new Map<string, MonitorKind>(MONITOR_KINDS.map((kind) => [kind.name, kind as MonitorKind]));
const compiled = new Map<string, TypeCheck<TObject>>();

export function monitorKind(name: string): MonitorKind | undefined {
  return byName.get(name);
}

/** The kinds judged from pushes (no worker checks them), as stored names. */
export const PUSH_KIND_NAMES: readonly string[] = MONITOR_KINDS.filter(
  (kind: MonitorKind) => kind.pushRegion !== undefined,
).map((kind) => kind.name);

/**
 * The regions a monitor's results count in: a push kind's one region, else the monitor's own, or every
 * configured region when it names none.
 */
export function judgedRegions(
  monitor: { kind: string; regions: readonly string[] },
  configured: readonly string[],
): readonly string[] {
  const pushRegion = byName.get(monitor.kind)?.pushRegion;
  if (pushRegion !== undefined) return [pushRegion];
  return monitor.regions.length > 0 ? monitor.regions : configured;
}

function checkerOf(kind: MonitorKind): TypeCheck<TObject> {
  let check = compiled.get(kind.name);
  if (!check) {
    check = TypeCompiler.Compile(kind.settings);
    compiled.set(kind.name, check);
  }
  return check;
}

/** The kind's defaults under the given fields (which win). Does not validate. */
export function withDefaults(kind: MonitorKind, fields: KindSettings): KindSettings {
  return Value.Default(kind.settings, Value.Clone(fields)) as KindSettings;
}

/**
 * Complete settings of a kind, defaults filled in, checked against the schema and the kind's own rules:
 * the settings to store (normalised), or the first problem naming its field.
 */
export function refineSettings(kind: MonitorKind, fields: KindSettings): KindSettings | SettingsProblem {
  const settings = withDefaults(kind, fields);
  const check = checkerOf(kind);
  if (!check.Check(settings)) {
    const error = check.Errors(settings).First();
    return { field: (error?.path ?? '').replace(/^\//, ''), problem: error?.message ?? 'is invalid' };
  }
  return kind.refine(settings as Static<TObject>) as KindSettings | SettingsProblem;
}

export { isProblem };

/**
 * Runs the check of a task. A kind this worker does not know, or settings that do not fit it (a task from
 * a newer version), is a Down with reason `unavailable` rather than a guess. Never rejects.
 */
export async function probe(
  kindName: string,
  settings: unknown,
  options: ProbeOptions,
): Promise<CheckOutcome> {
  const kind = byName.get(kindName);
  if (!kind) return unavailable(`this worker cannot run checks of kind "${kindName}"`);
  // Settings stored before a kind gained a field (and v1 tasks) lack it: its default applies.
  if (!checkerOf(kind).Check(settings) && isRecord(settings)) settings = withDefaults(kind, settings);
  if (!checkerOf(kind).Check(settings))
    return unavailable(`settings this worker cannot read for kind ${kindName}`);
  try {
    return await kind.probe(settings as Static<TObject>, options);
  } catch (error) {
    // Only a bug gets here; the outcome still has to be a Down with a reason rather than a rejection.
    return {
      ...unavailable(`internal checker error: ${(error as Error)?.message ?? String(error)}`),
      reason: 'protocol',
    };
  }
}

function isRecord(value: unknown): value is KindSettings {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parentOf(settings: unknown, path: readonly string[]): Record<string, unknown> | null {
  let current = settings;
  for (const key of path.slice(0, -1)) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'object' && current !== null && !Array.isArray(current)
    ? (current as Record<string, unknown>)
    : null;
}

/** What a secret looks like in an answer: that it is set, never its value. */
export const MASKED = '********';

/** Settings as answers show them: every secret replaced by MASKED. */
export function maskSecrets(kind: MonitorKind, settings: KindSettings): KindSettings {
  let masked: KindSettings | null = null;
  for (const path of kind.secrets(completeSettings(kind, settings) as Static<TObject>)) {
    if (typeof parentOf(settings, path)?.[path[path.length - 1]!] !== 'string') continue;
    masked ??= Value.Clone(settings);
    parentOf(masked, path)![path[path.length - 1]!] = MASKED;
  }
  return masked ?? settings;
}

/**
 * Stored settings as answers show them: defaults filled in (for settings stored before the kind gained a
 * field) and secrets masked. Settings stored complete, as refineSettings leaves them, pass the compiled
 * check and skip the default-filling walk of the schema, which cost more than the rest of a monitor list.
 */
export function shownSettings(kind: MonitorKind, settings: KindSettings): KindSettings {
  return maskSecrets(kind, completeSettings(kind, settings));
}

/** The settings themselves when complete, else a copy with the defaults filled in. */
function completeSettings(kind: MonitorKind, settings: KindSettings): KindSettings {
  return checkerOf(kind).Check(settings) ? settings : withDefaults(kind, settings);
}

/**
 * An update's settings with the secrets it left out, or sent back masked, taken from the stored ones (when
 * the object holding them is of the same type), so a client that saves what it was shown never erases a
 * password.
 */
export function keepSecrets(kind: MonitorKind, stored: KindSettings, updated: KindSettings): KindSettings {
  const result = withDefaults(kind, updated);
  for (const path of kind.secrets(result as Static<TObject>)) {
    const key = path[path.length - 1]!;
    const parent = parentOf(result, path);
    const storedParent = parentOf(stored, path);
    if (!parent || !storedParent || typeof storedParent[key] !== 'string') continue;
    if (parent.type !== storedParent.type) continue;
    if (parent[key] === undefined || parent[key] === MASKED) parent[key] = storedParent[key];
  }
  return result;
}
