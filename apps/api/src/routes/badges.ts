import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { monitorQueries, rollups } from '@better-uptime/db';
import { maintenanceIntervals, shownState } from '@better-uptime/incidents';
import { type Badge, type BadgeColor, renderBadge } from '../badges/svg.js';
import type { ApiContext, ApiServer } from '../context.js';
import { notFound } from '../errors.js';
import { etagOf, sendNotModified } from '../http-cache.js';
import { monitorsInMaintenance } from '../monitors/maintenance.js';
import { errorResponses } from '../schemas/common.js';
import { ResultParams } from '../schemas/check.js';

/** Badges are cached this long by browsers and proxies (README images are fetched through GitHub's proxy). */
const BADGE_MAX_AGE_SECONDS = 60;
const BADGE_WINDOWS = { '24h': 1, '7d': 7, '30d': 30, '90d': 90 } as const;
type BadgeWindow = keyof typeof BADGE_WINDOWS;
const DAY_MS = 86_400_000;
/** Response-time badges cover the last day. */
const RESPONSE_WINDOW_MS = DAY_MS;

const STATE_COLORS: Record<string, BadgeColor> = {
  up: 'brightgreen',
  down: 'red',
  maintenance: 'blue',
  paused: 'grey',
  pending: 'grey',
};

const Label = Type.Optional(
  Type.String({ minLength: 1, maxLength: 40, description: 'Text of the left half instead of the default' }),
);
const BadgeQuery = Type.Object({ label: Label }, { additionalProperties: false });
const UptimeBadgeQuery = Type.Object(
  {
    window: Type.Optional(
      Type.Union(
        (Object.keys(BADGE_WINDOWS) as BadgeWindow[]).map((w) => Type.Literal(w)),
        { default: '30d', description: 'How far back from now: 24h, 7d, 30d or 90d' },
      ),
    ),
    label: Label,
  },
  { additionalProperties: false },
);
const SvgResponse = { 200: Type.String({ description: 'An SVG image' }), ...errorResponses(400, 404) };

export function uptimeColor(percent: number): BadgeColor {
  if (percent >= 99.9) return 'brightgreen';
  if (percent >= 99) return 'green';
  if (percent >= 97) return 'yellowgreen';
  if (percent >= 95) return 'yellow';
  if (percent >= 90) return 'orange';
  return 'red';
}

export function responseColor(ms: number): BadgeColor {
  if (ms < 300) return 'brightgreen';
  if (ms < 700) return 'green';
  if (ms < 1500) return 'yellow';
  if (ms < 3000) return 'orange';
  return 'red';
}

/** Up to 3 decimals, without trailing zeros: 100%, 99.95%, 99.123%. */
export const formatPercent = (percent: number) => `${Number(percent.toFixed(3))}%`;

/**
 * Public badges (no login) for monitors whose owner turned `publicBadges` on; any other id, missing or
 * private, answers the same 404. Served with a short max-age and an ETag of the image.
 */
export function badgeRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const tags = ['badges'];

  async function publicMonitor(id: string) {
    const monitor = await monitorQueries.findPublicBadgeMonitor(db, id);
    if (!monitor) throw notFound('Badge');
    return monitor;
  }

  /** Uptime counts, and response-time sum and count of the monitor over the last `ms`, all regions. */
  async function figures(monitorId: string, ms: number) {
    const toMs = ctx.now();
    const fromMs = toMs - ms;
    const rows = await rollups.windowFigures(db, [monitorId], {
      fromMs,
      toMs,
      periodSeconds: 86_400,
      maintenance: await maintenanceIntervals(db, [monitorId], fromMs, toMs),
      withHistogram: false,
    });
    const total = {
      checks: 0,
      up: 0,
      maintenanceChecks: 0,
      maintenanceUp: 0,
      responses: 0,
      responseMsSum: 0,
    };
    for (const row of rows) {
      total.checks += row.checks;
      total.up += row.up;
      total.maintenanceChecks += row.maintenanceChecks;
      total.maintenanceUp += row.maintenanceUp;
      total.responses += row.responses;
      total.responseMsSum += row.responseMsSum;
    }
    return total;
  }

  function sendSvg(request: FastifyRequest, reply: FastifyReply, badge: Badge) {
    const svg = renderBadge(badge);
    if (sendNotModified(request, reply, etagOf(svg), BADGE_MAX_AGE_SECONDS)) return reply;
    return reply
      .header('content-type', 'image/svg+xml; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .send(svg);
  }

  app.get(
    '/api/badges/:monitorId/status.svg',
    {
      schema: {
        tags,
        summary: 'A status badge (up, down, maintenance, paused, pending) of a monitor with public badges',
        params: ResultParams,
        querystring: BadgeQuery,
        response: SvgResponse,
      },
    },
    async (request, reply) => {
      const monitor = await publicMonitor(request.params.monitorId);
      const inMaintenance = (await monitorsInMaintenance(db, monitor.userId, ctx.now())).has(monitor.id);
      const state = shownState(monitor.state, inMaintenance);
      return sendSvg(request, reply, {
        label: request.query.label ?? 'status',
        value: state,
        color: STATE_COLORS[state] ?? 'grey',
      });
    },
  );

  app.get(
    '/api/badges/:monitorId/uptime.svg',
    {
      schema: {
        tags,
        summary:
          'An uptime badge (up checks / checks over a window, all regions, planned maintenance left out) of a monitor with public badges',
        params: ResultParams,
        querystring: UptimeBadgeQuery,
        response: SvgResponse,
      },
    },
    async (request, reply) => {
      const window: BadgeWindow = request.query.window ?? '30d';
      const monitor = await publicMonitor(request.params.monitorId);
      const percent = rollups.uptimePercent(await figures(monitor.id, BADGE_WINDOWS[window] * DAY_MS));
      return sendSvg(request, reply, {
        label: request.query.label ?? `uptime ${window}`,
        value: percent === null ? 'no data' : formatPercent(percent),
        color: percent === null ? 'grey' : uptimeColor(percent),
      });
    },
  );

  app.get(
    '/api/badges/:monitorId/response.svg',
    {
      schema: {
        tags,
        summary: 'A badge of the average response time over the last 24 h of a monitor with public badges',
        params: ResultParams,
        querystring: BadgeQuery,
        response: SvgResponse,
      },
    },
    async (request, reply) => {
      const monitor = await publicMonitor(request.params.monitorId);
      const { responses, responseMsSum } = await figures(monitor.id, RESPONSE_WINDOW_MS);
      const average = responses > 0 ? Math.round(responseMsSum / responses) : null;
      return sendSvg(request, reply, {
        label: request.query.label ?? 'response',
        value: average === null ? 'no data' : `${average} ms`,
        color: average === null ? 'grey' : responseColor(average),
      });
    },
  );
}
