import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from './client.js';

export interface Listener {
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Told when the server connection is lost and again when it is back (reconnects with backoff meanwhile). */
  onError?: (error: Error) => void;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;

/**
 * LISTENs on `channel` and calls `onPayload` with each notification's payload. On the PostgreSQL server it
 * holds one connection of its own (not a pool slot), reconnecting with backoff when it is lost; whatever
 * is notified while it is down is missed, so a consumer must be able to catch up by reading. On PGlite it
 * uses PGlite's own listen (the same session, which hears its own NOTIFYs at commit).
 */
export async function listen(
  db: Database,
  channel: string,
  onPayload: (payload: string) => void,
  options: ListenOptions = {},
): Promise<Listener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
  const client = (db as unknown as { $client: unknown }).$client;
  if (client instanceof pg.Pool) return listenOnServer(client, channel, onPayload, options);
  const pglite = client as {
    listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  };
  const unlisten = await pglite.listen(channel, onPayload);
  return { close: () => unlisten() };
}

async function listenOnServer(
  pool: pg.Pool,
  channel: string,
  onPayload: (payload: string) => void,
  options: ListenOptions,
): Promise<Listener> {
  let closed = false;
  let current: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  let delay = RECONNECT_MIN_MS;

  const connect = async (): Promise<void> => {
    // The pool's settings (URL, timeouts), without its statement limits: a listening session runs none.
    const {
      statement_timeout: _s,
      lock_timeout: _l,
      ...settings
    } = pool.options as pg.ClientConfig & {
      lock_timeout?: number;
    };
    const client = new pg.Client({ ...settings, application_name: 'better-uptime-listen' });
    client.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
    });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, new Error('the listening connection ended')));
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    if (closed) {
      await client.end().catch(() => undefined);
      return;
    }
    current = client;
    delay = RECONNECT_MIN_MS;
  };

  const lost = (client: pg.Client, error: Error) => {
    if (closed || current !== client) return;
    current = null;
    client.end().catch(() => undefined);
    options.onError?.(error);
    schedule();
  };

  const schedule = () => {
    if (closed) return;
    retry = setTimeout(() => {
      connect().catch((error: Error) => {
        options.onError?.(error);
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        schedule();
      });
    }, delay);
    retry.unref();
  };

  await connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      const client = current;
      current = null;
      await client?.end().catch(() => undefined);
    },
  };
}

/** NOTIFY `channel` of each payload, in one statement; inside a transaction, delivered at its commit. */
export async function notify(db: Database, channel: string, payloads: readonly string[]): Promise<void> {
  if (payloads.length === 0) return;
  await db.execute(
    sql`SELECT pg_notify(${channel}, p) FROM unnest(${sql.param([...payloads])}::text[]) AS p`,
  );
}
