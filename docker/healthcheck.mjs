// Health check for the API (and `start`) containers: GET /api/health on this process's own port; exit 0
// on 200, else 1 (503 means the database does not answer). Plain node:http, because the slim image has no
// curl or wget. Also usable outside Docker: `PORT=3000 node docker/healthcheck.mjs`.
import { get } from 'node:http';

const TIMEOUT_MS = 4_000;
const configured = process.env.HOST?.trim();
// The server listens on all interfaces by default; ask it on loopback then.
const host = !configured || configured === '0.0.0.0' || configured === '::' ? '127.0.0.1' : configured;
const port = process.env.PORT?.trim() || '3000';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/api/health`;

const request = get(url, { timeout: TIMEOUT_MS }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
request.on('error', (error) => {
  console.error(`health check ${url}: ${error.message}`);
  process.exit(1);
});
