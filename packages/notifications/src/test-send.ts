import type { Logger } from '@better-uptime/config';
import { type Database, notificationQueries } from '@better-uptime/db';
import type { SendContext } from './channel-types/index.js';
import { testEvent } from './events.js';
import { leaseMs, sendDeliveries } from './notifier.js';

/**
 * Sends a channel's test message now and answers how it went: a `test` event with one delivery, sent once
 * (no retries: the person who asked is waiting for this answer) and recorded like any other attempt.
 */
export async function sendTestMessage(
  db: Database,
  channel: { id: string; userId: string; name: string },
  context: SendContext,
  logger: Logger,
  now = Date.now(),
) {
  const deliveryId = await notificationQueries.enqueueTestEvent(
    db,
    testEvent(channel.userId, channel, now),
    channel.id,
  );
  const claimed = await notificationQueries.claimDelivery(db, deliveryId, leaseMs(context.settings));
  if (!claimed) throw new Error('a new test delivery could not be claimed');
  const result = await sendDeliveries(db, [claimed], context, logger, false);
  return { deliveryId, ...result };
}
