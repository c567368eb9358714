import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { LiveNews } from '@better-uptime/incidents';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { createLiveFeed } from '../live/feed.js';
import { type MaintenanceChange, watchMaintenance } from '../live/maintenance-watch.js';
import { invalid } from '../errors.js';
import { AUTHENTICATED, errorResponses } from '../schemas/common.js';
import { PATTERN_MESSAGE } from '../validation.js';

/** What an EventSource waits before it reconnects (the stream's `retry:` hint). */
export const LIVE_RETRY_MS = 5_000;
/** A comment line this often keeps proxies and the browser from taking a quiet stream for a dead one. */
export const LIVE_HEARTBEAT_MS = 15_000;
/**
 * A subscriber whose unsent bytes exceed this is too slow (a stalled connection): its stream is closed
 * rather than buffered without bound; its EventSource reconnects and the page reads the overview again.
 */
export const LIVE_MAX_BUFFERED_BYTES = 256 * 1024;

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** The news as server-sent events: `state` changes first, then `check` summaries. */
export function liveEvents(news: LiveNews): string {
  let text = '';
  for (const s of news.states) {
    text += `event: state\ndata: ${JSON.stringify({ monitorId: s.monitorId, status: s.status, since: iso(s.since) })}\n\n`;
  }
  for (const c of news.checks) {
    const check = {
      monitorId: c.monitorId,
      region: c.region,
      status: c.status,
      responseTimeMs: c.responseTimeMs,
      checkedAt: iso(c.checkedAt),
    };
    text += `event: check\ndata: ${JSON.stringify(check)}\n\n`;
  }
  return text;
}

/** Monitors entering or leaving maintenance as server-sent events. */
export function maintenanceEvents(changes: readonly MaintenanceChange[]): string {
  return changes
    .map(
      (c) =>
        `event: maintenance\ndata: ${JSON.stringify({ monitorId: c.monitorId, inMaintenance: c.inMaintenance, at: iso(c.at) })}\n\n`,
    )
    .join('');
}

/** At most this many monitors in a stream's filter: a page of the overview at its largest. */
const MAX_FILTERED_MONITORS = 500;

export const OverviewEventsQuery = Type.Object(
  {
    monitorIds: Type.Optional(
      Type.String({
        maxLength: MAX_FILTERED_MONITORS * 37,
        pattern: '^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36})*$',
        [PATTERN_MESSAGE]: 'must be monitor ids separated by commas',
        description:
          `Only these monitors (up to ${MAX_FILTERED_MONITORS}, comma-separated): the ones the page shows. ` +
          'Without it, every monitor of yours; ids of others’ monitors simply never have news',
      }),
    ),
  },
  { additionalProperties: false },
);

/** News of the named monitors only. */
function only(news: LiveNews, monitorIds: ReadonlySet<string> | null): LiveNews {
  if (monitorIds === null) return news;
  return {
    checks: news.checks.filter((c) => monitorIds.has(c.monitorId)),
    states: news.states.filter((s) => monitorIds.has(s.monitorId)),
  };
}

/** GET /api/overview/events: the caller's monitors' state changes and new checks, as they are committed. */
export function overviewEventRoutes(app: ApiServer, ctx: ApiContext, heartbeatMs = LIVE_HEARTBEAT_MS): void {
  const feed = createLiveFeed(ctx.db, app.log);
  const open = new Set<ServerResponse>();
  // Streams never end on their own: end them before the server waits for its connections to close.
  app.addHook('preClose', async () => {
    for (const raw of open) raw.end();
    open.clear();
    await feed.close();
  });

  app.get(
    '/api/overview/events',
    {
      onRequest: ctx.authenticate,
      schema: {
        tags: ['stats'],
        security: AUTHENTICATED,
        summary: 'Live updates of your monitors, as server-sent events',
        description:
          'A text/event-stream that stays open. `event: state` with `{monitorId, status, since}` when a ' +
          'monitor’s confirmed state changes (as stored), `event: maintenance` with ' +
          '`{monitorId, inMaintenance, at}` when a maintenance window starts or ends (the overview shows such a ' +
          'monitor as in maintenance unless it is down or paused: read /api/overview again), and ' +
          '`event: check` with `{monitorId, region, status, responseTimeMs, checkedAt}` for each ' +
          `new check; a comment line every ${LIVE_HEARTBEAT_MS / 1000} s; \`retry: ${LIVE_RETRY_MS}\` first. ` +
          'Events are told when their results are committed; nothing is replayed, so after a reconnect read ' +
          '/api/overview again. A client that does not keep up is disconnected.',
        querystring: OverviewEventsQuery,
        response: {
          200: {
            description: 'The event stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const userId = authOf(request).user.id;
      const raw = reply.raw;
      let started = false;
      const send = (text: string) => {
        // News that comes before the headers are out waits for nothing: the page reads the overview anyway.
        if (!started || raw.writableEnded) return;
        if (raw.writableLength > LIVE_MAX_BUFFERED_BYTES) {
          request.log.info({ userId }, 'live updates: subscriber too slow; closing its stream');
          stop();
          raw.destroy();
          return;
        }
        raw.write(text);
      };
      // Subscribed before the answer starts: a database that cannot be listened to is a 503, not a
      // stream that never says anything.
      const filter = request.query.monitorIds;
      const monitorIds = filter === undefined ? null : new Set(filter.toLowerCase().split(','));
      if (monitorIds && monitorIds.size > MAX_FILTERED_MONITORS) {
        throw invalid('querystring/monitorIds', `must name at most ${MAX_FILTERED_MONITORS} monitors`);
      }
      const unsubscribe = await feed.subscribe(userId, (news) => {
        const shown = only(news, monitorIds);
        if (shown.checks.length > 0 || shown.states.length > 0) send(liveEvents(shown));
      });
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      raw.write(`retry: ${LIVE_RETRY_MS}\n\n`);
      started = true;
      open.add(raw);
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
      const stopWatching = watchMaintenance(
        ctx.db,
        userId,
        (changes) => {
          const shown = monitorIds ? changes.filter((c) => monitorIds.has(c.monitorId)) : changes;
          if (shown.length > 0) send(maintenanceEvents(shown));
        },
        {
          now: ctx.now,
          onError: (err) => request.log.warn({ err }, 'live updates: maintenance windows not read'),
        },
      );
      const stop = () => {
        clearInterval(heartbeat);
        stopWatching();
        unsubscribe();
        open.delete(raw);
      };
      raw.on('close', stop);
      // Gone while it was being subscribed: 'close' has been and will not come again.
      if (raw.destroyed) stop();
    },
  );
}
