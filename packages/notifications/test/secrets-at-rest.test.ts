import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelSecretBox } from '@better-uptime/config';
import { type Database, type DatabaseHandle, newId, notificationQueries, queryRows } from '@better-uptime/db';
import { databaseVariants, type ReceiverSink, seedUser, startReceiverSink } from '@better-uptime/testing';
import {
  ChannelSecretsUnreadable,
  maskedConfig,
  newChannelSecret,
  openChannel,
  sealStoredChannelSecrets,
} from '../src/index.js';
import {
  addChannel,
  deliveriesOf,
  link,
  logger,
  monitorWithChecks,
  notifyUntilSettled,
  secrets,
  SECRETS_KEY,
  testSettings,
} from './helpers.js';

const BOT_TOKEN = '123456789:AAEhBP0av28nRDsDiZ4l5Lz2dI4rZ9Ew0xQ';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const HOOK_SECRET = 'hook-path-secret-8f3a9c';

/**
 * The bytes PostgreSQL keeps for the channels table: its heap file, read by the server itself after a
 * checkpoint (so what is written is on disk), the same SQL on the server and on PGlite.
 */
async function storedBytes(db: Database): Promise<Buffer> {
  await db.execute(sql`CHECKPOINT`);
  const [row] = await queryRows<{ bytes: Buffer | Uint8Array }>(
    db,
    // Reading the table too locks it, which brings this session's idea of its file up to date.
    sql`SELECT pg_read_binary_file(pg_relation_filepath('channels')) AS bytes FROM (SELECT count(*) FROM channels) c`,
  );
  return Buffer.from(row!.bytes);
}

/** A channel stored the way it was before secrets were sealed: everything in the clear. */
async function plainChannel(db: Database, userId: string, type: string, config: Record<string, unknown>) {
  const secret = newChannelSecret();
  await notificationQueries.insertChannel(db, {
    id: newId(),
    userId,
    type,
    name: `${type} (old)`,
    config,
    secret,
    isDefault: false,
  });
  return secret;
}

