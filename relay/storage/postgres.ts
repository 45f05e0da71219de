// PostgreSQL backend for scale-out: several stateless relay nodes share one database. A stored
// envelope sends NOTIFY inside its transaction (so it fires on commit); every node LISTENs and
// wakes its own connections for that recipient.
import pg from 'pg';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  DROP_SERVER_KEYS_VERSION,
  FORGET_LEGACY_HASH,
  KEYED_HASHES_VERSION,
  legacyKeys,
  MIGRATIONS,
  NAMED_LEGACY_ACCOUNTS,
  POSTGRES,
  REHASH_ACCOUNT,
} from './schema';
import { READ_KEY_CHECK, verifyKeyCheck, WRITE_KEY_CHECK } from './accountKeys';
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
  StoredPreKey,
  StoredTokenKey,
  TakenBundle,
  Totals,
  UsernameEntry,
} from './types';

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

const SLOW_MS = 40;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const MIGRATION_LOCK = 0x57495350; // "WISP"
/** The shared statements are written with `?`; PostgreSQL numbers its parameters. */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};
const REHASH_PG = REHASH_ACCOUNT.map(numbered);
const FORGET_LEGACY_PG = numbered(FORGET_LEGACY_HASH);

export class PostgresStorage implements RelayStorage {
  readonly kind = 'postgres' as const;
  private readonly wakes = new EventEmitter();
  private listener: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private legacyLeft = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly opts: PostgresOptions,
    private readonly schema: string,
    private readonly channel: string,
  ) {}

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
    const storage = new PostgresStorage(pool, opts, schema, `wisp_wake_${schema}`);
    try {
      await storage.migrate();
      await storage.listen();
    } catch (error) {
      await pool.end();
      throw error;
    }
    return storage;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Two nodes starting together must not both run a migration.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(`SET LOCAL search_path TO "${this.schema}"`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
      const { rows } = await client.query<{ v: number | null }>(
        'SELECT MAX(version) AS v FROM schema_migrations',
      );
      const current = rows[0]?.v ?? 0;
      for (let i = current; i < MIGRATIONS.length; i++) {
        if (i + 1 === DROP_SERVER_KEYS_VERSION) {
          const { rows: keyRows } = await client.query<{ name: string; value: Buffer }>(
            'SELECT name, value FROM server_keys',
          );
          const keys = legacyKeys(new Map(keyRows.map((r) => [r.name, r.value])));
          if (keys) {
            if (!this.opts.onLegacyServerKeys)
              throw new Error('the database holds sealed-sender keys of an older relay');
            await this.opts.onLegacyServerKeys(keys);
          }
        }
        for (const stmt of MIGRATIONS[i]!(POSTGRES)) await client.query(stmt);
        if (i + 1 === KEYED_HASHES_VERSION) await rehashNamedAccounts(client, this.opts.accountKeying());
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
      }
      const key = this.opts.accountKeying();
      const check = (await client.query<{ check_value: Buffer }>(READ_KEY_CHECK)).rows[0]?.check_value;
      if (verifyKeyCheck(check, key) === 'store')
        await client.query(numbered(WRITE_KEY_CHECK), [buf(key.keyCheck())]);
      this.legacyLeft = (await client.query('SELECT 1 FROM legacy_account_hashes LIMIT 1')).rowCount !== 0;
      await client.query('COMMIT');
      // The rows rehashed above left their old versions (unkeyed hashes, the sent counter) as dead
      // tuples; VACUUM FULL rewrites the tables without them (once, at this upgrade; it cannot run
      // inside the transaction). Old WAL segments and base backups are the operator's (SECURITY.md).
      if (current < KEYED_HASHES_VERSION && current > 0)
        await client.query('VACUUM FULL accounts, usernames, prekeys, envelopes, attachments');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url });
    const retry = () => {
      if (this.closed || this.reconnectTimer) return;
      this.listener = null;
      client.end().catch(() => undefined);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        // Notifications sent while we were away are lost: wake everyone once we are back.
        this.listen().then(
          () => this.wakes.emit('wake', null),
          () => retry(),
        );
      }, 1000);
      this.reconnectTimer.unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload) this.wakes.emit('wake', n.payload);
    });
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.listener = client;
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const started = performance.now();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      const ms = performance.now() - started;
      if (ms > SLOW_MS) this.opts.onSlow?.('transaction', Math.round(ms));
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    const started = performance.now();
    const rows = (await this.pool.query<R>(sql, params)).rows;
    const ms = performance.now() - started;
    // The statement's first words say which query it was; the values never reach the log.
    if (ms > SLOW_MS) this.opts.onSlow?.(sql.trim().split(/\s+/).slice(0, 4).join(' '), Math.round(ms));
    return rows;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    if (listener) {
      listener.removeAllListeners('end');
      listener.removeAllListeners('error');
      listener.on('error', () => undefined);
      await listener.end().catch(() => undefined);
    }
    await this.pool.end();
  }

  async createAccount(a: NewAccount): Promise<void> {
    await this.q(
      'INSERT INTO accounts (id_hash, identity_key, registration_id, created_on) VALUES ($1, $2, $3, $4)',
      [buf(a.idHash), buf(a.identityKey), a.registrationId, a.createdOn],
    );
  }

  async getAccount(idHash: Uint8Array): Promise<AccountRow | null> {
    const [row] = await this.q<{
      identity_key: Buffer;
      registration_id: number;
      created_on: string;
      messages_received: string;
      username: string | null;
    }>(
      `SELECT a.identity_key, a.registration_id, a.created_on, a.messages_received, u.username
         FROM accounts a LEFT JOIN usernames u ON u.id_hash = a.id_hash WHERE a.id_hash = $1`,
      [buf(idHash)],
    );
    if (!row) return null;
    return {
      identityKey: row.identity_key,
      registrationId: row.registration_id,
      createdOn: row.created_on,
      messagesReceived: Number(row.messages_received),
      username: row.username,
    };
  }

  async setUsername(idHash: Uint8Array, accountId: string, username: string): Promise<boolean> {
    try {
      return await this.tx(async (c) => {
        const { rows } = await c.query<{ id_hash: Buffer }>(
          'SELECT id_hash FROM usernames WHERE username = $1 FOR UPDATE',
          [username],
        );
        if (rows[0] && !rows[0].id_hash.equals(buf(idHash))) return false;
        await c.query('DELETE FROM usernames WHERE id_hash = $1', [buf(idHash)]);
        await c.query('INSERT INTO usernames (username, id_hash, account_id) VALUES ($1, $2, $3)', [
          username,
          buf(idHash),
          accountId,
        ]);
        return true;
      });
    } catch (error) {
      // Two accounts claiming a free name at once: the unique index picks one winner.
      if ((error as { code?: string }).code === '23505') return false;
      throw error;
    }
  }

  async setDeliveryKeyHash(idHash: Uint8Array, keyHash: Uint8Array): Promise<void> {
    await this.q(
      `INSERT INTO delivery_keys (id_hash, key_hash) VALUES ($1, $2)
         ON CONFLICT (id_hash) DO UPDATE SET key_hash = excluded.key_hash`,
      [buf(idHash), buf(keyHash)],
    );
  }

  async deliveryKeyHashes(idHashes: Uint8Array[]): Promise<(Uint8Array | null)[]> {
    const rows = await this.q<{ id_hash: Buffer; key_hash: Buffer }>(
      'SELECT id_hash, key_hash FROM delivery_keys WHERE id_hash = ANY($1::bytea[])',
      [idHashes.map(buf)],
    );
    const byHash = new Map(rows.map((r) => [r.id_hash.toString('hex'), r.key_hash]));
    return idHashes.map((h) => byHash.get(Buffer.from(h).toString('hex')) ?? null);
  }

  async releaseUsername(idHash: Uint8Array): Promise<void> {
    await this.q('DELETE FROM usernames WHERE id_hash = $1', [buf(idHash)]);
  }

  async deleteAccount(idHash: Uint8Array): Promise<void> {
    const h = buf(idHash);
    await this.tx(async (c) => {
      for (const statement of [
        'DELETE FROM usernames WHERE id_hash = $1',
        'DELETE FROM prekeys WHERE id_hash = $1',
        'DELETE FROM envelopes WHERE recipient_hash = $1',
        'DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE owner_hash = $1)',
        'DELETE FROM attachments WHERE owner_hash = $1',
        'DELETE FROM accounts WHERE id_hash = $1',
        'DELETE FROM legacy_account_hashes WHERE id_hash = $1',
        'DELETE FROM delivery_keys WHERE id_hash = $1',
      ])
        await c.query(statement, [h]);
    });
  }

  async lookupUsername(username: string): Promise<UsernameEntry | null> {
    const [row] = await this.q<{ account_id: string; identity_key: Buffer; registration_id: number }>(
      `SELECT u.account_id, a.identity_key, a.registration_id FROM usernames u
         JOIN accounts a ON a.id_hash = u.id_hash WHERE u.username = $1`,
      [username],
    );
    return row
      ? { accountId: row.account_id, identityKey: row.identity_key, registrationId: row.registration_id }
      : null;
  }

  async lookupUsernames(usernames: string[]): Promise<(UsernameEntry | null)[]> {
    const rows = await this.q<{
      username: string;
      account_id: string;
      identity_key: Buffer;
      registration_id: number;
    }>(
      `SELECT u.username, u.account_id, a.identity_key, a.registration_id FROM usernames u
         JOIN accounts a ON a.id_hash = u.id_hash WHERE u.username = ANY($1::text[])`,
      [usernames],
    );
    const byName = new Map(rows.map((r) => [r.username, r]));
    return usernames.map((u) => {
      const row = byName.get(u);
      return row
        ? { accountId: row.account_id, identityKey: row.identity_key, registrationId: row.registration_id }
        : null;
    });
  }

  async putPreKeys(idHash: Uint8Array, upload: PreKeyUpload): Promise<void> {
    const h = buf(idHash);
    await this.tx(async (c) => {
      const put = (kind: string, k: StoredPreKey) =>
        c.query(
          `INSERT INTO prekeys (id_hash, kind, key_id, public_key, signature) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id_hash, kind, key_id) DO UPDATE SET public_key = EXCLUDED.public_key, signature = EXCLUDED.signature`,
          [h, kind, k.keyId, buf(k.publicKey), buf(k.signature)],
        );
      if (upload.signedPreKey) {
        await c.query("DELETE FROM prekeys WHERE id_hash = $1 AND kind = 'signed'", [h]);
        await put('signed', upload.signedPreKey);
      }
      if (upload.lastResortKyberPreKey) {
        await c.query("DELETE FROM prekeys WHERE id_hash = $1 AND kind = 'lastResort'", [h]);
        await put('lastResort', upload.lastResortKyberPreKey);
      }
      for (const k of upload.preKeys ?? []) await put('ec', k);
      for (const k of upload.kyberPreKeys ?? []) await put('kyber', k);
    });
  }

  async countPreKeys(idHash: Uint8Array): Promise<PreKeyCounts> {
    const rows = await this.q<{ kind: string; n: string }>(
      'SELECT kind, COUNT(*) AS n FROM prekeys WHERE id_hash = $1 GROUP BY kind',
      [buf(idHash)],
    );
    const n = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
    return {
      preKeys: n('ec'),
      kyberPreKeys: n('kyber'),
      hasSignedPreKey: n('signed') > 0,
      hasLastResortKyberPreKey: n('lastResort') > 0,
    };
  }

  async takeBundle(idHash: Uint8Array): Promise<TakenBundle | null> {
    return this.tx((c) => takeBundleIn(c, buf(idHash)));
  }

  async takeBundles(idHashes: Uint8Array[]): Promise<(AccountBundle | null)[]> {
    return this.tx(async (c) => {
      const out: (AccountBundle | null)[] = [];
      for (const idHash of idHashes) {
        const h = buf(idHash);
        const [row] = (
          await c.query<{ identity_key: Buffer; registration_id: number }>(
            'SELECT identity_key, registration_id FROM accounts WHERE id_hash = $1',
            [h],
          )
        ).rows;
        const bundle = row ? await takeBundleIn(c, h) : null;
        out.push(
          row && bundle
            ? { identityKey: row.identity_key, registrationId: row.registration_id, bundle }
            : null,
        );
      }
      return out;
    });
  }

  async enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]> {
    return (await this.enqueueTx(envelopes, caps, null)).outcomes;
  }

  async enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    try {
      return await this.enqueueTx(envelopes, caps, tokens);
    } catch (error) {
      // Thrown inside the transaction so it rolls back: no token and no envelope written.
      if (error instanceof AlreadySpent) return { alreadySpent: error.index, outcomes: [] };
      throw error;
    }
  }

  /** One transaction: the tokens (if any) recorded spent, all or none, then the envelopes. */
  private async enqueueTx(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[] | null,
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    const woken = new Set<string>();
    const outcomes = await this.tx(async (c) => {
      if (tokens) await insertSpent(c, tokens);
      const result: EnqueueOutcome[] = [];
      for (const e of envelopes) {
        const r = buf(e.recipientHash);
        const acct = (
          await c.query<{ registration_id: number }>(
            'SELECT registration_id FROM accounts WHERE id_hash = $1',
            [r],
          )
        ).rows[0];
        if (!acct) {
          result.push('noAccount');
          continue;
        }
        if (e.expectRegistrationId !== undefined && e.expectRegistrationId !== acct.registration_id) {
          result.push('stale');
          continue;
        }
        const usage = (
          await c.query<{ n: string; bytes: string }>(
            'SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM envelopes WHERE recipient_hash = $1',
            [r],
          )
        ).rows[0]!;
        if (
          Number(usage.n) + 1 > caps.maxEnvelopes ||
          Number(usage.bytes) + e.payload.byteLength > caps.maxBytes
        ) {
          result.push('full');
          continue;
        }
        await c.query(
          'INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at) VALUES ($1, $2, $3, $4, $5)',
          [e.id, r, buf(e.payload), e.payload.byteLength, e.expiresAt],
        );
        await c.query('UPDATE accounts SET messages_received = messages_received + 1 WHERE id_hash = $1', [
          r,
        ]);
        woken.add(hex(e.recipientHash));
        result.push('stored');
      }
      // NOTIFY inside the transaction is delivered only if it commits.
      for (const h of woken) await c.query('SELECT pg_notify($1, $2)', [this.channel, h]);
      return result;
    });
    for (const h of woken) this.wakes.emit('wake', h);
    return { alreadySpent: -1, outcomes };
  }

  async fetchQueued(
    recipientHash: Uint8Array,
    afterSeq: number,
    limit: number,
    now: number,
  ): Promise<QueuedEnvelope[]> {
    const rows = await this.q<{ seq: string; id: string; payload: Buffer; expires_at: string }>(
      `SELECT seq, id, payload, expires_at FROM envelopes
         WHERE recipient_hash = $1 AND seq > $2 AND expires_at > $3 ORDER BY seq LIMIT $4`,
      [buf(recipientHash), afterSeq, now, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      payload: r.payload,
      expiresAt: Number(r.expires_at),
    }));
  }

  async ack(recipientHash: Uint8Array, ids: string[]): Promise<number> {
    const res = await this.pool.query(
      'DELETE FROM envelopes WHERE recipient_hash = $1 AND id = ANY($2::text[])',
      [buf(recipientHash), ids],
    );
    return res.rowCount ?? 0;
  }

  async countQueued(recipientHash: Uint8Array): Promise<number> {
    const [row] = await this.q<{ n: string }>(
      'SELECT COUNT(*) AS n FROM envelopes WHERE recipient_hash = $1',
      [buf(recipientHash)],
    );
    return Number(row?.n ?? 0);
  }

  createAttachment(
    a: NewAttachment,
    quota: AttachmentQuota,
  ): Promise<{ created: boolean; usedBytes: number }> {
    const owner = buf(a.ownerHash);
    return this.tx(async (c) => {
      // The owner's account row serialises its concurrent creates (on any node) through the check.
      await c.query('SELECT 1 FROM accounts WHERE id_hash = $1 FOR UPDATE', [owner]);
      const { rows } = await c.query<{ used: string }>(
        `SELECT COALESCE(SUM(CASE WHEN state = 'complete' THEN size ELSE declared_size END), 0) AS used
           FROM attachments WHERE owner_hash = $1 AND expires_at > $2`,
        [owner, quota.now],
      );
      const usedBytes = Number(rows[0]?.used ?? 0);
      if (usedBytes + a.declaredSize > quota.maxBytes) return { created: false, usedBytes };
      await c.query(
        `INSERT INTO attachments (id, token_hash, declared_size, state, expires_at, owner_hash)
           VALUES ($1, $2, $3, 'pending', $4, $5)`,
        [a.id, buf(a.tokenHash), a.declaredSize, a.expiresAt, owner],
      );
      return { created: true, usedBytes };
    });
  }

  async claimAttachmentUpload(id: string, tokenHash: Uint8Array, now: number): Promise<AttachmentRow | null> {
    const [row] = await this.q<{
      declared_size: string;
      size: string;
      state: AttachmentRow['state'];
      expires_at: string;
    }>(
      `UPDATE attachments SET state = 'uploading' WHERE id = $1 AND token_hash = $2 AND state = 'pending' AND expires_at > $3
         RETURNING declared_size, size, state, expires_at`,
      [id, buf(tokenHash), now],
    );
    return row ? toAttachment(row) : null;
  }

  async putAttachmentChunk(id: string, index: number, data: Uint8Array, now: number): Promise<boolean> {
    // One statement: the attachment is checked (and, through the foreign key, locked against a
    // concurrent purge) in the transaction that stores the chunk.
    try {
      const res = await this.pool.query(
        `INSERT INTO attachment_chunks (attachment_id, idx, data)
           SELECT $1, $2, $3 WHERE EXISTS (
             SELECT 1 FROM attachments WHERE id = $1 AND state = 'uploading' AND expires_at > $4)
           ON CONFLICT (attachment_id, idx) DO UPDATE SET data = EXCLUDED.data`,
        [id, index, buf(data), now],
      );
      return (res.rowCount ?? 0) > 0;
    } catch (error) {
      // foreign_key_violation: the purge deleted the attachment between the check and the insert.
      if ((error as { code?: string }).code === '23503') return false;
      throw error;
    }
  }

  async completeAttachment(id: string, size: number, now: number): Promise<boolean> {
    const res = await this.pool.query(
      "UPDATE attachments SET state = 'complete', size = $1 WHERE id = $2 AND state = 'uploading' AND expires_at > $3",
      [size, id, now],
    );
    return res.rowCount === 1;
  }

  async deleteAttachment(id: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query('DELETE FROM attachment_chunks WHERE attachment_id = $1', [id]);
      await c.query('DELETE FROM attachments WHERE id = $1', [id]);
    });
  }

  async getAttachment(id: string, now: number): Promise<AttachmentRow | null> {
    const [row] = await this.q<{
      declared_size: string;
      size: string;
      state: AttachmentRow['state'];
      expires_at: string;
    }>('SELECT declared_size, size, state, expires_at FROM attachments WHERE id = $1 AND expires_at > $2', [
      id,
      now,
    ]);
    return row ? toAttachment(row) : null;
  }

  async getAttachmentChunk(id: string, index: number): Promise<Uint8Array | null> {
    const [row] = await this.q<{ data: Buffer }>(
      'SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND idx = $2',
      [id, index],
    );
    return row?.data ?? null;
  }

  async purgeExpired(now: number): Promise<{ envelopes: number; attachments: number }> {
    return this.tx(async (c) => {
      const envelopes = (await c.query('DELETE FROM envelopes WHERE expires_at <= $1', [now])).rowCount ?? 0;
      await c.query(
        'DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE expires_at <= $1)',
        [now],
      );
      const attachments =
        (await c.query('DELETE FROM attachments WHERE expires_at <= $1', [now])).rowCount ?? 0;
      await c.query('DELETE FROM spent_tokens WHERE expires_at <= $1', [now]);
      await c.query('DELETE FROM token_keys WHERE spend_until <= $1', [now]);
      // Chunks left without an attachment (none since the foreign key; kept as a safety net).
      await c.query(
        `DELETE FROM attachment_chunks
           WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = attachment_chunks.attachment_id)`,
      );
      return { envelopes, attachments };
    });
  }

  async spendTokens(tokens: readonly SpentToken[]): Promise<number> {
    try {
      return await this.tx(async (c) => {
        await insertSpent(c, tokens);
        return -1;
      });
    } catch (error) {
      // Thrown inside the transaction so it rolls back: all or none.
      if (error instanceof AlreadySpent) return error.index;
      throw error;
    }
  }

  async tokenKeys(): Promise<StoredTokenKey[]> {
    const rows = await this.q<{
      issue_from: string;
      issue_until: string;
      spend_until: string;
      sealed_key: Buffer;
    }>('SELECT issue_from, issue_until, spend_until, sealed_key FROM token_keys ORDER BY issue_from');
    return rows.map((r) => ({
      issueFrom: Number(r.issue_from),
      issueUntil: Number(r.issue_until),
      spendUntil: Number(r.spend_until),
      sealedKey: r.sealed_key,
    }));
  }

  async addTokenKey(k: StoredTokenKey): Promise<void> {
    await this.q(
      `INSERT INTO token_keys (issue_from, issue_until, spend_until, sealed_key) VALUES ($1, $2, $3, $4)
         ON CONFLICT (issue_from) DO NOTHING`,
      [k.issueFrom, k.issueUntil, k.spendUntil, buf(k.sealedKey)],
    );
  }

  async totals(): Promise<Totals> {
    const [row] = await this.q<{ accounts: string; queued: string; attachments: string }>(
      `SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM envelopes) AS queued,
              (SELECT COUNT(*) FROM attachments) AS attachments`,
    );
    return {
      accounts: Number(row!.accounts),
      queuedEnvelopes: Number(row!.queued),
      attachments: Number(row!.attachments),
    };
  }

  onWake(callback: (recipientHashHex: string | null, envelope?: QueuedEnvelope) => void): void {
    this.wakes.on('wake', callback);
  }

  /** Per node: another node may have moved the last ones; then this one only asks once more. */
  get legacyAccountsRemain(): boolean {
    return this.legacyLeft;
  }

  async upgradeLegacyAccounts(accounts: { legacy: Uint8Array; keyed: Uint8Array }[]): Promise<void> {
    if (!this.legacyLeft) return;
    this.legacyLeft = await this.tx(async (c) => {
      for (const a of accounts) {
        const legacy = buf(a.legacy);
        // The delete locks the row: two nodes moving the same account do it once.
        if ((await c.query(FORGET_LEGACY_PG, [legacy])).rowCount === 0) continue;
        for (const sql of REHASH_PG) await c.query(sql, [buf(a.keyed), legacy]);
      }
      return (await c.query('SELECT 1 FROM legacy_account_hashes LIMIT 1')).rowCount !== 0;
    });
  }
}

