import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A request a receiver got. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  json: unknown;
  at: number;
}

/** How the sink answers: a status (with headers and body), after a delay, or never ('hang'). */
export type SinkAnswer =
  { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

export interface ReceiverSink {
  /** http://127.0.0.1:<port> */
  url: string;
  received: ReceivedRequest[];
  /** Answers for a path, used in turn; the last one stays. Unset paths answer 200. */
  answer(path: string, ...answers: SinkAnswer[]): void;
  /** Resolves with the requests matching `match` once there are `count` of them. */
  waitFor(
    match: (r: ReceivedRequest) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/**
 * An HTTP receiver on 127.0.0.1 standing in for webhooks, Slack, Discord, Teams, Telegram, ntfy and
 * PagerDuty: it records every POST and answers as told.
 */
export async function startReceiverSink(): Promise<ReceiverSink> {
  const received: ReceivedRequest[] = [];
  const answers = new Map<string, SinkAnswer[]>();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const reply = (response: ServerResponse, answer: SinkAnswer) => {
    if (answer === 'hang') return;
    const send = () => {
      if (response.destroyed) return;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body ?? '{"ok":true}');
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // not JSON: the test looks at `body`
      }
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body, json, at: Date.now() });
      for (const wake of waiters) wake();
      const queue = answers.get(path);
      const answer = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? { status: 200 });
      reply(response, answer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (path, ...list) => answers.set(path, list),
    waitFor: (match, count = 1, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = received.filter(match);
          if (found.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${received.filter(match).length} of ${count} matching requests`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The whole message as sent (headers and MIME parts). */
  raw: string;
}

export interface SmtpSink {
  url: string;
  mails: ReceivedMail[];
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on 127.0.0.1, keeping every mail it is given. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor: async (count, timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      while (mails.length < count) {
        if (Date.now() > until) throw new Error(`SMTP server got ${mails.length} of ${count} mails`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return mails;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
