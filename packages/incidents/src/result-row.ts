import type { CheckOutcome } from '@better-uptime/checker';
import type { ResultRow } from '@better-uptime/db';

/** A check's outcome as the row stored for its slot: the one mapping, for workers and the heartbeat judge. */
export function resultRowOf(
  slot: { monitorId: string; region: string; scheduledAt: number },
  outcome: CheckOutcome,
): ResultRow {
  return {
    monitorId: slot.monitorId,
    region: slot.region,
    scheduledAt: new Date(slot.scheduledAt),
    checkedAt: new Date(outcome.startedAt),
    status: outcome.status,
    responseTimeMs: outcome.responseTimeMs,
    statusCode: outcome.statusCode,
    reason: outcome.reason,
    message: outcome.message,
    dnsMs: outcome.timings.dnsMs,
    connectMs: outcome.timings.connectMs,
    tlsMs: outcome.timings.tlsMs,
    firstByteMs: outcome.timings.firstByteMs,
    certExpiresAt: outcome.certExpiresAt,
    details: outcome.details,
  };
}
