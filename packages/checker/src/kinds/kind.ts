import type { Static, TObject } from '@sinclair/typebox';
import type { ReceiveClock } from '@better-uptime/receive-time';
import { tidyMessage } from '../errors.js';
import type { CheckOutcome, HostResolver } from '../types.js';

/** What a prober needs besides the monitor's settings: its budget and the worker's environment. */
export interface ProbeOptions {
  /** Total time budget of the check. */
  timeoutMs: number;
  /** Allow targets on loopback, private, link-local and other special addresses (tests, intranets). */
  allowPrivateTargets: boolean;
  /** Says when response data arrived; defaults to the kernel's receive times where available. */
  clock?: ReceiveClock;
  /** Replaces the system resolver (tests); the private-target guard still judges every address. */
  resolveHost?: HostResolver;
  /** Certificate authorities to trust instead of the public roots (tests, private CAs), as Node's `ca`. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** The ping command to run (ping kind); `ping` on the PATH when unset. */
  pingCommand?: string;
}

/** A setting the schema accepts but the rules do not: the field (a JSON pointer below the body) and why. */
export interface SettingsProblem {
  field: string;
  problem: string;
}

/** Where settings hold secrets: paths of keys, such as ["auth", "password"] or ["headers", "X-Api-Key"]. */
export type SecretPaths = ReadonlyArray<readonly string[]>;

/**
 * One monitor kind, defined once: its settings schema (with defaults; it validates the API and describes
 * it in OpenAPI), the rules the schema cannot say, how people read its target, its secrets, and its prober.
 */
export interface MonitorKind<S extends TObject = TObject> {
  readonly name: string;
  /** The kind's own fields, beside the common ones (name, interval, regions, timeout, alert fields). */
  readonly settings: S;
  /** Checks and normalises complete settings (defaults filled in): the settings to store, or the first problem. */
  refine(settings: Static<S>): Static<S> | SettingsProblem;
  /** What is checked, as people read it (the URL, host:port): the default name and the incident's target. */
  target(settings: Static<S>): string;
  /** The name of a monitor created without one; the target when left out. */
  defaultName?(settings: Static<S>): string;
  /**
   * Set for a kind judged from what is pushed to it rather than probed by workers: the producer judges its
   * slots and stores them under this one region (workers never get its tasks).
   */
  readonly pushRegion?: string;
  /** Where these settings hold secrets: masked in answers, kept when an update leaves them out. */
  secrets(settings: Static<S>): SecretPaths;
  /** Runs one check; resolves with a Down outcome for every failure and never rejects. */
  probe(settings: Static<S>, options: ProbeOptions): Promise<CheckOutcome>;
}

export function isProblem(value: unknown): value is SettingsProblem {
  return typeof value === 'object' && value !== null && 'problem' in value && 'field' in value;
}

/** Defines a kind; the identity function that lets TypeScript infer the settings' type from the schema. */
export function defineKind<S extends TObject>(kind: MonitorKind<S>): MonitorKind<S> {
  return kind;
}

/** A check that could not be run here (a kind or settings this worker cannot read, ping missing): Down. */
export function unavailable(message: string): CheckOutcome {
  return {
    status: 'Down',
    reason: 'unavailable',
    message: tidyMessage(message),
    statusCode: null,
    responseTimeMs: 0,
    timings: { dnsMs: null, connectMs: null, tlsMs: null, firstByteMs: null },
    certExpiresAt: null,
    details: null,
    startedAt: Date.now(),
  };
}