describe.each(databaseVariants())('channel secrets at rest on $name', (variant) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let sink: ReceiverSink;

  beforeAll(async () => {
    if (!variant.available) return;
    ({ handle, drop } = await variant.create());
    sink = await startReceiverSink();
  });
  afterAll(async () => {
    await sink?.close();
    await drop?.();
  });

  it.skipIf(!variant.available)(
    'stores no secret in the clear, and a notifier still delivers with them (signature, token in the path)',
    async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      const hook = await addChannel(db, userId, 'webhook', { url: `${sink.url}/hook/${HOOK_SECRET}` });
      const telegram = await addChannel(db, userId, 'telegram', { botToken: BOT_TOKEN, chatId: '-100777' });
      const pager = await addChannel(db, userId, 'pagerduty', { routingKey: ROUTING_KEY });

      const bytes = await storedBytes(db);
      // The page is the channels' page: the fields that are not secrets are there to be seen...
      expect(bytes.includes('-100777')).toBe(true);
      expect(bytes.includes(sink.url.replace('http://', ''))).toBe(false);
      // ...and none of the secrets, whole or in part.
      for (const secret of [HOOK_SECRET, BOT_TOKEN, BOT_TOKEN.split(':')[1]!, ROUTING_KEY, hook.secret]) {
        expect(bytes.includes(secret), secret).toBe(false);
      }
      const [row] = await queryRows<{ config: Record<string, string>; secret: string }>(
        db,
        sql`SELECT config, secret FROM channels WHERE id = ${hook.id}`,
      );
      expect(row!.config.url).toMatch(/^v1\./);
      expect(row!.secret).toMatch(/^v1\./);
      // Answers show them masked, from the sealed values.
      expect(maskedConfig('webhook', row!.config, secrets)).toEqual({
        url: `${sink.url}/…${HOOK_SECRET.slice(-4)}`,
      });

      const monitor = await monitorWithChecks(db, userId);
      await link(db, monitor.id, [hook.id, telegram.id, pager.id]);
      await monitor.down();
      await notifyUntilSettled(db, [hook.id, telegram.id, pager.id], testSettings({ sinkUrl: sink.url }));
      for (const id of [hook.id, telegram.id, pager.id]) {
        expect((await deliveriesOf(db, id)).map((d) => d.status)).toEqual(['delivered']);
      }
      const [signed] = sink.received.filter((r) => r.path === `/hook/${HOOK_SECRET}`);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(
        String(signed!.headers['x-betteruptime-signature']),
      )!;
      expect(v1).toBe(createHmac('sha256', hook.secret).update(`${t}.${signed!.body}`).digest('hex'));
      expect(sink.received.some((r) => r.path === `/telegram/bot${BOT_TOKEN}/sendMessage`)).toBe(true);
      const paged = sink.received.find((r) => r.path === '/pagerduty');
      expect((paged!.json as { routing_key: string }).routing_key).toBe(ROUTING_KEY);
    },
  );

  it.skipIf(!variant.available)(
    'seals the rows stored in the clear at start, once however many processes start, and leaves no old copy in the table',
    async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      let oldSecret = '';
      // Several rounds: two processes starting together race differently each time.
      for (let round = 0; round < 4; round++) {
        oldSecret = await plainChannel(db, userId, 'telegram', {
          botToken: BOT_TOKEN,
          chatId: `${42 + round}`,
        });
        await plainChannel(db, userId, 'ntfy', {
          serverUrl: 'https://ntfy.example',
          topic: 'old-topic-in-clear',
        });
        expect((await storedBytes(db)).includes(BOT_TOKEN)).toBe(true);

        // Each row is sealed by one of them, and neither leaves a copy in the clear behind.
        const results = await Promise.all([
          sealStoredChannelSecrets(db, secrets, { rotating: false, logger }),
          sealStoredChannelSecrets(db, secrets, { rotating: false, logger }),
        ]);
        expect(results[0]!.sealed + results[1]!.sealed).toBe(2);
        expect((await sealStoredChannelSecrets(db, secrets, { rotating: false, logger })).sealed).toBe(0);

        const bytes = await storedBytes(db);
        for (const secret of [BOT_TOKEN, oldSecret, 'old-topic-in-clear']) {
          expect(bytes.includes(secret), `round ${round}: ${secret}`).toBe(false);
        }
      }
      const rows = await notificationQueries.storedChannelSecrets(db, { onlyClear: false, limit: 100 });
      const telegram = rows.find((r) => r.type === 'telegram' && r.config.chatId === '45')!;
      expect(openChannel(telegram, secrets)).toMatchObject({
        config: { botToken: BOT_TOKEN, chatId: '45' },
        secret: oldSecret,
      });
    },
  );

  it.skipIf(!variant.available || variant.name !== 'postgres')(
    'waits for a session whose snapshot predates the sealing, so the rewrite keeps no copy it could still read',
    async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      await plainChannel(db, userId, 'telegram', { botToken: BOT_TOKEN, chatId: '77' });
      let sealing!: Promise<{ sealed: number }>;
      const heldFor = 400;
      // A reader of another table (as autovacuum's ANALYZE is): no lock on channels, but a snapshot from
      // before the sealing, in which the rows in the clear are still live.
      await db.transaction(
        async (tx) => {
          await tx.execute(sql`SELECT count(*) FROM users`);
          sealing = sealStoredChannelSecrets(db, secrets, { rotating: false, logger });
          await new Promise((resolve) => setTimeout(resolve, heldFor));
        },
        { isolationLevel: 'repeatable read' },
      );
      expect((await sealing).sealed).toBe(1);
      expect((await storedBytes(db)).includes(BOT_TOKEN)).toBe(false);
    },
  );

  it.skipIf(!variant.available || variant.name !== 'postgres')(
    'waits for a writer in another database whose transaction predates the sealing (the rewrite’s own snapshot would keep the old copy)',
    async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      await plainChannel(db, userId, 'telegram', { botToken: BOT_TOKEN, chatId: '78' });
      // Another database of the same server, as another application or test suite would have.
      const other = await variant.create();
      try {
        let sealing!: Promise<{ sealed: number }>;
        await other.handle.db.transaction(async (tx) => {
          // A write gives the transaction an id older than the sealing's; every snapshot taken while it
          // runs, the rewrite's own included, counts it as in progress, whatever its database.
          await seedUser(tx as unknown as Database);
          sealing = sealStoredChannelSecrets(db, secrets, { rotating: false, logger });
          await new Promise((resolve) => setTimeout(resolve, 400));
        });
        expect((await sealing).sealed).toBe(1);
        expect((await storedBytes(db)).includes(BOT_TOKEN)).toBe(false);
      } finally {
        await other.drop();
      }
    },
  );

  it.skipIf(!variant.available)(
    'refuses to start with a key that does not open the stored secrets, and changes keys with SECRETS_KEY_PREVIOUS',
    async () => {
      const db = handle.db;
      const userId = await seedUser(db);
      const channel = await addChannel(db, userId, 'pagerduty', { routingKey: ROUTING_KEY });
      const newKey = 'the-next-secrets-key-0123456789abcdefghijkl';
      await expect(
        sealStoredChannelSecrets(db, channelSecretBox([newKey]), { rotating: false, logger }),
      ).rejects.toBeInstanceOf(ChannelSecretsUnreadable);

      const rotating = channelSecretBox([newKey, SECRETS_KEY]);
      const { sealed } = await sealStoredChannelSecrets(db, rotating, { rotating: true, logger });
      expect(sealed).toBeGreaterThanOrEqual(1);
      const [stored] = await queryRows<{ type: string; config: Record<string, unknown>; secret: string }>(
        db,
        sql`SELECT type, config, secret FROM channels WHERE id = ${channel.id}`,
      );
      // Now under the new key alone.
      expect(openChannel(stored!, channelSecretBox([newKey])).config).toEqual({ routingKey: ROUTING_KEY });
      expect(() => openChannel(stored!, secrets)).toThrow(ChannelSecretsUnreadable);
      // The rest of the suite's channels moved too; put them back under the suite's key.
      await sealStoredChannelSecrets(db, channelSecretBox([SECRETS_KEY, newKey]), { rotating: true, logger });
    },
  );
});
