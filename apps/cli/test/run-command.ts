import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * Node arguments that run TypeScript through tsx's loader in the same process. (tsx's own CLI would run the
 * program in a child process: a SIGKILL to it would leave the real program running.)
 */
export const TSX_LOADER = [
  '--import',
  new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href,
];
/** The CLI from its TypeScript sources. */
export const CLI_SOURCE = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** The child's whole environment besides PATH: nothing leaks in from the test runner's. */
  env?: Record<string, string>;
  /** Where to run. Tests pass a fresh directory, so no developer's `.env` is read. */
  cwd: string;
  timeoutMs?: number;
}

function childEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...env };
}

/** Runs `node <args>` to completion and collects its output; kills it after the timeout. */
export function runNode(
  args: string[],
  { env, cwd, timeoutMs = 60_000 }: RunOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningNode {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `node <args>` in the background, for servers; the caller stops it. */
export function startNode(args: string[], { env, cwd }: Omit<RunOptions, 'timeoutMs'>): RunningNode {
  const child = spawn(process.execPath, args, { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
