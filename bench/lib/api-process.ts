/**
 * Child process entry: the API server (buildServer, as `better-uptime api` builds it) with extra bare
 * routes that answer without authentication or database: `GET /bench/bare` (`{"ok":true}`, the baseline
 * of what this server does per request) and `GET /bench/sized/:name`, a body the parent captured from a
 * real route, sent from memory (what answering that many bytes costs, without the database). Signs one
 * user up through the API and hands its token to the parent.
 */
import { buildServer } from '@better-uptime/api';
import { createLogger, loadConfig } from '@better-uptime/config';
import { openDatabase } from '@better-uptime/db';
import { serveParent } from './children.js';

const config = loadConfig(process.env);
const database = await openDatabase({ databaseUrl: config.databaseUrl });
const app = buildServer({
  db: database.db,
  config,
  logger: createLogger('api', config.logLevel),
  jwtSecret: config.jwtSecret!,
  secretsKeys: [config.secretsKey!],
});
app.get('/bench/bare', async () => ({ ok: true }));
const sizedBodies = new Map<string, string>();
app.get<{ Params: { name: string } }>('/bench/sized/:name', async (request, reply) => {
  const body = sizedBodies.get(request.params.name);
  if (body === undefined) return reply.code(404).send({ error: 'no such body' });
  return reply.type('application/json; charset=utf-8').send(body);
});
await app.listen({ host: '127.0.0.1', port: 0 });

const signup = await app.inject({
  method: 'POST',
  url: '/api/auth/signup',
  payload: { email: 'bench@example.test', password: 'correct horse battery staple', name: 'Bench' },
});
if (signup.statusCode !== 201) throw new Error(`signup failed: ${signup.statusCode} ${signup.body}`);
const { token, user } = signup.json() as { token: string; user: { id: string } };
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

// CPU time of this process (user + system, µs), read by the parent around each route's run: CPU per request
// is the measure that the shared machine's noise does not move much, unlike req/s.
serveParent(
  {
    cpu: () => process.cpuUsage(),
    setSizedBody: ({ name, body }) => {
      sizedBodies.set(String(name), String(body));
      return String(body).length;
    },
  },
  { url: `http://127.0.0.1:${port}`, token, userId: user.id },
);
