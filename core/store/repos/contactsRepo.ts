// Contacts: account id, optional username (unique: only the relay's answers to our own lookups set
// it), identity key (pinned at first sight), the verified / identity-changed flags and a peer's hint.
import { sql } from '../sql';
import type { WritableDb } from '../database';
import type { Contact } from '../types';

interface Row {
  account_id: string;
  username: string | null;
  identity_key: Buffer | null;
  verified: number;
  identity_changed: number;
  name_hint: string | null;
  added: number;
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
    nameHint: row.name_hint,
    added: row.added === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type IdentitySaveResult = 'new' | 'unchanged' | 'replaced';

export class ContactsRepo {
  /**
   * Lookups remembered inside a `memoized` scope (one inbox batch or outbox pass reads the same
   * contact several times). Every contact write goes through this class and ends the memo for the
   * rest of the scope, so a cached row can never outlive a write or a rollback of one.
   */
  #memo: Map<string, Contact | undefined> | null = null;
  #memoDepth = 0;

  constructor(private readonly db: WritableDb) {}

  get(accountId: string): Contact | undefined {
    const memo = this.#memo;
    if (memo?.has(accountId)) return memo.get(accountId);
    const row = this.db.get<Row>(sql`SELECT * FROM contacts WHERE account_id = ${accountId}`);
    const contact = row && toContact(row);
    memo?.set(accountId, contact);
    return contact;
  }

  /** Runs `fn` with `get` remembered until the first contact write (scopes may nest). */
  async memoized<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#memoDepth === 0) this.#memo = new Map();
    this.#memoDepth += 1;
    try {
      return await fn();
    } finally {
      this.#memoDepth -= 1;
      if (this.#memoDepth === 0) this.#memo = null;
    }
  }

  /** Called before every write: the memo stays off until its scope ends. */
  #written(): void {
    this.#memo = null;
  }

  /** Usernames are case-insensitive (PRODUCT.md) and unique here (a unique index), so one row at most. */
  byUsername(username: string): Contact | undefined {
    const row = this.db.get<Row>(sql`SELECT * FROM contacts WHERE username = ${username} COLLATE NOCASE`);
    return row && toContact(row);
  }

  /** Every contact; inside a `memoized` scope they are remembered for `get` too (a large room's send reads them all). */
  list(): Contact[] {
    const contacts = this.db
      .all<Row>(sql`SELECT * FROM contacts ORDER BY username COLLATE NOCASE, account_id`)
      .map(toContact);
    const memo = this.#memo;
    if (memo) for (const c of contacts) memo.set(c.accountId, c);
    return contacts;
  }

  /**
   * Creates the contact or, with a username, binds that name to it. Call only with a name the relay
   * answered for this account: the name leaves any other contact that held it (names are unique and
   * can move). Never touches the identity key.
   */
  upsert(accountId: string, username: string | null, now = Date.now()): Contact {
    this.#written();
    this.db.transaction(() => {
      if (username !== null) {
        this.db.run(sql`
          UPDATE contacts SET username = NULL, updated_at = ${now}
          WHERE username = ${username} COLLATE NOCASE AND account_id <> ${accountId}`);
      }
      this.db.run(sql`
        INSERT INTO contacts (account_id, username, created_at, updated_at) VALUES (${accountId}, ${username}, ${now}, ${now})
        ON CONFLICT (account_id) DO UPDATE SET
          username = coalesce(excluded.username, contacts.username), updated_at = excluded.updated_at`);
    });
    return this.get(accountId)!;
  }

  /** Creates the contact row if missing (an account id only); returns it. */
  ensure(accountId: string, now = Date.now()): Contact {
    const known = this.get(accountId);
    if (known) return known;
    return this.upsert(accountId, null, now);
  }

  /** Records a name a peer supplied: shown apart as unconfirmed, never used to resolve a typed name. */
  setNameHint(accountId: string, hint: string | null): void {
    if (this.get(accountId)?.nameHint === hint) return;
    this.#written();
    this.db.run(sql`UPDATE contacts SET name_hint = ${hint} WHERE account_id = ${accountId}`);
  }

  /** The user reached out to this contact: rooms from them are conversations, not requests. */
  markAdded(accountId: string): void {
    if (this.get(accountId)?.added !== false) return;
    this.#written();
    this.db.run(sql`UPDATE contacts SET added = 1 WHERE account_id = ${accountId}`);
  }

  /**
   * Pins the identity key the first time one is seen for this contact. A different key never
   * replaces a pinned one here: 'differs' tells the caller to stop and ask the user.
   */
  pinIdentityKey(
    accountId: string,
    identityKey: Uint8Array,
    now = Date.now(),
  ): 'new' | 'unchanged' | 'differs' {
    const key = Buffer.from(identityKey);
    const known = this.get(accountId);
    if (known?.identityKey) return known.identityKey.equals(key) ? 'unchanged' : 'differs';
    this.#written();
    this.db.run(sql`
      INSERT INTO contacts (account_id, identity_key, created_at, updated_at) VALUES (${accountId}, ${key}, ${now}, ${now})
      ON CONFLICT (account_id) DO UPDATE SET identity_key = excluded.identity_key, updated_at = excluded.updated_at`);
    return 'new';
  }

  /**
   * Records the identity key seen for a contact. A different key than the stored one un-verifies the
   * contact and raises identity_changed, which the UI shows loudly until acknowledged.
   */
  saveIdentityKey(accountId: string, identityKey: Uint8Array, now = Date.now()): IdentitySaveResult {
    const key = Buffer.from(identityKey);
    // The common case, the same key seen again, is a read only: no savepoint, no write. The engine
    // is one connection and synchronous here, so nothing can change the row between this read and
    // the transaction below.
    if (this.get(accountId)?.identityKey?.equals(key)) return 'unchanged';
    this.#written();
    return this.db.transaction(() => {
      const existing = this.get(accountId);
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

  /**
   * The person behind a username now answers with another account and key: the key is recorded as
   * a change whatever was stored before (unverified, flagged until acknowledged).
   */
  recordIdentityChange(accountId: string, identityKey: Uint8Array, now = Date.now()): void {
    this.#written();
    const key = Buffer.from(identityKey);
    this.db.run(sql`
      INSERT INTO contacts (account_id, identity_key, verified, identity_changed, created_at, updated_at)
      VALUES (${accountId}, ${key}, 0, 1, ${now}, ${now})
      ON CONFLICT (account_id) DO UPDATE SET
        identity_key = excluded.identity_key, verified = 0, identity_changed = 1, updated_at = excluded.updated_at`);
  }

  setVerified(accountId: string, verified: boolean): void {
    this.#written();
    // Verifying also acknowledges a change: the user has just compared safety numbers.
    this.db.run(sql`
      UPDATE contacts SET verified = ${verified}, identity_changed = CASE WHEN ${verified} THEN 0 ELSE identity_changed END,
        updated_at = ${Date.now()} WHERE account_id = ${accountId}`);
  }

  acknowledgeIdentityChange(accountId: string): void {
    this.#written();
    this.db.run(
      sql`UPDATE contacts SET identity_changed = 0, updated_at = ${Date.now()} WHERE account_id = ${accountId}`,
    );
  }
}
