// SQLite backend (the embedded default): one file in WAL mode. Writes are group-committed: all
// writes that arrive within one event-loop turn share one transaction (each in its own savepoint).
// Durability: a write is acknowledged only after the WAL holding its commit is fsynced. SQLite's own
// synchronous=FULL would fsync inside the commit and block the event loop for every batch; instead
// commits run with synchronous=NORMAL and the relay fsyncs the WAL file itself in libuv's thread
// pool, one fsync covering every commit made while the previous one ran. That is FULL's guarantee
// (survives power loss, not only kill -9) without stalling the sockets.
import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, fsync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import {
  DROP_SERVER_KEYS_VERSION,
  FORGET_LEGACY_HASH,
  KEYED_HASHES_VERSION,
  legacyKeys,
  MIGRATIONS,
  NAMED_LEGACY_ACCOUNTS,
  REHASH_ACCOUNT,
  SQLITE,
} from './schema';
import { READ_KEY_CHECK, verifyKeyCheck, WRITE_KEY_CHECK } from './accountKeys';
import type {
  AccountBundle,
  AccountKeying,
  AccountRow,
  AttachmentQuota,
  AttachmentRow,
  EnqueueOutcome,
  LegacyServerKeys,
  NewAccount,
  NewAttachment,
  NewEnvelope,
  PreKeyCounts,
  PreKeyUpload,
  QueueCaps,
  QueuedEnvelope,
  RelayStorage,
  SpentToken,
  StoredPreKey,
  StoredTokenKey,
  TakenBundle,
  Totals,
  UsernameEntry,
} from './types';

type Db = Database.Database;

