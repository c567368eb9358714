import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export class DataDirInUseError extends Error {}

export const LOCK_FILE = 'better-uptime.lock';

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid, it names
 * one process for good, since a recycled pid belongs to a process that started later. Undefined where
 * there is no /proc (then only the pid is kept and checked).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock of an older version holds only a pid: then the process must at least look like Better Uptime. */
function looksLikeBetterUptime(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    // Without /proc (not Linux) the pid alone must do; with it, the process has just ended.
    return !existsSync(`/proc/${process.pid}`);
  }
  return /better-uptime|apps\/cli\/src\/main/.test(cmdline);
}

/** Whether the lock's content names a live process that is the one that wrote it. */
function holderRuns(content: string): number | undefined {
  const [pidText, startTime] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  if (!processAlive(pid)) return undefined;
  if (startTime !== undefined && startTime !== '-') {
    // The pid may have been recycled: the same pid with another start time is another process.
    const now = processStartTime(pid);
    return now === undefined || now === startTime ? pid : undefined;
  }
  return looksLikeBetterUptime(pid) ? pid : undefined;
}

/**
 * Takes the embedded database's directory for this process. PGlite is single-writer: a second process on
 * the same files would corrupt them, so it must fail with a clear message instead. The lock file names this
 * process by pid and start time; a lock whose process is gone, or whose pid now belongs to another process
 * (after a reboot or kill -9), is stale and taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const mine = `${process.pid} ${processStartTime(process.pid) ?? '-'}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let content: string;
      try {
        content = readFileSync(path, 'utf8');
      } catch {
        continue; // removed meanwhile: try again
      }
      const holder = holderRuns(content);
      if (holder !== undefined) {
        throw new DataDirInUseError(
          `The data directory ${dataDir} is in use by another Better Uptime process (pid ${holder}). ` +
            'Stop it first, or give this one its own DATA_DIR.',
        );
      }
      removeStaleLock(path, content);
    }
  }
  throw new DataDirInUseError(`Could not lock the data directory ${dataDir}`);
}

/**
 * Removes the stale lock, unless another process replaced it with its own meanwhile: the file is moved
 * aside atomically and checked; a fresh lock caught this way is put back (link fails if yet another took
 * the place, and then that one holds it).
 */
function removeStaleLock(path: string, staleContent: string): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleContent) {
      try {
        linkSync(aside, path);
      } catch {
        // Someone else holds the place now.
      }
    }
  } finally {
    unlinkSync(aside);
  }
}