/** Inside migration 3: the accounts whose id a username row holds move to their keyed hash now. */
async function rehashNamedAccounts(c: pg.PoolClient, key: AccountKeying): Promise<void> {
  const { rows } = await c.query<{ account_id: string }>(NAMED_LEGACY_ACCOUNTS);
  for (const { account_id: id } of rows) {
    const legacy = buf(key.legacyHash(id));
    if ((await c.query(FORGET_LEGACY_PG, [legacy])).rowCount === 0) continue;
    for (const sql of REHASH_PG) await c.query(sql, [buf(key.hash(id)), legacy]);
  }
}

class AlreadySpent extends Error {
  constructor(readonly index: number) {
    super('token already spent');
  }
}

function toAttachment(row: {
  declared_size: string;
  size: string;
  state: AttachmentRow['state'];
  expires_at: string;
}): AttachmentRow {
  return {
    declaredSize: Number(row.declared_size),
    size: Number(row.size),
    state: row.state,
    expiresAt: Number(row.expires_at),
  };
}

/**
 * Inside a transaction: records the tokens spent, or throws AlreadySpent (the caller rolls back) with
 * the index of the first one recorded before. The primary key decides between concurrent spends
 * (on any node): the second insert of a hash waits for the first transaction and then inserts nothing.
 */
