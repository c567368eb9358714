import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The embedded database's files hold password hashes (in tables and in the WAL): they are private to the
 * service's user. PGlite's initial cluster comes out world-writable (it sets its files' modes itself, umask
 * or not), so the data directory is made 0700, which alone keeps every other user out of everything in
 * it, and its files 0600 and folders 0700 after initdb and at every open. The process umask is 077 from
 * then on, so files created later (by PostgreSQL, the JWT secret, the lock) are private as they are made.
 */
export function makeDataDirPrivate(dataDir: string): void {
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  makeTreePrivate(dataDir);
}

/** chmod 0700 on folders and 0600 on files under `root` (itself included); symbolic links are left alone. */
export function makeTreePrivate(root: string): void {
  const visit = (path: string) => {
    let info;
    try {
      info = lstatSync(path);
    } catch {
      return; // removed meanwhile
    }
    if (info.isSymbolicLink()) return;
    const wanted = info.isDirectory() ? 0o700 : 0o600;
    if ((info.mode & 0o777) !== wanted) {
      try {
        chmodSync(path, wanted);
      } catch (error) {
        // Another user's file (a mount point owned by root): not ours to change, and no reason to stop.
        if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
      }
    }
    if (info.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
}
