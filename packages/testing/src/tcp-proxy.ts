import { createServer, type Server, type Socket, connect } from 'node:net';

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Refuses new connections and cuts the open ones, as if the server behind had died. */
  cut(): Promise<void>;
  /**
   * Accepts connections again on the same port, forwarded to `targetPort` when given (another process of
   * the same service, as after a fail-over), else to the same server as before.
   */
  restore(targetPort?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy to a local server (PostgreSQL, Redis) that a test can cut and restore, to see what the
 * system does when the real server goes away and comes back, without stopping the shared server.
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let target = targetPort;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(target, targetHost);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });

  const stop = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    restore: (newTarget?: number) => {
      if (newTarget !== undefined) target = newTarget;
      return listen();
    },
    close: stop,
  };
}