interface PendingWrite {
  fn: () => unknown;
  /** Runs right after the commit, before the fsync (for pushes that need no durability). */
  onCommitted: ((value: unknown) => void) | undefined;
  /** Must reach the disk before it resolves (false: an ack or purge, which may be redone). */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface SqliteOptions {
  dataDir: string;
  /**
   * FULL (default): writes are acknowledged after an fsync of the WAL, so they survive power loss.
   * NORMAL: acknowledged after the commit reaches the OS, which survives kill -9 but not power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Called for a group commit over 40 ms (with the number of writes, never their values). */
  onSlow?: (what: string, ms: number) => void;
  /** WAL checkpoint tuning; the defaults suit production, tests shrink them. */
  checkpoint?: {
    rewindMinFrames?: number;
    walSizeLimitBytes?: number;
    intervalMs?: number;
    /** Longest a commit (an ack, a purge, a send) waits before a TRUNCATE checkpoint empties the WAL. */
    truncateAfterWriteMs?: number;
  };
  /** Receives the keys an older relay kept in server_keys, before the upgrade drops them (types.ts). */
  onLegacyServerKeys?: (keys: LegacyServerKeys) => void;
  /** The account-hash key (asked for after any legacy key export), for the rekeying and its check. */
  accountKeying: () => AccountKeying;
}

const SLOW_MS = 40;

/**
 * Checkpoints run on a second connection in a worker thread: a checkpoint copies WAL pages into the
 * database and fsyncs both, which on the main thread would stall every socket for its duration.
 * PASSIVE never blocks the writer, but under steady writes it never catches up with the end of the
 * WAL either, and SQLite only rewinds a fully checkpointed WAL, so the file would grow without end.
 * Hence two phases: a bulk pass while writes continue, then a short final pass while the main
 * thread holds new commits back (queued, not blocking the event loop); the next commit rewinds
 * the WAL. Plain CommonJS evaluated in the worker, so no TypeScript loader is needed there.
 * After any commit a TRUNCATE pass follows the bulk one within truncateAfterWriteMs, again with
 * commits held: the old page versions the WAL holds (an acknowledged envelope's row, an account's
 * earlier state, a released username) leave the files, and an idle relay's WAL is empty (issue 14).
 */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try {
    const r = db.pragma(m === 'truncate' ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ ok: r.busy === 0, log: r.log, done: r.checkpointed });
  } catch { parentPort.postMessage({ ok: false, log: 0, done: 0 }); }
});
`;
const CHECKPOINT_INTERVAL_MS = 250;
/** WAL frames (4 KiB pages) after a bulk pass that justify holding commits for a final pass and a rewind. */
const REWIND_MIN_FRAMES = 8192;
/** Size the WAL file is truncated back to after a rewind. */
const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;
/**
 * A commit is followed by a TRUNCATE checkpoint at most this much later; commits in between share
 * it, so under steady traffic the WAL is emptied about once per interval, not once per write.
 */
const TRUNCATE_AFTER_WRITE_MS = 1000;
/** Longest the main thread holds commits back for a final pass. */
const MAX_HOLD_MS = 20;
/** After this many final passes in a row that could not finish within MAX_HOLD_MS ... */
const ESCALATE_AFTER = 5;
/** ... the next hold may last this long, so the WAL is rewound even on a slow disk. */
const ESCALATED_HOLD_MS = 1000;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export class SqliteStorage implements RelayStorage {
  readonly kind = 'sqlite' as const;
  private readonly db: Db;
  private readonly wakes = new EventEmitter();
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly onSlow: ((what: string, ms: number) => void) | undefined;
  private readonly rewindMinFrames: number;
  private readonly walPath: string;
  private readonly dataDir: string;
  private readonly fsyncWal: boolean;
  private walFd: number | null = null;
  private syncing: Promise<void> | null = null;
  private syncWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly checkpointer: Worker;
  private checkpointPhase: 'idle' | 'bulk' | 'final' | 'truncate' = 'idle';
  private readonly truncateAfterWriteMs: number;
  private truncateTimer: NodeJS.Timeout | null = null;
  /** Something was deleted since the last TRUNCATE: the next checkpoint cycle ends with one. */
  private truncateWanted = false;
  private legacyLeft = false;
  /** Commits are held back (queued) while the final checkpoint pass runs. */
  private holdWrites = false;
  private holdTimer: NodeJS.Timeout | null = null;
  /** Counts for tests and diagnostics. */
  readonly checkpointStats = { bulkPasses: 0, finalPasses: 0, rewinds: 0, truncates: 0, truncateHoldMs: 0 };
  private truncateStarted = 0;
  /** Final passes in a row that overran their hold. */
  private overrunFinals = 0;
  private readonly checkpointTimer: NodeJS.Timeout;
  private readonly st;

  constructor(opts: SqliteOptions) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(opts.dataDir, 'relay.sqlite'));
    this.dataDir = opts.dataDir;
    this.onSlow = opts.onSlow;
    this.rewindMinFrames = opts.checkpoint?.rewindMinFrames ?? REWIND_MIN_FRAMES;
    this.truncateAfterWriteMs = opts.checkpoint?.truncateAfterWriteMs ?? TRUNCATE_AFTER_WRITE_MS;
    this.walPath = join(opts.dataDir, 'relay.sqlite-wal');
    this.fsyncWal = (opts.synchronous ?? 'FULL') === 'FULL';
    this.db.pragma('journal_mode = WAL');
    // NORMAL: SQLite itself fsyncs only at checkpoints; commit durability is our WAL fsync below.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('wal_autocheckpoint = 0');
    // After a rewind, shrink a WAL that a burst made large.
    this.db.pragma(
      `journal_size_limit = ${Math.floor(opts.checkpoint?.walSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES)}`,
    );
    // Deleted envelopes and blobs are overwritten, not left in free pages.
    this.db.pragma('secure_delete = ON');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    try {
      this.migrate(opts.onLegacyServerKeys, opts.accountKeying);
    } catch (error) {
      // A refused upgrade (legacy keys with nowhere to go) leaves the database as it was, closed.
      this.db.close();
      throw error;
    }
    this.checkpointer = new Worker(CHECKPOINT_WORKER, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3-multiple-ciphers'),
        path: join(opts.dataDir, 'relay.sqlite'),
      },
    });
    this.checkpointer.on('message', (r: { ok: boolean; log: number; done: number }) =>
      this.onCheckpointed(r),
    );
    this.checkpointer.on('error', () => {
      this.checkpointPhase = 'idle';
      this.releaseWrites();
    });
    this.checkpointTimer = setInterval(
      () => this.startCheckpoint(),
      opts.checkpoint?.intervalMs ?? CHECKPOINT_INTERVAL_MS,
    );
    this.checkpointTimer.unref();
    this.checkpointer.unref();
    const db = this.db;
    this.st = {
      insertAccount: db.prepare(
        'INSERT INTO accounts (id_hash, identity_key, registration_id, created_on) VALUES (?, ?, ?, ?)',
      ),
      getAccount: db.prepare(
        `SELECT a.identity_key, a.registration_id, a.created_on, a.messages_received, u.username
           FROM accounts a LEFT JOIN usernames u ON u.id_hash = a.id_hash WHERE a.id_hash = ?`,
      ),
      usernameOwner: db.prepare('SELECT id_hash FROM usernames WHERE username = ?').pluck(),
      deleteUsername: db.prepare('DELETE FROM usernames WHERE id_hash = ?'),
      insertUsername: db.prepare('INSERT INTO usernames (username, id_hash, account_id) VALUES (?, ?, ?)'),
      lookupUsername: db.prepare(
        `SELECT u.account_id, a.identity_key, a.registration_id FROM usernames u
           JOIN accounts a ON a.id_hash = u.id_hash WHERE u.username = ?`,
      ),
      deleteKind: db.prepare('DELETE FROM prekeys WHERE id_hash = ? AND kind = ?'),
      upsertPreKey: db.prepare(
        'INSERT OR REPLACE INTO prekeys (id_hash, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?)',
      ),
      countKind: db.prepare('SELECT COUNT(*) FROM prekeys WHERE id_hash = ? AND kind = ?').pluck(),
      firstKey: db.prepare(
        'SELECT key_id, public_key, signature FROM prekeys WHERE id_hash = ? AND kind = ? ORDER BY key_id LIMIT 1',
      ),
      deleteKey: db.prepare('DELETE FROM prekeys WHERE id_hash = ? AND kind = ? AND key_id = ?'),
      // One statement per stored envelope instead of two: the recipient's registration id (NULL
      // when there is no such account) and its queue usage.
      recipientState: db.prepare(
        `SELECT a.registration_id AS regId, COUNT(e.seq) AS n, COALESCE(SUM(e.size), 0) AS bytes
           FROM accounts a LEFT JOIN envelopes e ON e.recipient_hash = a.id_hash WHERE a.id_hash = ?`,
      ),
      insertEnvelope: db.prepare(
        'INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      bumpReceived: db.prepare(
        'UPDATE accounts SET messages_received = messages_received + 1 WHERE id_hash = ?',
      ),
      forgetLegacy: db.prepare(FORGET_LEGACY_HASH),
      rehash: REHASH_ACCOUNT.map((sql) => db.prepare(sql)),
      anyLegacy: db.prepare('SELECT 1 FROM legacy_account_hashes LIMIT 1').pluck(),
      fetchQueued: db.prepare(
        `SELECT seq, id, payload, expires_at FROM envelopes
           WHERE recipient_hash = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`,
      ),
      ackOne: db.prepare('DELETE FROM envelopes WHERE id = ? AND recipient_hash = ?'),
      countQueued: db.prepare('SELECT COUNT(*) FROM envelopes WHERE recipient_hash = ?').pluck(),
      insertAttachment: db.prepare(
        "INSERT INTO attachments (id, token_hash, declared_size, state, expires_at, owner_hash) VALUES (?, ?, ?, 'pending', ?, ?)",
      ),
      ownerUsage: db
        .prepare(
          `SELECT COALESCE(SUM(CASE WHEN state = 'complete' THEN size ELSE declared_size END), 0)
             FROM attachments WHERE owner_hash = ? AND expires_at > ?`,
        )
        .pluck(),
      claimAttachment: db.prepare(
        "UPDATE attachments SET state = 'uploading' WHERE id = ? AND token_hash = ? AND state = 'pending' AND expires_at > ?",
      ),
      getAttachment: db.prepare(
        'SELECT declared_size, size, state, expires_at FROM attachments WHERE id = ? AND expires_at > ?',
      ),
      // The attachment is checked in the same statement (and transaction) that stores the chunk.
      putChunk: db.prepare(
        `INSERT OR REPLACE INTO attachment_chunks (attachment_id, idx, data)
           SELECT ?, ?, ? WHERE EXISTS (
             SELECT 1 FROM attachments WHERE id = ? AND state = 'uploading' AND expires_at > ?)`,
      ),
      getChunk: db.prepare('SELECT data FROM attachment_chunks WHERE attachment_id = ? AND idx = ?').pluck(),
      completeAttachment: db.prepare(
        "UPDATE attachments SET state = 'complete', size = ? WHERE id = ? AND state = 'uploading' AND expires_at > ?",
      ),
      deleteAttachment: db.prepare('DELETE FROM attachments WHERE id = ?'),
      deleteChunks: db.prepare('DELETE FROM attachment_chunks WHERE attachment_id = ?'),
      purgeEnvelopes: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),
      expiredAttachments: db.prepare('SELECT id FROM attachments WHERE expires_at <= ?').pluck(),
      // Chunks the foreign key could not catch: written by a connection without foreign keys on.
      purgeOrphanChunks: db.prepare(
        `DELETE FROM attachment_chunks
           WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = attachment_chunks.attachment_id)`,
      ),
      spentToken: db.prepare('SELECT 1 FROM spent_tokens WHERE token_hash = ?').pluck(),
      insertSpentToken: db.prepare('INSERT INTO spent_tokens (token_hash, expires_at) VALUES (?, ?)'),
      purgeSpentTokens: db.prepare('DELETE FROM spent_tokens WHERE expires_at <= ?'),
      tokenKeys: db.prepare(
        'SELECT issue_from, issue_until, spend_until, sealed_key FROM token_keys ORDER BY issue_from',
      ),
      addTokenKey: db.prepare(
        'INSERT OR IGNORE INTO token_keys (issue_from, issue_until, spend_until, sealed_key) VALUES (?, ?, ?, ?)',
      ),
      purgeTokenKeys: db.prepare('DELETE FROM token_keys WHERE spend_until <= ?'),
      totals: db.prepare(
        `SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM envelopes) AS queued,
                (SELECT COUNT(*) FROM attachments) AS attachments`,
      ),
    };
  }

  private startCheckpoint(): void {
    if (this.closed || this.checkpointPhase !== 'idle') return;
    this.checkpointPhase = 'bulk';
    this.checkpointer.postMessage('checkpoint');
  }

  /** After a commit: a TRUNCATE checkpoint within truncateAfterWriteMs (one per interval). */
  private scheduleTruncate(): void {
    if (this.truncateTimer || this.closed) return;
    this.truncateTimer = setTimeout(() => {
      this.truncateTimer = null;
      this.truncateWanted = true;
      this.startCheckpoint();
    }, this.truncateAfterWriteMs);
    this.truncateTimer.unref();
  }

  private onCheckpointed(r: { ok: boolean; log: number; done: number }): void {
    if (this.checkpointPhase === 'truncate') {
      // Busy (a reader outlasted the worker's timeout): the next cycle tries again.
      this.checkpointStats.truncateHoldMs += performance.now() - this.truncateStarted;
      if (r.ok) this.checkpointStats.truncates++;
      else this.truncateWanted = true;
      if (!this.closed) this.checkpointer.unref();
      this.checkpointPhase = 'idle';
      this.releaseWrites();
      return;
    }
    if (this.checkpointPhase === 'bulk') this.checkpointStats.bulkPasses++;
    if (this.checkpointPhase === 'bulk' && r.ok && this.truncateWanted && !this.closed) {
      // Held until the worker answers (no hold timer): a TRUNCATE that found a writer active
      // would block it, and so the event loop, on the busy handler.
      this.truncateWanted = false;
      this.checkpointPhase = 'truncate';
      this.holdWrites = true;
      // Held writes are awaited by someone: keep the process alive until the worker answers.
      this.checkpointer.ref();
      this.truncateStarted = performance.now();
      this.checkpointer.postMessage('truncate');
      return;
    }
    if (this.checkpointPhase === 'final') {
      this.checkpointStats.finalPasses++;
      // Still holding and everything copied: the next commit rewinds the WAL.
      const rewound = this.holdWrites && r.ok && r.log === r.done;
      if (rewound) this.checkpointStats.rewinds++;
      this.overrunFinals = rewound ? 0 : this.overrunFinals + 1;
    }
    if (this.checkpointPhase === 'bulk' && r.ok && r.log >= this.rewindMinFrames && !this.closed) {
      // Only what was committed during the bulk pass is left: hold commits (queued; the event loop
      // runs on) while it is copied. A short hold keeps delivery latency low; if it keeps
      // overrunning, one longer hold makes sure the WAL still gets rewound.
      this.checkpointPhase = 'final';
      this.holdWrites = true;
      const hold = this.overrunFinals >= ESCALATE_AFTER ? ESCALATED_HOLD_MS : MAX_HOLD_MS;
      this.holdTimer = setTimeout(() => this.releaseWrites(), hold);
      this.checkpointer.postMessage('checkpoint');
      return;
    }
    this.checkpointPhase = 'idle';
    this.releaseWrites();
  }

  private releaseWrites(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (!this.holdWrites) return;
    this.holdWrites = false;
    if (this.queue.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private migrate(
    onLegacyKeys: SqliteOptions['onLegacyServerKeys'],
    keying: SqliteOptions['accountKeying'],
  ): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
    const current =
      (this.db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
    let droppedKeys = false;
    MIGRATIONS.forEach((migration, i) => {
      const version = i + 1;
      if (version <= current) return;
      this.db.transaction(() => {
        if (version === DROP_SERVER_KEYS_VERSION) {
          const rows = this.db.prepare('SELECT name, value FROM server_keys').all() as {
            name: string;
            value: Buffer;
          }[];
          const keys = legacyKeys(new Map(rows.map((r) => [r.name, r.value])));
          if (keys) {
            if (!onLegacyKeys) throw new Error('the database holds sealed-sender keys of an older relay');
            onLegacyKeys(keys);
          }
          droppedKeys = rows.length > 0;
        }
        for (const stmt of migration(SQLITE)) this.db.exec(stmt);
        // Asked for only now: a key moved out of the database by migration 2 is in its file.
        if (version === KEYED_HASHES_VERSION) this.rehashNamedAccounts(keying());
        this.db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(version);
      })();
    });
    const key = keying();
    const stored = this.db.prepare(READ_KEY_CHECK).pluck().get() as Buffer | undefined;
    if (verifyKeyCheck(stored, key) === 'store') this.db.prepare(WRITE_KEY_CHECK).run(buf(key.keyCheck()));
    this.legacyLeft = this.db.prepare('SELECT 1 FROM legacy_account_hashes LIMIT 1').get() !== undefined;
    // secure_delete zeroes deleted rows, but not the copies a page split leaves in a page's unused
    // space; an older relay's file may hold such copies of unkeyed hashes and counters. VACUUM
    // rewrites the file once, at the upgrade to keyed hashes.
    if (current > 0 && current < KEYED_HASHES_VERSION) this.db.exec('VACUUM');
    // Copying the new pages into the database now and emptying the WAL leaves no earlier copy of
    // the keys or the unkeyed hashes in either file.
    if (droppedKeys || current < MIGRATIONS.length) this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Inside migration 3: the accounts whose id a username row holds move to their keyed hash now. */
  private rehashNamedAccounts(key: AccountKeying): void {
    const ids = this.db.prepare(NAMED_LEGACY_ACCOUNTS).pluck().all() as string[];
    const forget = this.db.prepare(FORGET_LEGACY_HASH);
    const rehash = REHASH_ACCOUNT.map((sql) => this.db.prepare(sql));
    for (const id of ids) {
      const legacy = buf(key.legacyHash(id));
      if (forget.run(legacy).changes === 0) continue;
      const keyed = buf(key.hash(id));
      for (const st of rehash) st.run(keyed, legacy);
    }
  }

  /**
   * Runs `fn` inside the next group commit; resolves after the transaction is committed and, when
   * `durable`, after the WAL holding it has been fsynced.
   */
  private write<T>(fn: () => T, durable = true, onCommitted?: (value: T) => void): Promise<T> {
    if (this.closed) return Promise.reject(new Error('storage closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        fn,
        durable,
        onCommitted: onCommitted as ((value: unknown) => void) | undefined,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!this.flushScheduled && !this.holdWrites) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.holdWrites) return; // releaseWrites() schedules the flush
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
    if (elapsed > SLOW_MS) this.onSlow?.(`group commit of ${batch.length} writes`, Math.round(elapsed));
    this.scheduleTruncate();
    const settle = (item: PendingWrite, i: number) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    };
    batch.forEach((item, i) => {
      if (item.onCommitted && outcomes[i]!.ok) item.onCommitted(outcomes[i]!.value);
    });
    const needsSync = this.fsyncWal && batch.some((item, i) => item.durable && outcomes[i]!.ok);
    if (!needsSync) {
      batch.forEach(settle);
      return;
    }
    batch.forEach((item, i) => {
      if (!item.durable) settle(item, i);
    });
    this.syncWalFile().then(
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
          const dirFd = openSync(this.dataDir, 'r');
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

  async close(): Promise<void> {
    if (this.closed) return;
    // Let writes already queued commit before the handle closes.
    this.releaseWrites();
    while (this.queue.length > 0 || this.flushScheduled || this.syncing) {
      await (this.syncing ?? new Promise((r) => setImmediate(r)));
    }
    this.closed = true;
    clearInterval(this.checkpointTimer);
    if (this.truncateTimer) clearTimeout(this.truncateTimer);
    const exited = new Promise((r) => this.checkpointer.once('exit', r));
    // Referenced again so the process stays alive until the worker has closed its connection.
    this.checkpointer.ref();
    this.checkpointer.postMessage('close');
    await exited;
    if (this.walFd !== null) closeSync(this.walFd);
    this.db.close();
  }

  async createAccount(a: NewAccount): Promise<void> {
    await this.write(() =>
      this.st.insertAccount.run(buf(a.idHash), buf(a.identityKey), a.registrationId, a.createdOn),
    );
  }

  async getAccount(idHash: Uint8Array): Promise<AccountRow | null> {
    const row = this.st.getAccount.get(buf(idHash)) as
      | {
          identity_key: Buffer;
          registration_id: number;
          created_on: string;
          messages_received: number;
          username: string | null;
        }
      | undefined;
    if (!row) return null;
    return {
      identityKey: row.identity_key,
      registrationId: row.registration_id,
      createdOn: row.created_on,
      messagesReceived: row.messages_received,
      username: row.username,
    };
  }

  setUsername(idHash: Uint8Array, accountId: string, username: string): Promise<boolean> {
    return this.write(() => {
      const owner = this.st.usernameOwner.get(username) as Buffer | undefined;
      if (owner && !owner.equals(buf(idHash))) return false;
      this.st.deleteUsername.run(buf(idHash));
      this.st.insertUsername.run(username, buf(idHash), accountId);
      return true;
    });
  }

  async setDeliveryKeyHash(idHash: Uint8Array, keyHash: Uint8Array): Promise<void> {
    const st = this.db.prepare(
      `INSERT INTO delivery_keys (id_hash, key_hash) VALUES (?, ?)
         ON CONFLICT (id_hash) DO UPDATE SET key_hash = excluded.key_hash`,
    );
    await this.write(() => st.run(buf(idHash), buf(keyHash)));
  }

  async deliveryKeyHashes(idHashes: Uint8Array[]): Promise<(Uint8Array | null)[]> {
    this.deliveryKeyStatement ??= this.db
      .prepare('SELECT key_hash FROM delivery_keys WHERE id_hash = ?')
      .pluck();
    const st = this.deliveryKeyStatement;
    return idHashes.map((h) => (st.get(buf(h)) as Buffer | undefined) ?? null);
  }

  private deliveryKeyStatement: ReturnType<Db['prepare']> | undefined;

  async releaseUsername(idHash: Uint8Array): Promise<void> {
    await this.write(() => this.st.deleteUsername.run(buf(idHash)));
  }

  async deleteAccount(idHash: Uint8Array): Promise<void> {
    const h = buf(idHash);
    await this.write(() => {
      for (const statement of [
        'DELETE FROM usernames WHERE id_hash = ?',
        'DELETE FROM prekeys WHERE id_hash = ?',
        'DELETE FROM envelopes WHERE recipient_hash = ?',
        'DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE owner_hash = ?)',
        'DELETE FROM attachments WHERE owner_hash = ?',
        'DELETE FROM accounts WHERE id_hash = ?',
        'DELETE FROM legacy_account_hashes WHERE id_hash = ?',
        'DELETE FROM delivery_keys WHERE id_hash = ?',
      ])
        this.db.prepare(statement).run(h);
    });
  }

  async lookupUsername(username: string): Promise<UsernameEntry | null> {
    const row = this.st.lookupUsername.get(username) as
      { account_id: string; identity_key: Buffer; registration_id: number } | undefined;
    return row
      ? { accountId: row.account_id, identityKey: row.identity_key, registrationId: row.registration_id }
      : null;
  }

  async lookupUsernames(usernames: string[]): Promise<(UsernameEntry | null)[]> {
    return Promise.all(usernames.map((u) => this.lookupUsername(u)));
  }

  async putPreKeys(idHash: Uint8Array, upload: PreKeyUpload): Promise<void> {
    const h = buf(idHash);
    await this.write(() => {
      const put = (kind: string, k: StoredPreKey) =>
        this.st.upsertPreKey.run(h, kind, k.keyId, buf(k.publicKey), buf(k.signature));
      if (upload.signedPreKey) {
        this.st.deleteKind.run(h, 'signed');
        put('signed', upload.signedPreKey);
      }
      if (upload.lastResortKyberPreKey) {
        this.st.deleteKind.run(h, 'lastResort');
        put('lastResort', upload.lastResortKyberPreKey);
      }
      for (const k of upload.preKeys ?? []) put('ec', k);
      for (const k of upload.kyberPreKeys ?? []) put('kyber', k);
    });
  }

  async countPreKeys(idHash: Uint8Array): Promise<PreKeyCounts> {
    const h = buf(idHash);
    return {
      preKeys: this.st.countKind.get(h, 'ec') as number,
      kyberPreKeys: this.st.countKind.get(h, 'kyber') as number,
      hasSignedPreKey: (this.st.countKind.get(h, 'signed') as number) > 0,
      hasLastResortKyberPreKey: (this.st.countKind.get(h, 'lastResort') as number) > 0,
    };
  }

  takeBundle(idHash: Uint8Array): Promise<TakenBundle | null> {
    return this.write(() => this.takeBundleNow(buf(idHash)));
  }

  takeBundles(idHashes: Uint8Array[]): Promise<(AccountBundle | null)[]> {
    return this.write(() =>
      idHashes.map((idHash) => {
        const h = buf(idHash);
        const row = this.st.getAccount.get(h) as
          { identity_key: Buffer; registration_id: number } | undefined;
        const bundle = row ? this.takeBundleNow(h) : null;
        return row && bundle
          ? { identityKey: row.identity_key, registrationId: row.registration_id, bundle }
          : null;
      }),
    );
  }

  /** Inside a write: consumes one one-time EC and one Kyber prekey of the account `h`. */
  private takeBundleNow(h: Buffer): TakenBundle | null {
    type Row = { key_id: number; public_key: Buffer; signature: Buffer };
    const toKey = (r: Row): StoredPreKey => ({
      keyId: r.key_id,
      publicKey: r.public_key,
      signature: r.signature,
    });
    const signed = this.st.firstKey.get(h, 'signed') as Row | undefined;
    const lastResort = this.st.firstKey.get(h, 'lastResort') as Row | undefined;
    if (!signed || !lastResort) return null;
    const ec = this.st.firstKey.get(h, 'ec') as Row | undefined;
    if (ec) this.st.deleteKey.run(h, 'ec', ec.key_id);
    const kyber = this.st.firstKey.get(h, 'kyber') as Row | undefined;
    if (kyber) this.st.deleteKey.run(h, 'kyber', kyber.key_id);
    return {
      signedPreKey: toKey(signed),
      preKey: ec ? toKey(ec) : null,
      kyberPreKey: toKey(kyber ?? lastResort),
      kyberPreKeyIsLastResort: !kyber,
    };
  }

  async enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]> {
    return (await this.enqueueWrite(envelopes, caps, null)).outcomes;
  }

  enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    return this.enqueueWrite(envelopes, caps, tokens);
  }

  /** One write: the tokens (if any) recorded spent, all or none, then the envelopes if they were new. */
  private enqueueWrite(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[] | null,
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    const seqs = new Map<NewEnvelope, number>();
    const store = () => {
      seqs.clear();
      if (tokens) {
        // Checked and recorded inside the write, so no concurrent spend (a write of the same group
        // commit, or another connection) can pass this check too: writes run one after another.
        const alreadySpent = tokens.findIndex((t) => this.st.spentToken.get(buf(t.hash)) !== undefined);
        if (alreadySpent >= 0) return { alreadySpent, outcomes: [] as EnqueueOutcome[] };
        for (const t of tokens) this.st.insertSpentToken.run(buf(t.hash), t.expiresAt);
      }
      const result: EnqueueOutcome[] = [];
      for (const e of envelopes) {
        const r = buf(e.recipientHash);
        const state = this.st.recipientState.get(r) as { regId: number | null; n: number; bytes: number };
        const regId = state.regId;
        if (regId === null) {
          result.push('noAccount');
          continue;
        }
        if (e.expectRegistrationId !== undefined && e.expectRegistrationId !== regId) {
          result.push('stale');
          continue;
        }
        if (state.n + 1 > caps.maxEnvelopes || state.bytes + e.payload.byteLength > caps.maxBytes) {
          result.push('full');
          continue;
        }
        const seq = Number(
          this.st.insertEnvelope.run(e.id, r, buf(e.payload), e.payload.byteLength, e.expiresAt)
            .lastInsertRowid,
        );
        seqs.set(e, seq);
        this.st.bumpReceived.run(r);
        result.push('stored');
      }
      return { alreadySpent: -1, outcomes: result };
    };
    // Recipients are woken as soon as the commit is in the WAL, before the fsync: delivery needs
    // no durability (the recipient acknowledges after its own commit); only the sender's answer
    // does. Flushes run in commit order, so wakes for one recipient come in sequence order.
    const wake = ({ outcomes: result }: { outcomes: EnqueueOutcome[] }) =>
      envelopes.forEach((e, i) => {
        if (result[i] !== 'stored') return;
        this.wakes.emit('wake', hex(e.recipientHash), {
          seq: seqs.get(e)!,
          id: e.id,
          payload: e.payload,
          expiresAt: e.expiresAt,
        });
      });
    return this.write(store, true, wake);
  }

  async fetchQueued(
    recipientHash: Uint8Array,
    afterSeq: number,
    limit: number,
    now: number,
  ): Promise<QueuedEnvelope[]> {
    const rows = this.st.fetchQueued.all(buf(recipientHash), afterSeq, now, limit) as {
      seq: number;
      id: string;
      payload: Buffer;
      expires_at: number;
    }[];
    return rows.map((r) => ({ seq: r.seq, id: r.id, payload: r.payload, expiresAt: r.expires_at }));
  }

  ack(recipientHash: Uint8Array, ids: string[]): Promise<number> {
    const r = buf(recipientHash);
    // Not fsynced: an acknowledgement lost to a power cut only means one redelivery, which the
    // client drops by envelope id.
    return this.write(() => {
      let deleted = 0;
      for (const id of ids) deleted += this.st.ackOne.run(id, r).changes;
      return deleted;
    }, false);
  }

  async countQueued(recipientHash: Uint8Array): Promise<number> {
    return this.st.countQueued.get(buf(recipientHash)) as number;
  }

  createAttachment(
    a: NewAttachment,
    quota: AttachmentQuota,
  ): Promise<{ created: boolean; usedBytes: number }> {
    return this.write(() => {
      const usedBytes = this.st.ownerUsage.get(buf(a.ownerHash), quota.now) as number;
      if (usedBytes + a.declaredSize > quota.maxBytes) return { created: false, usedBytes };
      this.st.insertAttachment.run(a.id, buf(a.tokenHash), a.declaredSize, a.expiresAt, buf(a.ownerHash));
      return { created: true, usedBytes };
    });
  }

  async claimAttachmentUpload(id: string, tokenHash: Uint8Array, now: number): Promise<AttachmentRow | null> {
    const claimed = await this.write(() => this.st.claimAttachment.run(id, buf(tokenHash), now).changes);
    return claimed === 1 ? this.getAttachment(id, now) : null;
  }

  putAttachmentChunk(id: string, index: number, data: Uint8Array, now: number): Promise<boolean> {
    return this.write(() => this.st.putChunk.run(id, index, buf(data), id, now).changes > 0);
  }

  completeAttachment(id: string, size: number, now: number): Promise<boolean> {
    return this.write(() => this.st.completeAttachment.run(size, id, now).changes === 1);
  }

  async deleteAttachment(id: string): Promise<void> {
    await this.write(() => {
      this.st.deleteChunks.run(id);
      this.st.deleteAttachment.run(id);
    });
  }

  async getAttachment(id: string, now: number): Promise<AttachmentRow | null> {
    const row = this.st.getAttachment.get(id, now) as
      { declared_size: number; size: number; state: AttachmentRow['state']; expires_at: number } | undefined;
    return row
      ? { declaredSize: row.declared_size, size: row.size, state: row.state, expiresAt: row.expires_at }
      : null;
  }

  async getAttachmentChunk(id: string, index: number): Promise<Uint8Array | null> {
    return (this.st.getChunk.get(id, index) as Buffer | undefined) ?? null;
  }

  purgeExpired(now: number): Promise<{ envelopes: number; attachments: number }> {
    return this.write(() => {
      const envelopes = this.st.purgeEnvelopes.run(now).changes;
      const ids = this.st.expiredAttachments.all(now) as string[];
      for (const id of ids) {
        this.st.deleteChunks.run(id);
        this.st.deleteAttachment.run(id);
      }
      this.st.purgeOrphanChunks.run();
      this.st.purgeSpentTokens.run(now);
      this.st.purgeTokenKeys.run(now);
      return { envelopes, attachments: ids.length };
    }, false);
  }

  spendTokens(tokens: readonly SpentToken[]): Promise<number> {
    // One write (one transaction of the group commit): the check and the inserts see no other
    // write in between. Durable: a spend forgotten by a crash could be spent again.
    return this.write(() => {
      const already = tokens.findIndex((t) => this.st.spentToken.get(buf(t.hash)) !== undefined);
      if (already >= 0) return already;
      for (const t of tokens) this.st.insertSpentToken.run(buf(t.hash), t.expiresAt);
      return -1;
    });
  }

  async tokenKeys(): Promise<StoredTokenKey[]> {
    const rows = this.st.tokenKeys.all() as {
      issue_from: number;
      issue_until: number;
      spend_until: number;
      sealed_key: Buffer;
    }[];
    return rows.map((r) => ({
      issueFrom: r.issue_from,
      issueUntil: r.issue_until,
      spendUntil: r.spend_until,
      sealedKey: r.sealed_key,
    }));
  }

  async addTokenKey(k: StoredTokenKey): Promise<void> {
    // Durable: a key that signs tokens must outlive a crash.
    await this.write(() =>
      this.st.addTokenKey.run(k.issueFrom, k.issueUntil, k.spendUntil, buf(k.sealedKey)),
    );
  }

  async totals(): Promise<Totals> {
    const row = this.st.totals.get() as { accounts: number; queued: number; attachments: number };
    return { accounts: row.accounts, queuedEnvelopes: row.queued, attachments: row.attachments };
  }

  onWake(callback: (recipientHashHex: string | null, envelope?: QueuedEnvelope) => void): void {
    this.wakes.on('wake', callback);
  }

  get legacyAccountsRemain(): boolean {
    return this.legacyLeft;
  }

  async upgradeLegacyAccounts(accounts: { legacy: Uint8Array; keyed: Uint8Array }[]): Promise<void> {
    if (!this.legacyLeft) return;
    await this.write(() => {
      let moved = false;
      for (const a of accounts) {
        const legacy = buf(a.legacy);
        if (this.st.forgetLegacy.run(legacy).changes === 0) continue;
        for (const st of this.st.rehash) st.run(buf(a.keyed), legacy);
        moved = true;
      }
      if (moved) this.legacyLeft = this.st.anyLegacy.get() !== undefined;
    });
  }
}
