import type { FastifyBaseLogger } from 'fastify';
import {
  type Database,
  incidentQueries,
  isUuid,
  monitorQueries,
  type MonitorRow,
  newId,
} from '@better-uptime/db';
import {
  logSettled,
  type SettleReason,
  settleMonitorState,
  settleReasonFor,
  shownState,
  notifyLive,
} from '@better-uptime/incidents';
import { checkChanged, nextSlotAfter } from '@better-uptime/scheduler';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ApiError, notFound } from '../errors.js';
import { isPushKind, newPushUrl, pushFieldsOf, pushUrlAfterEdit } from '../monitors/heartbeat.js';
import { monitorsInMaintenance } from '../monitors/maintenance.js';
import {
  checkChannelIds,
  notificationFieldsOf,
  saveNotificationFields,
  splitNotificationFields,
} from '../monitors/notifications.js';
import {
  checkAlertSettings,
  checkRegionsKnown,
  checkTimeoutFitsInterval,
  rescheduledAt,
  settingsForCreate,
  settingsForUpdate,
} from '../monitors/input.js';
import { monitorWriteLimit } from '../monitors/write-limit.js';
import { incidentJson, monitorJson, monitorViewJson } from '../present.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import {
  MonitorListQuery,
  MonitorListResponse,
  MonitorParams,
  type MonitorBody,
  MonitorResponse,
  monitorInputSchemas,
} from '../schemas/monitor.js';
import { withTimeout } from '../timeout.js';

const DEFAULT_LIMIT = 100;
const HOOK_TIMEOUT_MS = 5_000;

