import { answerMetrics, type Metrics } from '@better-uptime/metrics';
import type { ApiServer } from '../context.js';

/**
 * `GET /metrics`: the process's Prometheus series in the text format, behind METRICS_TOKEN when it is set.
 * Outside `/api` and out of the OpenAPI document: it is for Prometheus, which sends the token as a Bearer
 * value of its own, not a user's credentials.
 */
export function metricsRoute(app: ApiServer, metrics: Metrics, token: string | undefined): void {
  // Scraped every few seconds: its requests are not worth a log line each.
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    const answer = await answerMetrics(metrics, token, request.headers.authorization);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}
