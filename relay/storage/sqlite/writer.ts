// The SQLite backend's group commit: all writes that arrive within one event-loop turn share one
// transaction (each in its own savepoint when one fails), and a durable write is acknowledged only
// after the WAL holding its commit is fsynced. SQLite's own synchronous=FULL would fsync inside the
// commit and block the event loop for every batch; instead commits run with synchronous=NORMAL and
// this writer fsyncs the WAL file itself in libuv's thread pool, one fsync covering every commit
// made while the previous one ran. That is FULL's guarantee (survives power loss, not only kill -9)
// without stalling the sockets.
import type Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

interface PendingWrite {
  fn: () => unknown;
  /** Runs right after the commit, before the fsync (for pushes that need no durability). */
  onCommitted: ((value: unknown) => void) | undefined;
  /** Must reach the disk before it resolves (false: an ack or purge, which may be redone). */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** How the parts of the backend write: `fn` runs inside the next group commit. */
export type Write = <T>(fn: () => T, durable?: boolean, onCommitted?: (value: T) => void) => Promise<T>;

const SLOW_MS = 40;

export class GroupCommitWriter {
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  /** Commits are held back (queued) while a checkpoint pass needs the WAL to itself. */
  private held = false;
  private readonly walPath: string;
  private walFd: number | null = null;
  private syncing: Promise<void> | null = null;
  private syncWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly opts: {
      dataDir: string;
      /** fsync the WAL before a durable write resolves (synchronous FULL). */
      fsyncWal: boolean;
      onSlow: ((what: string, ms: number) => void) | undefined;
      /** After every group commit (the checkpointer schedules its TRUNCATE pass). */
      onCommit: () => void;
    },
  ) {
    this.walPath = join(opts.dataDir, 'relay.sqlite-wal');
  }

  /**
   * Runs `fn` inside the next group commit; resolves after the transaction is committed and, when
   * `durable`, after the WAL holding it has been fsynced.
   */
  readonly write: Write = <T>(fn: () => T, durable = true, onCommitted?: (value: T) => void) => {
    if (this.closed) return Promise.reject(new Error('storage closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        fn,
        durable,
        onCommitted: onCommitted as ((value: unknown) => void) | undefined,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!this.flushScheduled && !this.held) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  };

  /** Holds commits back (queued; the event loop runs on) until release(). */
  hold(): void {
    this.held = true;
  }

  get holding(): boolean {
    return this.held;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.queue.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Lets writes already queued commit (and sync), then refuses new ones. */
  async close(): Promise<void> {
    this.release();
    while (this.queue.length > 0 || this.flushScheduled || this.syncing) {
      await (this.syncing ?? new Promise((r) => setImmediate(r)));
    }
    this.closed = true;
  }

  /** After close(): the WAL descriptor goes (before the database handle closes). */
  closeWal(): void {
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.held) return; // release() schedules the flush
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const started = performance.now();
    let outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      // Fast path: the whole batch in one transaction with no savepoints.
      this.db.transaction(() => {
        for (const item of batch) outcomes.push({ ok: true, value: item.fn() });
      })();
    } catch {
      // Something failed and the batch rolled back: redo it with one savepoint per write, so
      // only the failing write fails. The write functions touch nothing but the database.
      outcomes = [];
      try {
        this.db.transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ ok: true, value: this.db.transaction(item.fn)() });
            } catch (error) {
              outcomes.push({ ok: false, value: error });
            }
          }
        })();
      } catch (error) {
        for (const item of batch) item.reject(error);
        return;
      }
    }
    const elapsed = performance.now() - started;
    if (elapsed > SLOW_MS) this.opts.onSlow?.(`group commit of ${batch.length} writes`, Math.round(elapsed));
    this.opts.onCommit();
    const settle = (item: PendingWrite, i: number) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    };
    const needsSync = this.opts.fsyncWal && batch.some((item, i) => item.durable && outcomes[i]!.ok);
    // The fsync starts before the commit's pushes go out, so a multi-recipient send's hundreds of
    // pushes run while the disk syncs rather than before it starts (issue 13).
    const synced = needsSync ? this.syncWalFile() : null;
    batch.forEach((item, i) => {
      if (item.onCommitted && outcomes[i]!.ok) item.onCommitted(outcomes[i]!.value);
    });
    if (!synced) {
      batch.forEach(settle);
      return;
    }
    batch.forEach((item, i) => {
      if (!item.durable) settle(item, i);
    });
    synced.then(
      () => batch.forEach((item, i) => item.durable && settle(item, i)),
      (error: unknown) => batch.forEach((item) => item.durable && item.reject(error)),
    );
  }

  /** fsyncs the WAL in the thread pool; callers arriving during an fsync share the next one. */
  private syncWalFile(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (!this.syncing) this.syncing = this.runSyncs();
    });
  }

  private async runSyncs(): Promise<void> {
    while (this.syncWaiters.length > 0) {
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      try {
        // Opened lazily: the WAL file exists once the first commit wrote it, and SQLite keeps the
        // same file (it truncates or rewinds it, never unlinks it) while our connection is open.
        if (this.walFd === null) {
          this.walFd = openSync(this.walPath, 'r+');
          // Once: make the WAL's directory entry durable too.
          const dirFd = openSync(this.opts.dataDir, 'r');
          try {
            fsyncSync(dirFd);
          } finally {
            closeSync(dirFd);
          }
        }
        const fd = this.walFd;
        await new Promise<void>((res, rej) => fsync(fd, (e) => (e ? rej(e) : res())));
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.syncing = null;
  }
}
