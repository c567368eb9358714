import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * An HTTP (or, given a certificate, HTTPS) target in a child process that answers every request after exactly `delayMs` and reports,
 * for each answer, when it wrote it on the machine's monotonic clock. Being another process, it answers on
 * time even while the test's own event loop is deliberately blocked: that is what timing tests need.
 */
export interface ClockTarget {
  url: string;
  /** Monotonic milliseconds (see `monotonicNow`) at which each answer was written, in order. */
  sentAt: number[];
  /** Resolves once `count` answers have been written. */
  waitForAnswers(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The machine's monotonic clock in milliseconds, the same in every process (CLOCK_MONOTONIC). */
export function monotonicNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** performance.now() of this process moved onto the machine's monotonic clock. */
export function toMonotonic(performanceNow: number): number {
  return performanceNow + (monotonicNow() - performance.now());
}

const SERVER = `
const net = require('node:net');
const tls = require('node:tls');
const delay = Number(process.argv[1]);
const { CLOCK_TARGET_KEY: key, CLOCK_TARGET_CERT: cert } = process.env;
const onConnection = (socket) => {
  socket.on('error', () => {});
  socket.once('data', () => {
    setTimeout(() => {
      const at = Number(process.hrtime.bigint()) / 1e6;
      socket.end('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok');
      process.stdout.write('sent ' + at + '\\n');
    }, delay);
  });
};
const server = cert ? tls.createServer({ key, cert }, onConnection) : net.createServer(onConnection);
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0)).resume();
`;

export async function startClockTarget(
  delayMs: number,
  options: { tls?: { key: string; certificate: string } } = {},
): Promise<ClockTarget> {
  const tlsEnv = options.tls
    ? { CLOCK_TARGET_KEY: options.tls.key, CLOCK_TARGET_CERT: options.tls.certificate }
    : {};
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER, String(delayMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...tlsEnv },
  });
  const sentAt: number[] = [];
  const waiters: Array<() => void> = [];
  let port = 0;
  let buffered = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`clock target exited with ${code} before listening`)));
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const [kind, value] = buffered.slice(0, newline).split(' ');
        buffered = buffered.slice(newline + 1);
        if (kind === 'port') {
          port = Number(value);
          resolve();
        } else if (kind === 'sent') {
          sentAt.push(Number(value));
          for (const wake of waiters.splice(0)) wake();
        }
      }
    });
  });
  await ready;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    sentAt,
    async waitForAnswers(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (sentAt.length < count) {
        if (Date.now() > deadline) throw new Error(`clock target wrote ${sentAt.length} of ${count} answers`);
        await Promise.race([
          new Promise<void>((resolve) => waiters.push(resolve)),
          new Promise((resolve) => setTimeout(resolve, 50)),
        ]);
      }
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

/**
 * How early a response time measured with the kernel's receive times may be: the arrival is estimated
 * from a clock with a 4 ms tick (HZ=250), so within about a tick, plus a millisecond of rounding.
 * Tests that check a check is never early allow this much.
 */
export const KERNEL_CLOCK_SLACK_MS = 5;
