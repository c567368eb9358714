import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir, processStartTime } from '../src/data-dir-lock.js';

const root = mkdtempSync(join(tmpdir(), 'bu-lock-'));
const linux = existsSync('/proc/self/stat');

describe('data directory lock', () => {
  let other: ChildProcess;

  beforeAll(async () => {
    // A live process that is not Better Uptime, as a recycled pid would be.
    other = spawn('sleep', ['60'], { stdio: 'ignore' });
    await new Promise((resolve) => other.once('spawn', resolve));
  });
  afterAll(() => {
    other.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  const dirWithLock = (name: string, content: string) => {
    const dir = join(root, name);
    const release = lockDataDir(dir); // makes the folder
    release();
    writeFileSync(join(dir, LOCK_FILE), content);
    return dir;
  };

  it('names this process by pid and start time, in a private file, and releases it', () => {
    const dir = join(root, 'own');
    const release = lockDataDir(dir);
    const content = readFileSync(join(dir, LOCK_FILE), 'utf8');
    expect(content).toBe(`${process.pid} ${processStartTime(process.pid) ?? '-'}\n`);
    expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it.skipIf(!linux)('refuses while the process that wrote the lock runs', () => {
    const dir = dirWithLock('held', `${other.pid} ${processStartTime(other.pid!)}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`pid ${other.pid}`);
  });

  it.skipIf(!linux)('takes over a lock whose pid now belongs to a process started later', () => {
    const dir = dirWithLock('recycled', `${other.pid} 12345\n`);
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    release();
  });

  it.skipIf(!linux)('takes over an older pid-only lock whose pid is now another program', () => {
    const dir = dirWithLock('legacy', `${other.pid}\n`);
    const release = lockDataDir(dir);
    release();
  });

  it('takes over a lock whose process is gone, and one that is garbage', () => {
    const dir = dirWithLock('dead', `${2 ** 22 + 17} 1\n`);
    lockDataDir(dir)();
    lockDataDir(dirWithLock('garbage', 'not a pid\n'))();
  });
});
