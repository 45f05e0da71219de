// Contacts: account id, optional username, identity key, and the verified / identity-changed flags.
import { sql } from '../sql';
import type { WritableDb } from '../database';
import type { Contact } from '../types';

interface Row {
  account_id: string;
  username: string | null;
  identity_key: Buffer | null;
  verified: number;
  identity_changed: number;
  created_at: number;
  updated_at: number;
}

function toContact(row: Row): Contact {
  return {
    accountId: row.account_id,
    username: row.username,
    identityKey: row.identity_key,
    verified: row.verified === 1,
    identityChanged: row.identity_changed === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type IdentitySaveResult = 'new' | 'unchanged' | 'replaced';

export class ContactsRepo {
  constructor(private readonly db: WritableDb) {}

  get(accountId: string): Contact | undefined {
    const row = this.db.get<Row>(sql`SELECT * FROM contacts WHERE account_id = ${accountId}`);
    return row && toContact(row);
  }

  /** Usernames are case-insensitive (PRODUCT.md). */
  byUsername(username: string): Contact | undefined {
    const row = this.db.get<Row>(
      sql`SELECT * FROM contacts WHERE username = ${username} COLLATE NOCASE ORDER BY updated_at DESC LIMIT 1`,
    );
    return row && toContact(row);
  }

  list(): Contact[] {
    return this.db
      .all<Row>(sql`SELECT * FROM contacts ORDER BY username COLLATE NOCASE, account_id`)
      .map(toContact);
  }

  /** Creates the contact or updates its username; never touches the identity key. */
  upsert(accountId: string, username: string | null, now = Date.now()): Contact {
    this.db.run(sql`
      INSERT INTO contacts (account_id, username, created_at, updated_at) VALUES (${accountId}, ${username}, ${now}, ${now})
      ON CONFLICT (account_id) DO UPDATE SET
        username = coalesce(excluded.username, contacts.username), updated_at = excluded.updated_at`);
    return this.get(accountId)!;
  }

  /**
   * Records the identity key seen for a contact. A different key than the stored one un-verifies the
   * contact and raises identity_changed, which the UI shows loudly until acknowledged.
   */
  saveIdentityKey(accountId: string, identityKey: Uint8Array, now = Date.now()): IdentitySaveResult {
    return this.db.transaction(() => {
      const existing = this.get(accountId);
      const key = Buffer.from(identityKey);
      if (existing?.identityKey && existing.identityKey.equals(key)) return 'unchanged';
      if (!existing) {
        this.db.run(
          sql`INSERT INTO contacts (account_id, identity_key, created_at, updated_at) VALUES (${accountId}, ${key}, ${now}, ${now})`,
        );
        return 'new';
      }
      if (!existing.identityKey) {
        this.db.run(
          sql`UPDATE contacts SET identity_key = ${key}, updated_at = ${now} WHERE account_id = ${accountId}`,
        );
        return 'new';
      }
      this.db.run(sql`
        UPDATE contacts SET identity_key = ${key}, verified = 0, identity_changed = 1, updated_at = ${now}
        WHERE account_id = ${accountId}`);
      return 'replaced';
    });
  }

  setVerified(accountId: string, verified: boolean): void {
    // Verifying also acknowledges a change: the user has just compared safety numbers.
    this.db.run(sql`
      UPDATE contacts SET verified = ${verified}, identity_changed = CASE WHEN ${verified} THEN 0 ELSE identity_changed END,
        updated_at = ${Date.now()} WHERE account_id = ${accountId}`);
  }

  acknowledgeIdentityChange(accountId: string): void {
    this.db.run(
      sql`UPDATE contacts SET identity_changed = 0, updated_at = ${Date.now()} WHERE account_id = ${accountId}`,
    );
  }
}
