// The PostgreSQL backend's accounts: rows, usernames (a unique index decides concurrent claims),
// delivery key hashes, the deletion of an account with everything it left on the relay, and the
// move of legacy (unkeyed) hashes to keyed ones.
import type { AccountRow, NewAccount, UsernameEntry } from '../types';
import { buf, type PgDb } from './db';
import { releaseSharedOf } from './envelopes';
import { FORGET_LEGACY_PG, REHASH_PG } from './migrate';

/** Every table holding an account's rows, by its hash; one transaction deletes them all. */
const DELETE_ACCOUNT = [
  'DELETE FROM usernames WHERE id_hash = $1',
  'DELETE FROM prekeys WHERE id_hash = $1',
  'DELETE FROM envelopes WHERE recipient_hash = $1',
  'DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE owner_hash = $1)',
  'DELETE FROM attachments WHERE owner_hash = $1',
  'DELETE FROM accounts WHERE id_hash = $1',
  'DELETE FROM legacy_account_hashes WHERE id_hash = $1',
  'DELETE FROM delivery_keys WHERE id_hash = $1',
];

type UsernameRow = { account_id: string; identity_key: Buffer; registration_id: number };
const toEntry = (row: UsernameRow): UsernameEntry => ({
  accountId: row.account_id,
  identityKey: row.identity_key,
  registrationId: row.registration_id,
});

export class PgAccounts {
  constructor(
    private readonly db: PgDb,
    /** Per node: another node may have moved the last ones; then this one only asks once more. */
    public legacyLeft: boolean,
  ) {}

  async create(a: NewAccount): Promise<void> {
    await this.db.q(
      'INSERT INTO accounts (id_hash, identity_key, registration_id, created_on) VALUES ($1, $2, $3, $4)',
      [buf(a.idHash), buf(a.identityKey), a.registrationId, a.createdOn],
    );
  }

  async get(idHash: Uint8Array): Promise<AccountRow | null> {
    const [row] = await this.db.q<{
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
      return await this.db.tx(async (c) => {
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

  async releaseUsername(idHash: Uint8Array): Promise<void> {
    await this.db.q('DELETE FROM usernames WHERE id_hash = $1', [buf(idHash)]);
  }

  async lookupUsername(username: string): Promise<UsernameEntry | null> {
    const [row] = await this.db.q<UsernameRow>(
      `SELECT u.account_id, a.identity_key, a.registration_id FROM usernames u
         JOIN accounts a ON a.id_hash = u.id_hash WHERE u.username = $1`,
      [username],
    );
    return row ? toEntry(row) : null;
  }

  async lookupUsernames(usernames: string[]): Promise<(UsernameEntry | null)[]> {
    const rows = await this.db.q<UsernameRow & { username: string }>(
      `SELECT u.username, u.account_id, a.identity_key, a.registration_id FROM usernames u
         JOIN accounts a ON a.id_hash = u.id_hash WHERE u.username = ANY($1::text[])`,
      [usernames],
    );
    const byName = new Map(rows.map((r) => [r.username, r]));
    return usernames.map((u) => {
      const row = byName.get(u);
      return row ? toEntry(row) : null;
    });
  }

  async setDeliveryKeyHash(idHash: Uint8Array, keyHash: Uint8Array): Promise<void> {
    await this.db.q(
      `INSERT INTO delivery_keys (id_hash, key_hash) VALUES ($1, $2)
         ON CONFLICT (id_hash) DO UPDATE SET key_hash = excluded.key_hash`,
      [buf(idHash), buf(keyHash)],
    );
  }

  async deliveryKeyHashes(idHashes: Uint8Array[]): Promise<(Uint8Array | null)[]> {
    const rows = await this.db.q<{ id_hash: Buffer; key_hash: Buffer }>(
      'SELECT id_hash, key_hash FROM delivery_keys WHERE id_hash = ANY($1::bytea[])',
      [idHashes.map(buf)],
    );
    const byHash = new Map(rows.map((r) => [r.id_hash.toString('hex'), r.key_hash]));
    return idHashes.map((h) => byHash.get(Buffer.from(h).toString('hex')) ?? null);
  }

  async delete(idHash: Uint8Array): Promise<void> {
    const h = buf(idHash);
    await this.db.tx(async (c) => {
      // Shared parts of its queued envelopes lose their references first (gone with the last one).
      await releaseSharedOf(c, h);
      for (const statement of DELETE_ACCOUNT) await c.query(statement, [h]);
    });
  }

  async upgradeLegacy(accounts: { legacy: Uint8Array; keyed: Uint8Array }[]): Promise<void> {
    if (!this.legacyLeft) return;
    this.legacyLeft = await this.db.tx(async (c) => {
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
