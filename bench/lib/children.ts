/**
 * Child processes of a benchmark: the system under test (the CLI's worker, producer or single-process
 * `start`) and the benchmark's own helpers (target servers, raw checker, API with a bare route), each in a
 * process of its own so that one's CPU does not hide in another's figures. Every child runs TypeScript
 * through tsx as one node process (no wrapper), with the probe preloaded, and talks to the parent over IPC.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeSample } from './probe.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url));
/** The CLI every service runs through in production (`npm run worker` etc.). */
export const CLI_ENTRY = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));

export interface SpawnOptions {
  /** Short name for messages, e.g. `worker-usa`. */
  label: string;
  /** TypeScript entry file (absolute path). */
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  /** Write a V8 CPU profile into this directory when the process exits. */
  cpuProfileDir?: string | undefined;
  /** Extra node flags, e.g. `--trace-gc`. */
  nodeFlags?: readonly string[];
  /**
   * `tsx` (default): TypeScript through tsx, with the probe. `plain`: a built JavaScript entry run by node
   * alone (no tsx, no probe: nothing foreign in its memory); its memory is read from /proc instead.
   */
  runtime?: 'tsx' | 'plain';
  /**
   * Run under `nice -n <niceness>` (negative: ahead of everything else; needs root, otherwise nice warns
   * and the process runs at normal priority).
   */
  niceness?: number;
}

/** A message a bench helper sends when it is ready, with what the parent needs (ports, URLs). */
export interface ReadyMessage {
  type: 'ready';
  [key: string]: unknown;
}

interface ReplyMessage {
  type: 'reply';
  id: number;
  result?: unknown;
  error?: string;
}

const OUTPUT_TAIL_LINES = 40;
/** BENCH_CHILD_OUTPUT=<dir>: keep every child's whole output there, for debugging a figure. */
const OUTPUT_DIR = process.env.BENCH_CHILD_OUTPUT;
if (OUTPUT_DIR) mkdirSync(OUTPUT_DIR, { recursive: true });
const STOP_GRACE_MS = 20_000;

export class BenchChild {
  readonly samples: ProbeSample[] = [];
  private readonly process: ChildProcess;
  private readonly tail: string[] = [];
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readyWaiters: Array<(message: ReadyMessage) => void> = [];
  private readyMessage: ReadyMessage | undefined;
  private nextId = 1;
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;
  private stopping = false;

  constructor(readonly options: SpawnOptions) {
    const nodeArgs = [...(options.nodeFlags ?? [])];
    if (options.runtime !== 'plain') nodeArgs.push('--import', 'tsx', '--import', PROBE);
    if (options.cpuProfileDir) {
      // One directory per process; V8 names each thread's profile (main thread and module loader thread).
      const dir = join(options.cpuProfileDir, `${options.label}-${Date.now()}`);
      mkdirSync(dir, { recursive: true });
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir);
    }
    const command = [process.execPath, ...nodeArgs, options.entry, ...(options.args ?? [])];
    // nice execs node in place, so the pid stays the node process's own.
    if (options.niceness !== undefined) command.unshift('nice', '-n', String(options.niceness));
    this.process = spawn(command[0]!, command.slice(1), {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.keepOutput(chunk));
    }
    this.process.on('message', (message: unknown) => this.onMessage(message));
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : 0);
        const failure = new Error(`${this.options.label} exited (${signal ?? code})\n${this.outputTail()}`);
        for (const { reject } of this.pending.values()) reject(failure);
        this.pending.clear();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines the child printed, for error messages. */
  outputTail(): string {
    return this.tail.map((line) => `  [${this.options.label}] ${line}`).join('\n');
  }

  /** Waits for the child's ready message (bench helpers send one), failing if it exits first. */
  async ready(timeoutMs = 60_000): Promise<ReadyMessage> {
    if (this.readyMessage) return this.readyMessage;
    const message = new Promise<ReadyMessage>((resolve) => this.readyWaiters.push(resolve));
    const exited = this.exited.then(() => {
      throw new Error(`${this.options.label} exited before it was ready\n${this.outputTail()}`);
    });
    return withTimeout(Promise.race([message, exited]), timeoutMs, `${this.options.label} to be ready`);
  }

  /** Sends a command to a bench helper and waits for its reply. */
  request<T>(command: string, payload: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`${this.options.label} is not running`));
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ type: 'command', id, command, ...payload });
    });
    return withTimeout(reply, timeoutMs, `${this.options.label} to answer ${command}`);
  }

  /**
   * Resident memory from the kernel (Linux /proc): `current` now, `peak` the high-water mark since start
   * (VmHWM). Null where /proc is missing or the process is gone.
   */
  memory(): { currentBytes: number; peakBytes: number } | null {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      const memory = { currentBytes: kb('VmRSS'), peakBytes: kb('VmHWM') };
      return Number.isFinite(memory.peakBytes) ? memory : null;
    } catch {
      return null;
    }
  }

  /** Probe samples taken since `from` (epoch ms). */
  samplesSince(from: number, until = Number.POSITIVE_INFINITY): ProbeSample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= until);
  }

  /** SIGTERM (the services then finish their in-flight work), SIGKILL if that takes too long. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (!this.running || this.stopping) return this.exited;
    this.stopping = true;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Resolves when the child exits on its own. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  private keepOutput(chunk: string): void {
    if (OUTPUT_DIR) appendFileSync(join(OUTPUT_DIR, `${this.options.label}-${this.pid}.log`), chunk);
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      this.tail.push(line.length > 400 ? `${line.slice(0, 400)}...` : line);
      if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
    }
  }

  private onMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const typed = message as { type?: string };
    if (typed.type === 'probe') this.samples.push(message as ProbeSample);
    else if (typed.type === 'ready') {
      this.readyMessage = message as ReadyMessage;
      for (const wake of this.readyWaiters.splice(0)) wake(this.readyMessage);
    } else if (typed.type === 'reply') {
      const reply = message as ReplyMessage;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter?.reject(new Error(`${this.options.label}: ${reply.error}`));
      else waiter?.resolve(reply.result);
    }
  }
}

/** Starts a child; see BenchChild. */
export function spawnChild(options: SpawnOptions): BenchChild {
  return new BenchChild(options);
}

/**
 * For a helper's entry file: answers the parent's commands with `handlers` and tells it we are ready.
 * A handler's exception goes back as the reply's error.
 */
export function serveParent(
  handlers: Record<string, (payload: Record<string, unknown>) => unknown>,
  readyInfo: Record<string, unknown> = {},
): void {
  if (!process.send) throw new Error('this entry runs as a benchmark child process (with an IPC channel)');
  process.on('message', (message: { type?: string; id?: number; command?: string }) => {
    if (message?.type !== 'command' || typeof message.id !== 'number') return;
    const { id, command } = message;
    const handler = handlers[command ?? ''];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${command}`);
        return handler(message as Record<string, unknown>);
      })
      .then(
        (result) => process.send?.({ type: 'reply', id, result }),
        (error: unknown) =>
          process.send?.({ type: 'reply', id, error: (error as Error).message ?? String(error) }),
      );
  });
  // The probe unrefs the channel; a helper lives for its parent's commands. Its parent gone, it exits.
  process.channel?.ref();
  process.on('disconnect', () => process.exit(0));
  // A normal exit on SIGTERM, so that --cpu-prof writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  process.send({ type: 'ready', ...readyInfo });
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
