import type { QueuedTask } from './queue.js';
import { encodeTask } from './codec.js';

/** One entry of the dead-letter stream, as both queue implementations record it. */
export interface DeadLetterEntry {
  /** The entry's id in the dead-letter stream. */
  id: string;
  /** The id the entry had in the work stream. */
  originalId: string;
  region: string;
  reason: string;
  /** Deliveries to the region's group before it was given up. */
  deliveries: number;
  /** The payload as it was stored in the work stream (undecodable ones included). */
  payload: string;
  /** When it was dead-lettered, epoch milliseconds. */
  deadLetteredAt: number;
}

/** The payload to keep for a dead letter: the stored one when known, else the task re-encoded. */
export function deadLetterPayload(entry: QueuedTask): string {
  if (entry.payload !== undefined) return entry.payload;
  return entry.task ? encodeTask(entry.task) : '';
}
