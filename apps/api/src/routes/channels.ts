import { incidentQueries, newId, notificationQueries } from '@better-uptime/db';
import type { Logger } from '@better-uptime/config';
import {
  ChannelConfigError,
  checkChannelConfig,
  createSendContext,
  newChannelSecret,
  openChannel,
  sealChannel,
  sendTestMessage,
} from '@better-uptime/notifications';
import { authOf } from '../auth/authenticate.js';
import type { ApiContext, ApiServer } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { invalid, notFound } from '../errors.js';
import { problemOf } from '../validation.js';
import { channelJson, deliveryJson } from '../present.js';
import {
  ChannelCreateBody,
  type ChannelCreateBody as ChannelCreateInput,
  type ChannelUpdateBody as ChannelChanges,
  ChannelCreatedResponse,
  ChannelListResponse,
  ChannelParams,
  ChannelResponse,
  ChannelUpdateBody,
  channelConfigChanges,
  DeliveryListQuery,
  DeliveryListResponse,
  IncidentDeliveriesResponse,
  TestResponse,
} from '../schemas/channel.js';
import { AUTHENTICATED, errorResponses, NoContent } from '../schemas/common.js';
import { IncidentParams } from '../schemas/incident.js';

const DEFAULT_LIMIT = 50;
/** Test sends per client address per minute. */
const TESTS_PER_MINUTE = 20;

