/**
 * The slots a worker took lately, each with the entry it came in. Publishing is at least once (a publish
 * that timed out after Redis took it is published again, as is the claim of a scheduler that died before
 * deleting it), so the same slot can come in a second entry: checking it again would hit the target twice,
 * and shedding it again would count one slot twice. A second delivery of the same entry is no duplicate
 * (it is a retry: its result was refused, or its ack was lost).
 *
 * Bounded: the oldest slots are forgotten first, and duplicates come seconds after the original.
 */
/** A slot's identity: a monitor's check scheduled at a time (epoch ms). */
export function slotKey(monitorId: string, scheduledAt: number): string {
  return `${monitorId}@${scheduledAt}`;
}

export class RecentSlots {
  private readonly entryOfSlot = new Map<string, string>();

  constructor(private readonly capacity = 100_000) {}

  /** Notes that `entryId` brings this slot; true when another entry brought it already. */
  isDuplicate(monitorId: string, scheduledAt: number, entryId: string): boolean {
    const key = slotKey(monitorId, scheduledAt);
    const known = this.entryOfSlot.get(key);
    if (known !== undefined) return known !== entryId;
    this.entryOfSlot.set(key, entryId);
    if (this.entryOfSlot.size > this.capacity) this.entryOfSlot.delete(this.entryOfSlot.keys().next().value!);
    return false;
  }
}