async function insertSpent(c: pg.PoolClient, tokens: readonly SpentToken[]): Promise<void> {
  const hashes = tokens.map((t) => buf(t.hash));
  const { rows } = await c.query<{ token_hash: Buffer }>(
    `INSERT INTO spent_tokens (token_hash, expires_at)
       SELECT * FROM unnest($1::bytea[], $2::bigint[]) ON CONFLICT (token_hash) DO NOTHING
       RETURNING token_hash`,
    [hashes, tokens.map((t) => t.expiresAt)],
  );
  if (rows.length === tokens.length) return;
  const fresh = new Set(rows.map((r) => r.token_hash.toString('hex')));
  throw new AlreadySpent(hashes.findIndex((h) => !fresh.has(h.toString('hex'))));
}

/** Inside a transaction: consumes one one-time EC and one Kyber prekey of the account `h`. */
async function takeBundleIn(c: pg.PoolClient, h: Buffer): Promise<TakenBundle | null> {
  type Row = { key_id: number; public_key: Buffer; signature: Buffer };
  const toKey = (r: Row): StoredPreKey => ({
    keyId: r.key_id,
    publicKey: r.public_key,
    signature: r.signature,
  });
  const first = async (kind: string) =>
    (
      await c.query<Row>(
        'SELECT key_id, public_key, signature FROM prekeys WHERE id_hash = $1 AND kind = $2 ORDER BY key_id LIMIT 1',
        [h, kind],
      )
    ).rows[0];
  // Row locks with SKIP LOCKED: two concurrent fetches never consume the same one-time key.
  const consume = async (kind: string) =>
    (
      await c.query<Row>(
        `DELETE FROM prekeys WHERE (id_hash, kind, key_id) IN (
           SELECT id_hash, kind, key_id FROM prekeys WHERE id_hash = $1 AND kind = $2
             ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING key_id, public_key, signature`,
        [h, kind],
      )
    ).rows[0];
  const signed = await first('signed');
  const lastResort = await first('lastResort');
  if (!signed || !lastResort) return null;
  const ec = await consume('ec');
  const kyber = await consume('kyber');
  return {
    signedPreKey: toKey(signed),
    preKey: ec ? toKey(ec) : null,
    kyberPreKey: toKey(kyber ?? lastResort),
    kyberPreKeyIsLastResort: !kyber,
  };
}