/** Notification channels: CRUD, a test send, and the deliveries of a channel or an incident. */
export function channelRoutes(app: ApiServer, ctx: ApiContext): void {
  const { db, config, channelSecrets } = ctx;
  const present = (channel: Parameters<typeof channelJson>[0]) => channelJson(channel, channelSecrets);
  const common = { onRequest: ctx.authenticate };
  const tags = ['channels'];
  const security = AUTHENTICATED;
  const sendContext = createSendContext(config.notifications, config.allowPrivateTargets, channelSecrets);

  /** The type's rules, as a 400 naming the config field. */
  async function checkedConfig(
    type: string,
    input: Record<string, unknown>,
    stored?: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    try {
      return await checkChannelConfig(
        type,
        input,
        { allowPrivateTargets: config.allowPrivateTargets },
        stored,
      );
    } catch (error) {
      if (error instanceof ChannelConfigError) throw invalid(`body/config/${error.field}`, error.message);
      throw error;
    }
  }

  app.post(
    '/api/channels',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Add a notification channel',
        description: 'Answers the channel and its signing `secret`, which is never shown again.',
        body: ChannelCreateBody,
        response: { 201: ChannelCreatedResponse, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const body = request.body as ChannelCreateInput;
      const { type, name, isDefault } = body;
      const secret = newChannelSecret();
      const channel = await notificationQueries.insertChannel(
        db,
        sealChannel(
          {
            id: newId(ctx.now()),
            userId: authOf(request).user.id,
            type,
            name,
            config: await checkedConfig(type, body.config),
            secret,
            isDefault: isDefault ?? false,
          },
          channelSecrets,
        ),
      );
      return reply.code(201).send({ channel: present(channel), secret });
    },
  );

  app.get(
    '/api/channels',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Your channels, each with how its latest attempt went',
        response: { 200: ChannelListResponse, ...errorResponses(401) },
      },
    },
    async (request) => ({
      channels: (await notificationQueries.listChannels(db, authOf(request).user.id)).map(present),
    }),
  );

  app.get(
    '/api/channels/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'A channel',
        params: ChannelParams,
        response: { 200: ChannelResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const channel = await notificationQueries.findChannel(db, authOf(request).user.id, request.params.id);
      if (!channel) throw notFound('Channel');
      return { channel: present(channel) };
    },
  );

  app.put(
    '/api/channels/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Change a channel’s name, settings or default flag',
        params: ChannelParams,
        body: ChannelUpdateBody,
        response: { 200: ChannelResponse, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const userId = authOf(request).user.id;
      const current = await notificationQueries.findChannel(db, userId, request.params.id);
      if (!current) throw notFound('Channel');
      const { type, name, config: input, isDefault } = request.body as ChannelChanges;
      if (type !== undefined && type !== current.type)
        throw invalid(
          'body/type',
          `cannot change (${current.type}); add a channel of the other type instead`,
        );
      let stored = current.config;
      if (input) {
        const problem = problemOf(channelConfigChanges(current.type), input, 'body/config');
        if (problem) throw invalid(problem.field, problem.problem);
        const opened = openChannel(current, channelSecrets);
        stored = sealChannel(
          { ...opened, config: await checkedConfig(current.type, input, opened.config) },
          channelSecrets,
        ).config;
      }
      const channel = await notificationQueries.updateChannel(db, userId, current.id, {
        name: name ?? current.name,
        config: stored,
        isDefault: isDefault ?? current.isDefault,
      });
      if (!channel) throw notFound('Channel');
      return { channel: present(channel) };
    },
  );

  app.delete(
    '/api/channels/:id',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'Delete a channel (its pending messages are not sent)',
        params: ChannelParams,
        response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await notificationQueries.deleteChannel(db, authOf(request).user.id, request.params.id)))
        throw notFound('Channel');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/channels/:id/test',
    {
      ...common,
      // Each test makes a request to somewhere else: not a way to send traffic from this server at will.
      config: { rateLimit: { max: TESTS_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        tags,
        security,
        summary: 'Send a test message now and answer how it went',
        description:
          'One attempt (no retries), recorded among the channel’s deliveries. A receiver’s failure is a 200 ' +
          'with outcome `failed` and its error.',
        params: ChannelParams,
        response: { 200: TestResponse, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const channel = await notificationQueries.findChannel(db, authOf(request).user.id, request.params.id);
      if (!channel) throw notFound('Channel');
      const sent = await sendTestMessage(
        db,
        channel,
        sendContext,
        request.log as unknown as Logger,
        ctx.now(),
      );
      const [delivery] = await notificationQueries.channelDeliveries(db, channel.id, {
        limit: 1,
        beforeId: sent.deliveryId + 1,
      });
      return {
        outcome: sent.outcome,
        statusCode: sent.statusCode,
        error: sent.error,
        delivery: deliveryJson(delivery!),
      };
    },
  );

  app.get(
    '/api/channels/:id/deliveries',
    {
      ...common,
      schema: {
        tags,
        security,
        summary: 'A channel’s deliveries with every attempt, newest first, a page at a time',
        params: ChannelParams,
        querystring: DeliveryListQuery,
        response: { 200: DeliveryListResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const channel = await notificationQueries.findChannel(db, authOf(request).user.id, request.params.id);
      if (!channel) throw notFound('Channel');
      const limit = request.query.limit ?? DEFAULT_LIMIT;
      const beforeId =
        request.query.cursor === undefined
          ? undefined
          : Number(decodeCursor(request.query.cursor, ['id'], (p) => /^\d{1,15}$/.test(p.id ?? '')).id);
      const rows = await notificationQueries.channelDeliveries(db, channel.id, {
        limit: limit + 1,
        beforeId,
      });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const last = page[page.length - 1];
      return {
        deliveries: page.map(deliveryJson),
        nextCursor: rows.length > limit && last ? encodeCursor({ id: String(last.id) }) : null,
      };
    },
  );

  app.get(
    '/api/incidents/:id/deliveries',
    {
      ...common,
      schema: {
        tags: ['incidents'],
        security,
        summary: 'Who was told of an incident: every delivery of its events, with every attempt',
        params: IncidentParams,
        response: { 200: IncidentDeliveriesResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const incident = await incidentQueries.findIncident(db, authOf(request).user.id, request.params.id);
      if (!incident) throw notFound('Incident');
      return {
        deliveries: (await notificationQueries.incidentDeliveries(db, incident.id)).map(deliveryJson),
      };
    },
  );
}
