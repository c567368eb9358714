import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

export interface MetricsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Whether an Authorization header carries the token (`Bearer <token>`). Both sides are hashed first, so
 * the comparison takes the same time whatever the length or content of what was sent.
 */
export function carriesToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
  const sent = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(sent, expected) && match !== null;
}

/** The answer to `GET /metrics`: the exposition, or 401 when a token is required and not sent. */
export async function answerMetrics(
  metrics: Metrics,
  token: string | undefined,
  authorization: string | undefined,
): Promise<MetricsResponse> {
  if (token !== undefined && !carriesToken(authorization, token)) {
    return {
      status: 401,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' },
      body: 'metrics need Authorization: Bearer <METRICS_TOKEN>\n',
    };
  }
  const { contentType, body } = await metrics.scrape();
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 */
  address: string;
  close(): Promise<void>;
}

/**
 * A small HTTP server answering `GET /metrics` (and 404 elsewhere), for processes without the API: the
 * producer and the workers (METRICS_PORT).
 */
export async function startMetricsServer(options: {
  metrics: Metrics;
  host: string;
  port: number;
  token: string | undefined;
}): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(path === '/metrics' ? 'only GET\n' : 'not found: metrics are at /metrics\n');
      return;
    }
    answerMetrics(options.metrics, options.token, request.headers.authorization).then(
      (answer) => {
        response.writeHead(answer.status, answer.headers);
        response.end(request.method === 'HEAD' ? undefined : answer.body);
      },
      () => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('metrics could not be collected\n');
      },
    );
  });
  // Scrapers keep connections alive; closing must not wait for their idle sockets.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    address: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
