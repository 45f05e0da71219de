// SQLite backend (the embedded default): one file in WAL mode, behind the RelayStorage façade.
// Its parts, one responsibility each, under sqlite/: the group commit and WAL fsync (writer.ts),
// the checkpoint worker (checkpoint.ts), schema upgrades (migrate.ts), accounts, prekeys, envelope
// queues, tokens and attachments. Every write goes through the one group commit.
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
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
  StoredTokenKey,
  TakenBundle,
  Totals,
  UsernameEntry,
} from './types';
import { SqliteAccounts } from './sqlite/accounts';
import { SqliteAttachments } from './sqlite/attachments';
import { type CheckpointOptions, WalCheckpointer } from './sqlite/checkpoint';
import { SqliteEnvelopes } from './sqlite/envelopes';
import { migrateSqlite } from './sqlite/migrate';
import { SqlitePreKeys } from './sqlite/prekeys';
import { SqliteTokens } from './sqlite/tokens';
import { GroupCommitWriter } from './sqlite/writer';

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
  checkpoint?: CheckpointOptions;
  /** Receives the keys an older relay kept in server_keys, before the upgrade drops them (types.ts). */
  onLegacyServerKeys?: (keys: LegacyServerKeys) => void;
  /** The account-hash key (asked for after any legacy key export), for the rekeying and its check. */
  accountKeying: () => AccountKeying;
}

/** Size the WAL file is truncated back to after a rewind. */
const WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024;

export class SqliteStorage implements RelayStorage {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly wakes = new EventEmitter();
  private readonly writer: GroupCommitWriter;
  private readonly checkpointer: WalCheckpointer;
  private readonly accounts: SqliteAccounts;
  private readonly prekeys: SqlitePreKeys;
  private readonly envelopes: SqliteEnvelopes;
  private readonly tokens: SqliteTokens;
  private readonly attachments: SqliteAttachments;
  private readonly totalsStatement;
  private closed = false;

