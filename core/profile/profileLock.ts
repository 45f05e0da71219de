// One opener per profile folder: an exclusive OS file lock on `wisp.lock`, held by a plain SQLite
// connection for as long as the profile is open and dropped by the OS when the process dies.
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { WispError } from '../../common/errors';

export const LOCK_FILE = 'wisp.lock';

export interface ProfileLock {
  readonly path: string;
  /** Drops the lock; safe to call more than once. */
  release(): void;
}

/**
 * Takes the profile's lock or throws `ProfileInUse` at once (no waiting).
 *
 * Why SQLite: it already owns a careful, portable file-locking layer (POSIX advisory locks on
 * Unix, LockFileEx on Windows). The OS releases those locks when the holder dies, even by
 * `kill -9`, so there is no stale-lock clean-up to get wrong. SQLite also tracks locks per file
 * inside the process, so a second open in the same process is refused too, and it never closes a
 * locked file's descriptor early (closing any descriptor of a file drops a process's POSIX locks).
 *
 * The connection sets `locking_mode = EXCLUSIVE`, keeps the journal in memory and holds
 * `BEGIN EXCLUSIVE` open without writing anything: the file stays 0 bytes, no journal file is
 * created, and there is nothing to recover after a crash. It never holds anything about the user.
 */
export function acquireProfileLock(dir: string): ProfileLock {
  const path = join(dir, LOCK_FILE);
  const existed = existsSync(path);
  let db: Database.Database;
  try {
    // timeout 0: better-sqlite3's default busy timeout is 5 s; a held profile must fail at once.
    db = new Database(path, { timeout: 0 });
  } catch (cause) {
    throw new WispError('Internal', 'cannot open the profile lock file', { cause });
  }
  try {
    if (!existed && process.platform !== 'win32') chmodSync(path, 0o600);
    db.pragma('locking_mode = EXCLUSIVE');
    // MEMORY: no `wisp.lock-journal` on disk (journal_mode OFF is refused in defensive mode).
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (cause) {
    db.close();
    throw lockError(cause);
  }
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      // Closing rolls back the empty transaction and releases the OS lock.
      db.close();
    },
  };
}

function lockError(cause: unknown): WispError {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new WispError('ProfileInUse', 'this profile is already open in another Wisp window or command', {
      recovery:
        'Close the other Wisp window or `wisp` command that uses this profile, then try again. ' +
        'Only one of them can use a profile at a time.',
      cause,
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new WispError('DatabaseCorrupt', `the profile lock file ${LOCK_FILE} has been altered`, {
      recovery: `Make sure no Wisp window or command uses this profile, then delete ${LOCK_FILE} in the profile folder (it holds no data).`,
      cause,
    });
  }
  return new WispError('Internal', 'cannot lock the profile folder', { cause });
}