export function monitorRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db } = ctx;
  const input = monitorInputSchemas();
  const common = { onRequest: ctx.authenticate };
  const tags = ['monitors'];
  const security = AUTHENTICATED;
  const writes = { ...common, preHandler: monitorWriteLimit(app, ctx) };

  /** A monitor as the single-monitor routes answer it: with its state and its open incident, if any. */
  async function monitorWithIncident(
    userId: string,
    monitor: monitorQueries.MonitorWithState,
    wholePushUrl: string | null = null,
  ) {
    const inWindow = (await monitorsInMaintenance(db, userId, ctx.now())).has(monitor.id);
    monitor = { ...monitor, state: shownState(monitor.state, inWindow) };
    const incident = monitor.openIncidentId
      ? await incidentQueries.findIncident(db, userId, monitor.openIncidentId)
      : null;
    return {
      ...monitorJson(monitor),
      ...(await notificationFieldsOf(db, monitor.id)),
      ...(await pushFieldsOf(db, ctx.config.notifications.publicUrl, monitor, wholePushUrl)),
      openIncident: incident ? incidentJson(incident) : null,
    };
  }

  /** Tells the scheduling hook; its failure or slowness is logged and otherwise ignored. */
  async function announce(event: 'created' | 'updated', monitor: MonitorRow, log: FastifyBaseLogger) {
    if (!ctx.monitorEvents) return;
    try {
      await withTimeout(ctx.monitorEvents[event](monitor), HOOK_TIMEOUT_MS, `monitor ${event} hook`);
    } catch (error) {
      log.warn(
        { err: error, monitorId: monitor.id },
        `monitor ${event} hook failed; the producer will schedule it`,
      );
    }
  }

  app.post(
    '/api/monitor',
    {
      ...writes,
      schema: {
        tags,
        security,
        summary: 'Create a monitor',
        body: input.create,
        response: { 201: MonitorResponse, ...errorResponses(400, 401, 403, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const { user } = authOf(request);
      const [notification, body] = splitNotificationFields(request.body as MonitorBody);
      await checkRegionsKnown((body as MonitorBody).regions, ctx.regions);
      const settings = settingsForCreate(body as MonitorBody);
      checkAlertSettings(settings, ctx.regions.list);
      checkTimeoutFitsInterval(settings, request.body.timeoutMs !== undefined);
      await checkChannelIds(db, user.id, notification);
      const id = newId();
      const { maxMonitorsPerUser } = ctx.config;
      let pushUrl: string | null = null;
      const monitor = await db.transaction(async (tx) => {
        const t = tx as unknown as Database;
        const row = await monitorQueries.insertMonitorWithinQuota(
          t,
          {
            id,
            userId: user.id,
            ...settings,
            nextCheckAt: new Date(nextSlotAfter(id, settings.intervalSeconds, ctx.now())),
          },
          maxMonitorsPerUser,
        );
        if (row) await saveNotificationFields(t, user.id, id, notification, true);
        // Other open dashboards learn of the new monitor (as a first state) and load it.
        if (row) {
          const status = row.paused ? 'paused' : 'pending';
          await notifyLive(t, {
            checks: [],
            states: [{ monitorId: id, userId: user.id, status, since: ctx.now() }],
          });
        }
        if (row && isPushKind(row.kind))
          pushUrl = await newPushUrl(t, ctx.config.notifications.publicUrl, id, ctx.now());
        return row;
      });
      if (!monitor) {
        throw new ApiError(
          403,
          'quota_exceeded',
          `You have ${maxMonitorsPerUser} monitors, the most allowed per user (MAX_MONITORS_PER_USER); delete one first`,
        );
      }
      await announce('created', monitor, request.log);
      const state = monitor.paused ? 'paused' : 'pending';
      const json = monitorJson({ ...monitor, state, stateSince: monitor.createdAt, openIncidentId: null });
      return reply.code(201).send({
        monitor: {
          ...json,
          ...(await notificationFieldsOf(db, id)),
          ...(await pushFieldsOf(db, ctx.config.notifications.publicUrl, monitor, pushUrl)),
          openIncident: null,
        },
      });
    },
  );

  app.get(
    '/api/monitor',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'List your monitors, newest first, a page at a time',
        querystring: MonitorListQuery,
        response: { 200: MonitorListResponse, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { user } = authOf(request);
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const beforeId =
        request.query.cursor === undefined
          ? undefined
          : decodeCursor(request.query.cursor, ['id'], (p) => isUuid(p.id)).id;
      // One row more than the page tells whether there is a next page without counting.
      // Plain rows already in the answer's shape (public fields by name, ISO timestamps from the database).
      const rows = await monitorQueries.listMonitorViews(db, user.id, { limit: limit + 1, beforeId });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const last = page[page.length - 1];
      const inWindow = await monitorsInMaintenance(db, user.id, ctx.now());
      return {
        monitors: page.map((m) =>
          monitorViewJson(inWindow.has(m.id) ? { ...m, state: shownState(m.state, true) } : m),
        ),
        nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
      };
    },
  );

  app.get(
    '/api/monitor/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Get a monitor',
        params: MonitorParams,
        response: { 200: MonitorResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const monitor = await monitorQueries.findMonitorWithState(db, userId, request.params.id);
      if (!monitor) throw notFound('Monitor');
      return { monitor: await monitorWithIncident(userId, monitor) };
    },
  );

  app.put(
    '/api/monitor/:id',
    {
      ...writes,
      schema: {
        tags,
        security,
        summary: 'Change any subset of a monitor’s settings',
        description:
          'Changing intervalSeconds, or unpausing, reschedules the next check to the first slot after now. ' +
          'A change of what is checked (target, request, expectations, regions), or resuming, is checked at ' +
          'once; other edits wait for the next slot. ' +
          'Pausing or resuming it, or changing what is checked or how checks are judged (target, expectations, ' +
          'regions, thresholds, quorum) settles its state: an open incident is resolved with that reason and ' +
          'the monitor is pending until its checks say otherwise.',
        params: MonitorParams,
        body: input.update,
        response: { 200: MonitorResponse, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const [notification, rest] = splitNotificationFields(request.body as MonitorBody);
      const body = rest as MonitorBody;
      await checkRegionsKnown(body.regions, ctx.regions);
      await checkChannelIds(db, userId, notification);
      let settled: { why: SettleReason; incidentId: string | null } | undefined;
      const edit: { before?: MonitorRow; pushUrl?: string | null } = {};
      const monitor = await monitorQueries.updateMonitor(
        db,
        userId,
        request.params.id,
        (current) => settingsForUpdate(body, current),
        (current, changes) => {
          checkAlertSettings({ ...current, ...changes }, ctx.regions.list);
          checkTimeoutFitsInterval({ ...current, ...changes }, changes.timeoutMs !== undefined);
          return rescheduledAt(current, changes, ctx.now());
        },
        async (tx, current, after) => {
          edit.before = current;
          await saveNotificationFields(tx, userId, current.id, notification, false);
          edit.pushUrl = await pushUrlAfterEdit(
            tx,
            ctx.config.notifications.publicUrl,
            current,
            after,
            ctx.now(),
          );
          const why = settleReasonFor(current, after);
          if (!why) return;
          const { resolvedIncidentId } = await settleMonitorState(tx, after, why, ctx.now());
          settled = { why, incidentId: resolvedIncidentId };
        },
      );
      if (!monitor) throw notFound('Monitor');
      if (settled) logSettled(request.log, monitor.id, settled.why, settled.incidentId);
      if (edit.before && checkChanged(edit.before, monitor)) await announce('updated', monitor, request.log);
      return {
        monitor: await monitorWithIncident(
          monitor.userId,
          await monitorQueries.withState(db, monitor),
          edit.pushUrl ?? null,
        ),
      };
    },
  );

  app.delete(
    '/api/monitor/:id',
    {
      ...writes,
      schema: {
        tags,
        security,
        summary: 'Delete a monitor and all its results',
        description:
          'Its open incident is resolved first (resolution monitor_deleted), so receivers hear of it.',
        params: MonitorParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      let resolved: string | null = null;
      const deleted = await monitorQueries.deleteMonitor(
        db,
        authOf(request).user.id,
        request.params.id,
        async (tx: Database, monitor: MonitorRow) => {
          ({ resolvedIncidentId: resolved } = await settleMonitorState(
            tx,
            monitor,
            'monitor_deleted',
            ctx.now(),
          ));
        },
      );
      if (!deleted) throw notFound('Monitor');
      if (resolved) logSettled(request.log, request.params.id, 'monitor_deleted', resolved);
      return reply.code(204).send(null);
    },
  );
}
