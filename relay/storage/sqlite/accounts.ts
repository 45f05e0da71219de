// The SQLite backend's accounts: rows, usernames, delivery key hashes, the deletion of an account
// with everything it left on the relay, and the move of legacy (unkeyed) hashes to keyed ones.
import type Database from 'better-sqlite3-multiple-ciphers';
import { FORGET_LEGACY_HASH, REHASH_ACCOUNT } from '../schema';
import type { AccountRow, NewAccount, UsernameEntry } from '../types';
import { buf } from './bytes';
import { releaseSharedOf } from './envelopes';
import type { Write } from './writer';

/** Every table holding an account's rows, by its hash; one transaction deletes them all. */
const DELETE_ACCOUNT = [
  'DELETE FROM usernames WHERE id_hash = ?',
  'DELETE FROM prekeys WHERE id_hash = ?',
  'DELETE FROM envelopes WHERE recipient_hash = ?',
  'DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE owner_hash = ?)',
  'DELETE FROM attachments WHERE owner_hash = ?',
  'DELETE FROM accounts WHERE id_hash = ?',
  'DELETE FROM legacy_account_hashes WHERE id_hash = ?',
  'DELETE FROM delivery_keys WHERE id_hash = ?',
];

export class SqliteAccounts {
  private readonly st;

  constructor(
    private readonly db: Database.Database,
    private readonly write: Write,
    /** True while some account is still stored under its legacy hash. */
    public legacyLeft: boolean,
  ) {
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
      setDeliveryKey: db.prepare(
        `INSERT INTO delivery_keys (id_hash, key_hash) VALUES (?, ?)
           ON CONFLICT (id_hash) DO UPDATE SET key_hash = excluded.key_hash`,
      ),
      deliveryKey: db.prepare('SELECT key_hash FROM delivery_keys WHERE id_hash = ?').pluck(),
      deleteAccount: DELETE_ACCOUNT.map((sql) => db.prepare(sql)),
      forgetLegacy: db.prepare(FORGET_LEGACY_HASH),
      rehash: REHASH_ACCOUNT.map((sql) => db.prepare(sql)),
      anyLegacy: db.prepare('SELECT 1 FROM legacy_account_hashes LIMIT 1').pluck(),
    };
  }

  async create(a: NewAccount): Promise<void> {
    await this.write(() =>
      this.st.insertAccount.run(buf(a.idHash), buf(a.identityKey), a.registrationId, a.createdOn),
    );
  }

  async get(idHash: Uint8Array): Promise<AccountRow | null> {
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

  async releaseUsername(idHash: Uint8Array): Promise<void> {
    await this.write(() => this.st.deleteUsername.run(buf(idHash)));
  }

  async lookupUsername(username: string): Promise<UsernameEntry | null> {
    const row = this.st.lookupUsername.get(username) as
      { account_id: string; identity_key: Buffer; registration_id: number } | undefined;
    return row
      ? { accountId: row.account_id, identityKey: row.identity_key, registrationId: row.registration_id }
      : null;
  }

  async setDeliveryKeyHash(idHash: Uint8Array, keyHash: Uint8Array): Promise<void> {
    await this.write(() => this.st.setDeliveryKey.run(buf(idHash), buf(keyHash)));
  }

  async deliveryKeyHashes(idHashes: Uint8Array[]): Promise<(Uint8Array | null)[]> {
    return idHashes.map((h) => (this.st.deliveryKey.get(buf(h)) as Buffer | undefined) ?? null);
  }

  async delete(idHash: Uint8Array): Promise<void> {
    const h = buf(idHash);
    await this.write(() => {
      // Shared parts of its queued envelopes lose their references first (gone with the last one).
      releaseSharedOf(this.db, h);
      for (const st of this.st.deleteAccount) st.run(h);
    });
  }

  async upgradeLegacy(accounts: { legacy: Uint8Array; keyed: Uint8Array }[]): Promise<void> {
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
