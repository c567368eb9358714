import { type Database, notificationQueries, ownedIds } from '@better-uptime/db';
import { invalid } from '../errors.js';

/** A monitor's notification fields as requests carry them. */
export interface NotificationFields {
  channelIds?: string[] | undefined;
  reminderIntervalMinutes?: number | undefined;
}

/** Splits a monitor request body into its notification fields and the monitor's own settings. */
export function splitNotificationFields<T extends NotificationFields>(
  body: T,
): [NotificationFields, Omit<T, keyof NotificationFields>] {
  const { channelIds, reminderIntervalMinutes, ...rest } = body;
  return [{ channelIds, reminderIntervalMinutes }, rest];
}

/** Every channel id must name one of the user's channels: another's is refused like a missing one. */
export async function checkChannelIds(
  db: Database,
  userId: string,
  fields: NotificationFields,
): Promise<void> {
  if (!fields.channelIds) return;
  const owned = await ownedIds(db, 'channels', userId, fields.channelIds);
  fields.channelIds.forEach((id, i) => {
    if (!owned.has(id)) throw invalid(`body/channelIds/${i}`, 'is not one of your channels');
  });
}

/**
 * Stores the fields in the monitor's transaction. A new monitor without `channelIds` gets the user's
 * default channels; an edit without them keeps its channels.
 */
export async function saveNotificationFields(
  tx: Database,
  userId: string,
  monitorId: string,
  fields: NotificationFields,
  creating: boolean,
): Promise<void> {
  if (fields.channelIds || creating)
    await notificationQueries.setMonitorChannels(tx, userId, monitorId, fields.channelIds ?? 'defaults');
  if (fields.reminderIntervalMinutes !== undefined)
    await notificationQueries.setMonitorReminder(tx, monitorId, fields.reminderIntervalMinutes);
}

export const notificationFieldsOf = notificationQueries.monitorNotificationSettings;
