import type { Logger, SecretBox } from '@better-uptime/config';
import { type Database, notificationQueries } from '@better-uptime/db';
import { channelDefinition } from './channel-types/index.js';

/**
 * Channel secrets at rest: the signing secret and the secret fields of a channel's config (webhook URLs,
 * bot tokens, routing keys, topics) are stored sealed (AES-256-GCM under SECRETS_KEY), each field in place,
 * so the other fields stay readable to SQL. They are opened only to send a message or to mask them for an
 * answer.
 */

/** The parts of a channel that hold secrets. */
export interface ChannelSecrets {
  type: string;
  config: Record<string, unknown>;
  secret: string;
}

/** A stored channel whose secrets none of the keys opens (SECRETS_KEY is not the key that sealed them). */
export class ChannelSecretsUnreadable extends Error {
  constructor(readonly channelId: string | undefined) {
    super(
      'the channel’s secrets do not open with SECRETS_KEY (not the key that sealed them; set SECRETS_KEY to ' +
        'that key, or SECRETS_KEY_PREVIOUS to it while changing keys)',
    );
    this.name = 'ChannelSecretsUnreadable';
  }
}

/** The channel as stored: every secret (given in the clear) sealed. */
export function sealChannel<C extends ChannelSecrets>(channel: C, box: SecretBox): C {
  const seal = (value: string) => box.seal(value);
  const config = { ...channel.config };
  for (const field of channelDefinition(channel.type).secretFields) {
    if (typeof config[field] === 'string') config[field] = seal(config[field]);
  }
  return { ...channel, config, secret: seal(channel.secret) };
}

/**
 * The channel with its secrets opened. A value in the clear (a row written before sealing, not yet
 * sealed by the start-up pass) is taken as it is; a sealed one no key opens throws ChannelSecretsUnreadable.
 */
export function openChannel<C extends ChannelSecrets & { id?: string }>(channel: C, box: SecretBox): C {
  const open = (value: string) => {
    if (!box.isSealed(value)) return value;
    const plain = box.open(value);
    if (plain === undefined) throw new ChannelSecretsUnreadable(channel.id);
    return plain;
  };
  const config = { ...channel.config };
  for (const field of channelDefinition(channel.type).secretFields) {
    if (typeof config[field] === 'string') config[field] = open(config[field]);
  }
  return { ...channel, config, secret: open(channel.secret) };
}

/** Whether every secret of the stored channel is sealed under the box's current key. */
function sealedUnderCurrentKey(channel: ChannelSecrets, box: SecretBox): boolean {
  const values = [
    channel.secret,
    ...channelDefinition(channel.type)
      .secretFields.map((field) => channel.config[field])
      .filter((v): v is string => typeof v === 'string'),
  ];
  return values.every((value) => box.sealedWithCurrentKey(value));
}

const PAGE = 500;
const SNAPSHOT_WAIT_MS = 10_000;
const SNAPSHOT_POLL_MS = 50;

/**
 * Waits, for a bounded time, until a rewrite would drop the row versions the sealing transaction replaced:
 * while a snapshot from before it may still read them (a long query, autovacuum's ANALYZE, or any older
 * transaction of the server still running), the rewrite carries the secrets in the clear into the new file.
 */
async function waitForOlderSnapshots(db: Database, sealingTransaction: string): Promise<boolean> {
  const deadline = Date.now() + SNAPSHOT_WAIT_MS;
  while (await notificationQueries.olderTransactionsRunning(db, sealingTransaction)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_POLL_MS));
  }
  return true;
}

/**
 * Run at start by every process that holds the key (API, producer): seals the channels stored in the
 * clear (rows from before secrets were sealed) and, while SECRETS_KEY_PREVIOUS is set, re-seals those
 * under the previous key, then rewrites the table so no page keeps the replaced row versions. Throws
 * ChannelSecretsUnreadable when the stored secrets do not open with the keys given, rather than run with
 * notifications that cannot be sent.
 *
 * Processes starting together take turns: the pass runs in one transaction whose first statement locks
 * the table against other writers and passes (LOCK TABLE waits without a snapshot). A snapshot held by a
 * waiting process would make the rewrite keep the old row versions, which it may still see.
 */
export async function sealStoredChannelSecrets(
  db: Database,
  box: SecretBox,
  options: { rotating: boolean; logger: Logger },
): Promise<{ sealed: number }> {
  let sealingTransaction = '';
  const sealed = await db.transaction(async (transaction) => {
    const tx = transaction as unknown as Database;
    await notificationQueries.lockChannelsForSealing(tx);
    sealingTransaction = await notificationQueries.currentTransactionId(tx);
    if (!options.rotating) {
      // A wrong key is found on the newest sealed row, without reading them all.
      const [newest] = await notificationQueries.storedChannelSecrets(tx, { onlyClear: false, limit: 1 });
      if (newest && box.isSealed(newest.secret)) openChannel(newest, box);
    }
    let count = 0;
    let afterId: string | undefined;
    for (;;) {
      const page = await notificationQueries.storedChannelSecrets(tx, {
        onlyClear: !options.rotating,
        limit: PAGE,
        afterId,
        ascending: true,
      });
      for (const stored of page) {
        if (sealedUnderCurrentKey(stored, box)) continue;
        const resealed = sealChannel(openChannel(stored, box), box);
        if (await notificationQueries.replaceChannelSecrets(tx, stored, resealed)) count++;
      }
      if (page.length < PAGE) return count;
      afterId = page[page.length - 1]!.id;
    }
  });
  if (sealed > 0) {
    options.logger.info({ channels: sealed }, 'channel secrets sealed under SECRETS_KEY');
    // The replaced row versions, with the secrets in the clear, stay in the table's pages until they are
    // reused; rewriting the (small) table drops them now. Best effort: it needs a moment's exclusive lock.
    try {
      if (!(await waitForOlderSnapshots(db, sealingTransaction))) {
        options.logger.warn(
          { waitedMs: SNAPSHOT_WAIT_MS },
          'a transaction older than the sealing still runs; the rewrite may keep old row versions until autovacuum',
        );
      }
      await notificationQueries.rewriteChannels(db);
    } catch (error) {
      options.logger.warn(
        { err: error },
        'channels table not rewritten; old row versions go with autovacuum',
      );
    }
  }
  return { sealed };
}