  constructor(opts: SqliteOptions) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const db = new Database(join(opts.dataDir, 'relay.sqlite'));
    this.db = db;
    db.pragma('journal_mode = WAL');
    // NORMAL: SQLite itself fsyncs only at checkpoints; commit durability is the writer's WAL fsync.
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    // After a rewind, shrink a WAL that a burst made large.
    db.pragma(
      `journal_size_limit = ${Math.floor(opts.checkpoint?.walSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES)}`,
    );
    // Deleted envelopes and blobs are overwritten, not left in free pages.
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    let legacyLeft: boolean;
    try {
      ({ legacyLeft } = migrateSqlite(db, opts.onLegacyServerKeys, opts.accountKeying));
    } catch (error) {
      // A refused upgrade (legacy keys with nowhere to go) leaves the database as it was, closed.
      db.close();
      throw error;
    }
    this.writer = new GroupCommitWriter(db, {
      dataDir: opts.dataDir,
      fsyncWal: (opts.synchronous ?? 'FULL') === 'FULL',
      onSlow: opts.onSlow,
      onCommit: () => this.checkpointer.afterCommit(),
    });
    this.checkpointer = new WalCheckpointer(opts.dataDir, this.writer, opts.checkpoint);
    const write = this.writer.write;
    this.accounts = new SqliteAccounts(db, write, legacyLeft);
    this.prekeys = new SqlitePreKeys(db, write);
    this.tokens = new SqliteTokens(db, write);
    this.envelopes = new SqliteEnvelopes(db, write, this.tokens, this.wakes);
    this.attachments = new SqliteAttachments(db, write);
    this.totalsStatement = db.prepare(
      `SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM envelopes) AS queued,
              (SELECT COUNT(*) FROM attachments) AS attachments`,
    );
  }

  /** Checkpoint counts, for tests and diagnostics. */
  get checkpointStats(): WalCheckpointer['stats'] {
    return this.checkpointer.stats;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let writes already queued commit before the handle closes.
    this.checkpointer.release();
    await this.writer.close();
    this.closed = true;
    await this.checkpointer.close();
    this.writer.closeWal();
    this.db.close();
  }

  createAccount(a: NewAccount): Promise<void> {
    return this.accounts.create(a);
  }
  getAccount(idHash: Uint8Array): Promise<AccountRow | null> {
    return this.accounts.get(idHash);
  }
  setUsername(idHash: Uint8Array, accountId: string, username: string): Promise<boolean> {
    return this.accounts.setUsername(idHash, accountId, username);
  }
  releaseUsername(idHash: Uint8Array): Promise<void> {
    return this.accounts.releaseUsername(idHash);
  }
  deleteAccount(idHash: Uint8Array): Promise<void> {
    return this.accounts.delete(idHash);
  }
  lookupUsername(username: string): Promise<UsernameEntry | null> {
    return this.accounts.lookupUsername(username);
  }
  lookupUsernames(usernames: string[]): Promise<(UsernameEntry | null)[]> {
    return Promise.all(usernames.map((u) => this.accounts.lookupUsername(u)));
  }
  setDeliveryKeyHash(idHash: Uint8Array, keyHash: Uint8Array): Promise<void> {
    return this.accounts.setDeliveryKeyHash(idHash, keyHash);
  }
  deliveryKeyHashes(idHashes: Uint8Array[]): Promise<(Uint8Array | null)[]> {
    return this.accounts.deliveryKeyHashes(idHashes);
  }
  get legacyAccountsRemain(): boolean {
    return this.accounts.legacyLeft;
  }
  upgradeLegacyAccounts(accounts: { legacy: Uint8Array; keyed: Uint8Array }[]): Promise<void> {
    return this.accounts.upgradeLegacy(accounts);
  }

  putPreKeys(idHash: Uint8Array, upload: PreKeyUpload): Promise<void> {
    return this.prekeys.put(idHash, upload);
  }
  countPreKeys(idHash: Uint8Array): Promise<PreKeyCounts> {
    return this.prekeys.count(idHash);
  }
  takeBundle(idHash: Uint8Array): Promise<TakenBundle | null> {
    return this.prekeys.takeBundle(idHash);
  }
  takeBundles(idHashes: Uint8Array[]): Promise<(AccountBundle | null)[]> {
    return this.prekeys.takeBundles(idHashes);
  }

  enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]> {
    return this.envelopes.enqueue(envelopes, caps);
  }
  enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    return this.envelopes.enqueueSpending(envelopes, caps, tokens);
  }
  enqueueSpendingEach(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<(EnqueueOutcome | 'spent')[]> {
    return this.envelopes.enqueueSpendingEach(envelopes, caps, tokens);
  }
  fetchQueued(
    recipientHash: Uint8Array,
    afterSeq: number,
    limit: number,
    now: number,
  ): Promise<QueuedEnvelope[]> {
    return this.envelopes.fetch(recipientHash, afterSeq, limit, now);
  }
  ack(recipientHash: Uint8Array, ids: string[]): Promise<number> {
    return this.envelopes.ack(recipientHash, ids);
  }
  countQueued(recipientHash: Uint8Array): Promise<number> {
    return this.envelopes.count(recipientHash);
  }
  onWake(callback: (recipientHashHex: string | null, envelope?: QueuedEnvelope) => void): void {
    this.wakes.on('wake', callback);
  }

  spendTokens(tokens: readonly SpentToken[]): Promise<number> {
    return this.tokens.spend(tokens);
  }
  tokenKeys(): Promise<StoredTokenKey[]> {
    return this.tokens.keys();
  }
  addTokenKey(k: StoredTokenKey): Promise<void> {
    return this.tokens.addKey(k);
  }

  createAttachment(
    a: NewAttachment,
    quota: AttachmentQuota,
  ): Promise<{ created: boolean; usedBytes: number }> {
    return this.attachments.create(a, quota);
  }
  claimAttachmentUpload(id: string, tokenHash: Uint8Array, now: number): Promise<AttachmentRow | null> {
    return this.attachments.claimUpload(id, tokenHash, now);
  }
  putAttachmentChunk(id: string, index: number, data: Uint8Array, now: number): Promise<boolean> {
    return this.attachments.putChunk(id, index, data, now);
  }
  completeAttachment(id: string, size: number, now: number): Promise<boolean> {
    return this.attachments.complete(id, size, now);
  }
  deleteAttachment(id: string): Promise<void> {
    return this.attachments.delete(id);
  }
  getAttachment(id: string, now: number): Promise<AttachmentRow | null> {
    return this.attachments.get(id, now);
  }
  getAttachmentChunk(id: string, index: number): Promise<Uint8Array | null> {
    return this.attachments.getChunk(id, index);
  }

  purgeExpired(now: number): Promise<{ envelopes: number; attachments: number }> {
    return this.writer.write(() => {
      const envelopes = this.envelopes.purgeNow(now);
      const attachments = this.attachments.purgeNow(now);
      this.tokens.purgeNow(now);
      return { envelopes, attachments };
    }, false);
  }

  async totals(): Promise<Totals> {
    const row = this.totalsStatement.get() as { accounts: number; queued: number; attachments: number };
    return { accounts: row.accounts, queuedEnvelopes: row.queued, attachments: row.attachments };
  }
}
