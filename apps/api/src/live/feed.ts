import type { FastifyBaseLogger } from 'fastify';
import { type Database, listen, type Listener } from '@better-uptime/db';
import { LIVE_CHANNEL, type LiveNews, parseLivePayload } from '@better-uptime/incidents';

/** A subscriber's handler of the news for its user. */
export type LiveSubscriber = (news: LiveNews) => void;

export interface LiveFeed {
  /** Calls `subscriber` with the news of `userId`'s monitors until the returned function is called. */
  subscribe(userId: string, subscriber: LiveSubscriber): Promise<() => void>;
  /** How many subscribers are open. */
  size(): number;
  close(): Promise<void>;
}

/**
 * The process's one LISTEN connection, fanned out to its subscribers by user. It listens from the first
 * subscription on (a process nobody watches holds no connection for it) until close.
 */
export function createLiveFeed(db: Database, log: FastifyBaseLogger): LiveFeed {
  const byUser = new Map<string, Set<LiveSubscriber>>();
  let listener: Promise<Listener> | null = null;
  let subscribers = 0;

  const deliver = (payload: string) => {
    const news = parseLivePayload(payload);
    const perUser = new Map<string, LiveNews>();
    const of = (userId: string) => {
      let entry = perUser.get(userId);
      if (!entry) perUser.set(userId, (entry = { checks: [], states: [] }));
      return entry;
    };
    for (const check of news.checks) if (byUser.has(check.userId)) of(check.userId).checks.push(check);
    for (const state of news.states) if (byUser.has(state.userId)) of(state.userId).states.push(state);
    for (const [userId, own] of perUser) for (const subscriber of byUser.get(userId) ?? []) subscriber(own);
  };

  return {
    async subscribe(userId, subscriber) {
      listener ??= listen(db, LIVE_CHANNEL, deliver, {
        onError: (error) => log.warn({ err: error }, 'live updates: listening connection lost; reconnecting'),
      }).catch((error: unknown) => {
        listener = null;
        throw error;
      });
      await listener;
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(subscriber);
      subscribers += 1;
      return () => {
        if (!set.delete(subscriber)) return;
        subscribers -= 1;
        if (set.size === 0) byUser.delete(userId);
      };
    },
    size: () => subscribers,
    async close() {
      byUser.clear();
      subscribers = 0;
      const open = listener;
      listener = null;
      if (open) await (await open.catch(() => null))?.close();
    },
  };
}
