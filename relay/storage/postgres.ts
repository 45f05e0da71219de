// PostgreSQL backend for scale-out: several stateless relay nodes share one database, behind the
// RelayStorage façade. Its parts, one responsibility each, under postgres/: the pool and its timing
// (db.ts), schema upgrades (migrate.ts), the cross-node wake channel (wakes.ts), accounts, prekeys,
// envelope queues, tokens and attachments.
import pg from 'pg';
import { EventEmitter } from 'node:events';
import type {
  AccountBundle,
  AccountKeying,
  AccountRow,
  AttachmentQuota,
  AttachmentRow,
  EnqueueOutcome,
  LegacyKeysHandler,
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
import { PgAccounts } from './postgres/accounts';
import { PgAttachments } from './postgres/attachments';
import { PgDb } from './postgres/db';
import { PgEnvelopes } from './postgres/envelopes';
import { migratePostgres } from './postgres/migrate';
import { PgPreKeys } from './postgres/prekeys';
import { PgTokens } from './postgres/tokens';
import { WakeListener } from './postgres/wakes';

export interface PostgresOptions {
  url: string;
  /** Schema name (created if missing). Default "public". */
  schema?: string;
  poolSize?: number;
  /** Called for a query or transaction over 40 ms (its kind only, never its values). */
  onSlow?: (what: string, ms: number) => void;
  /** Receives the keys an older relay kept in server_keys, before the upgrade drops them (types.ts). */
  onLegacyServerKeys?: LegacyKeysHandler;
  /** The account-hash key (asked for after any legacy key export), for the rekeying and its check. */
  accountKeying: () => AccountKeying;
}

export class PostgresStorage implements RelayStorage {
  readonly kind = 'postgres' as const;
  private readonly wakes = new EventEmitter();
  private readonly listener: WakeListener;
  private readonly accounts: PgAccounts;
  private readonly prekeys: PgPreKeys;
  private readonly envelopes: PgEnvelopes;
  private readonly tokens: PgTokens;
  private readonly attachments: PgAttachments;
  private closed = false;

  private constructor(
    private readonly db: PgDb,
    url: string,
    channel: string,
    legacyLeft: boolean,
  ) {
    this.listener = new WakeListener(url, channel, this.wakes);
    this.accounts = new PgAccounts(db, legacyLeft);
    this.prekeys = new PgPreKeys(db);
    this.envelopes = new PgEnvelopes(db, channel, this.wakes);
    this.tokens = new PgTokens(db);
    this.attachments = new PgAttachments(db);
  }

  static async open(opts: PostgresOptions): Promise<PostgresStorage> {
    const schema = opts.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(schema)) throw new Error('invalid PostgreSQL schema name');
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      options: `-c search_path=${schema}`,
    });
    pool.on('error', () => {
      /* idle client errors surface on the next query */
    });
    try {
      const { legacyLeft } = await migratePostgres(pool, schema, opts.onLegacyServerKeys, opts.accountKeying);
      const storage = new PostgresStorage(
        new PgDb(pool, opts.onSlow),
        opts.url,
        `wisp_wake_${schema}`,
        legacyLeft,
      );
      await storage.listener.listen();
      return storage;
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.close();
    await this.db.pool.end();
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
    return this.accounts.lookupUsernames(usernames);
  }
  setDeliveryKeyHash(idHash: Uint8Array, keyHash: Uint8Array): Promise<void> {
    return this.accounts.setDeliveryKeyHash(idHash, keyHash);
  }
  deliveryKeyHashes(idHashes: Uint8Array[]): Promise<(Uint8Array | null)[]> {
    return this.accounts.deliveryKeyHashes(idHashes);
  }
  /** Per node: another node may have moved the last ones; then this one only asks once more. */
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
    return this.db.tx(async (c) => {
      const envelopes = await this.envelopes.purgeIn(c, now);
      const attachments = await this.attachments.purgeIn(c, now);
      await this.tokens.purgeIn(c, now);
      return { envelopes, attachments };
    });
  }

  async totals(): Promise<Totals> {
    const [row] = await this.db.q<{ accounts: string; queued: string; attachments: string }>(
      `SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM envelopes) AS queued,
              (SELECT COUNT(*) FROM attachments) AS attachments`,
    );
    return {
      accounts: Number(row!.accounts),
      queuedEnvelopes: Number(row!.queued),
      attachments: Number(row!.attachments),
    };
  }
}
