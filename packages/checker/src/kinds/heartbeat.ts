/**
 * The heartbeat (push) kind: nothing is probed. A cron job or a service calls the monitor's secret push URL,
 * and each slot is judged from what arrived: up when a push came within the interval plus the grace period
 * before the slot (down when the newest push said so), `no_heartbeat` when none did. The producer judges
 * the slots (`judgeHeartbeat`) and stores them under one region of their own, `HEARTBEAT_REGION`, through
 * the same result path as every other kind.
 */
import { Type } from '@sinclair/typebox';
import { tidyMessage } from '../errors.js';
import type { CheckOutcome } from '../types.js';
import { defineKind, unavailable } from './kind.js';

/** Where heartbeat results are stored: judged once, by the producer, for every region alike. */
export const HEARTBEAT_REGION = 'push';

/** What a push says: the sender's own verdict and a note. */
export const PUSH_STATUSES = ['up', 'down'] as const;
export type PushStatus = (typeof PUSH_STATUSES)[number];
/** The longest note a push may carry. */
export const MAX_PUSH_MESSAGE = 500;

export const heartbeatKind = defineKind({
  name: 'heartbeat',
  settings: Type.Object({
    graceSeconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 60,
      description:
        'Down when no push arrived within intervalSeconds plus this many seconds (room for a late cron job)',
    }),
  }),
  pushRegion: HEARTBEAT_REGION,
  secrets: () => [],
  refine: (settings) => settings,
  target: () => 'push URL',
  defaultName: () => 'Heartbeat',
  // Never reached through the producer, which judges heartbeats itself; a task from elsewhere gets a clear Down.
  probe: async () => unavailable('heartbeat monitors are judged from their pushes, not checked by workers'),
});

/** The newest push a monitor received, if any. */
export interface LastPush {
  at: number;
  status: PushStatus;
  message: string | null;
}

export interface HeartbeatSlot {
  /** The slot being judged, epoch ms. */
  slotAt: number;
  intervalSeconds: number;
  graceSeconds: number;
  lastPush: LastPush | null;
  /**
   * Since when pushes are expected (created, resumed, switched to this kind or its URL regenerated): a slot
   * whose window reaches back before this is not judged missing yet.
   */
  armedAt: number;
  /** When the judgement is made (checkedAt's clock). */
  now: number;
}

/**
 * A slot's outcome, or null while pushes are not yet due (the window still reaches back before the monitor
 * was armed and no push came since): no verdict is better than an up nobody reported.
 */
export function judgeHeartbeat(slot: HeartbeatSlot): CheckOutcome | null {
  const windowStart = slot.slotAt - (slot.intervalSeconds + slot.graceSeconds) * 1000;
  const push = slot.lastPush && slot.lastPush.at > windowStart ? slot.lastPush : null;
  if (!push && slot.armedAt > windowStart) return null;
  const outcome = (
    status: 'Up' | 'Down',
    reason: CheckOutcome['reason'],
    message: string | null,
  ): CheckOutcome => ({
    status,
    reason,
    message: message === null ? null : tidyMessage(message),
    statusCode: null,
    responseTimeMs: 0,
    timings: { dnsMs: null, connectMs: null, tlsMs: null, firstByteMs: null },
    certExpiresAt: null,
    details: {
      lastPushAt: slot.lastPush ? new Date(slot.lastPush.at).toISOString() : null,
      ...(push ? { pushStatus: push.status, pushMessage: push.message } : {}),
    },
    startedAt: slot.now,
  });
  if (!push) {
    const window = slot.intervalSeconds + slot.graceSeconds;
    return outcome(
      'Down',
      'no_heartbeat',
      slot.lastPush
        ? `no heartbeat for ${Math.round((slot.slotAt - slot.lastPush.at) / 1000)} s (expected within ${window} s)`
        : `no heartbeat received yet (expected within ${window} s)`,
    );
  }
  if (push.status === 'down') return outcome('Down', 'reported_down', push.message ?? 'the push said down');
  return outcome('Up', null, null);
}
