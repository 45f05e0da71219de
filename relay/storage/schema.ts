// Numbered schema migrations, written once in portable SQL with a per-backend type map, so the
// SQLite and PostgreSQL schemas cannot drift apart. Column lists here are what PROTOCOL.md and the
// transparency endpoint describe.
import type { LegacyServerKeys } from './types';

export interface SqlDialect {
  blob: string;
  bigint: string;
  serial: string;
}

export const SQLITE: SqlDialect = {
  blob: 'BLOB',
  bigint: 'INTEGER',
  serial: 'INTEGER PRIMARY KEY AUTOINCREMENT',
};
export const POSTGRES: SqlDialect = { blob: 'BYTEA', bigint: 'BIGINT', serial: 'BIGSERIAL PRIMARY KEY' };

/** Migration n (1-based) is MIGRATIONS[n-1]; each is a list of statements. Never edit a shipped one. */
export const MIGRATIONS: ((d: SqlDialect) => string[])[] = [
  (d) => [
    `CREATE TABLE server_keys (name TEXT PRIMARY KEY, value ${d.blob} NOT NULL)`,
    `CREATE TABLE accounts (
       id_hash ${d.blob} PRIMARY KEY,
       identity_key ${d.blob} NOT NULL,
       registration_id INTEGER NOT NULL,
       created_on TEXT NOT NULL,
       messages_sent ${d.bigint} NOT NULL DEFAULT 0,
       messages_received ${d.bigint} NOT NULL DEFAULT 0
     )`,
    `CREATE TABLE usernames (
       username TEXT PRIMARY KEY,
       id_hash ${d.blob} NOT NULL UNIQUE,
       account_id TEXT NOT NULL
     )`,
    // kind: 'signed' (EC signed prekey), 'lastResort' (Kyber), 'ec' / 'kyber' (one-time).
    `CREATE TABLE prekeys (
       id_hash ${d.blob} NOT NULL,
       kind TEXT NOT NULL,
       key_id INTEGER NOT NULL,
       public_key ${d.blob} NOT NULL,
       signature ${d.blob} NOT NULL,
       PRIMARY KEY (id_hash, kind, key_id)
     )`,
    `CREATE TABLE envelopes (
       seq ${d.serial},
       id TEXT NOT NULL UNIQUE,
       recipient_hash ${d.blob} NOT NULL,
       payload ${d.blob} NOT NULL,
       size INTEGER NOT NULL,
       expires_at ${d.bigint} NOT NULL
     )`,
    `CREATE INDEX envelopes_by_recipient ON envelopes (recipient_hash, seq)`,
    `CREATE INDEX envelopes_by_expiry ON envelopes (expires_at)`,
    `CREATE TABLE attachments (
       id TEXT PRIMARY KEY,
       token_hash ${d.blob} NOT NULL,
       declared_size ${d.bigint} NOT NULL,
       size ${d.bigint} NOT NULL DEFAULT 0,
       state TEXT NOT NULL,
       expires_at ${d.bigint} NOT NULL
     )`,
    `CREATE INDEX attachments_by_expiry ON attachments (expires_at)`,
    `CREATE TABLE attachment_chunks (
       attachment_id TEXT NOT NULL,
       idx INTEGER NOT NULL,
       data ${d.blob} NOT NULL,
       PRIMARY KEY (attachment_id, idx)
     )`,
  ],
  // Issue 9. Attachments get their owner (for the per-account storage quota) and chunks a foreign
  // key that deletes them with their attachment; chunks that had already lost theirs are not
  // copied over. server_keys goes: no key is kept in the database any more. The runner reads the
  // legacy keys out of it first (LegacyServerKeys) and hands them to the relay, which keeps the
  // server key in a file and drops the trust root's private key.
  (d) => [
    `ALTER TABLE attachments ADD COLUMN owner_hash ${d.blob}`,
    `CREATE INDEX attachments_by_owner ON attachments (owner_hash, expires_at)`,
    `CREATE TABLE attachment_chunks_v2 (
       attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
       idx INTEGER NOT NULL,
       data ${d.blob} NOT NULL,
       PRIMARY KEY (attachment_id, idx)
     )`,
    `INSERT INTO attachment_chunks_v2 (attachment_id, idx, data)
       SELECT c.attachment_id, c.idx, c.data FROM attachment_chunks c
        WHERE EXISTS (SELECT 1 FROM attachments a WHERE a.id = c.attachment_id)`,
    `DROP TABLE attachment_chunks`,
    `ALTER TABLE attachment_chunks_v2 RENAME TO attachment_chunks`,
    `DROP TABLE server_keys`,
  ],
  // Issue 14. Nothing counts what an account sent. Account ids become keyed hashes (HMAC under a
  // key kept with the server key, identity.ts AccountHasher): account_hash_key holds a check value
  // so a relay given another key refuses to start, and legacy_account_hashes lists the accounts
  // still under the old unkeyed SHA-256. The runner rehashes at once those whose id it knows (the
  // ones with a username); the others move the first time a request names their id (auth, a send
  // to them, a bundle fetch), and the list only ever shrinks.
  (d) => [
    `ALTER TABLE accounts DROP COLUMN messages_sent`,
    `CREATE TABLE account_hash_key (check_value ${d.blob} NOT NULL)`,
    `CREATE TABLE legacy_account_hashes (id_hash ${d.blob} PRIMARY KEY)`,
    `INSERT INTO legacy_account_hashes (id_hash) SELECT id_hash FROM accounts`,
  ],
  // Issue 14, tokens: anonymous-send tokens already spent, by the SHA-256 of the signed token
  // input (type, nonce, challenge digest, key id), until their key stops being accepted. Nothing
  // else: no account, no time of spending. And the token issuer keys every node signs with,
  // sealed under a secret kept in a file outside the database (relay/tokenKeys.ts).
  (d) => [
    `CREATE TABLE spent_tokens (token_hash ${d.blob} PRIMARY KEY, expires_at ${d.bigint} NOT NULL)`,
    `CREATE INDEX spent_tokens_by_expiry ON spent_tokens (expires_at)`,
    `CREATE TABLE token_keys (
       issue_from ${d.bigint} PRIMARY KEY,
       issue_until ${d.bigint} NOT NULL,
       spend_until ${d.bigint} NOT NULL,
       sealed_key ${d.blob} NOT NULL
     )`,
  ],
  // Issue 14 (sealed sends), migration 5, after relay-privacy's 3 and tokens' 4: the hash
  // of each account's delivery key (relay/sealed.ts). Its own table, so that reshaping `accounts`
  // cannot touch it; an account without a row takes no sends without identity.
  (d) => [
    `CREATE TABLE delivery_keys (
       id_hash ${d.blob} PRIMARY KEY,
       key_hash ${d.blob} NOT NULL
     )`,
  ],
  // Issue 13 (rooms of 500), migration 6: a multi-recipient send stores the part every recipient
  // gets once, not once per recipient. An envelope of such a send holds its recipient's header in
  // `payload` and points at the shared part (`shared_id`, random); `size` stays the whole size, so
  // queue caps count what the recipient receives. `refs` counts the envelopes still pointing at it;
  // the last ack (or an account deletion) deletes it, and it expires with them (same deadline).
  (d) => [
    `CREATE TABLE shared_payloads (
       id ${d.blob} PRIMARY KEY,
       payload ${d.blob} NOT NULL,
       refs INTEGER NOT NULL,
       expires_at ${d.bigint} NOT NULL
     )`,
    `CREATE INDEX shared_payloads_by_expiry ON shared_payloads (expires_at)`,
    `ALTER TABLE envelopes ADD COLUMN shared_id ${d.blob}`,
  ],
];

/** Schema version whose migration rekeys accounts; the runner rehashes the named ones right after it. */
export const KEYED_HASHES_VERSION = 3;

/**
 * Moves one account's rows from its legacy (unkeyed) hash to its keyed one; each statement takes
 * (keyed, legacy). Every column that holds an account hash is here: a table added later with such
 * a column must be added too. Run only after FORGET_LEGACY_HASH deleted one row.
 */
export const REHASH_ACCOUNT = [
  'UPDATE accounts SET id_hash = ? WHERE id_hash = ?',
  'UPDATE usernames SET id_hash = ? WHERE id_hash = ?',
  'UPDATE prekeys SET id_hash = ? WHERE id_hash = ?',
  'UPDATE envelopes SET recipient_hash = ? WHERE recipient_hash = ?',
  'UPDATE attachments SET owner_hash = ? WHERE owner_hash = ?',
];
// delivery_keys (migration 5) is not in REHASH_ACCOUNT: it is written only by deliveryKey.set on an
// authenticated connection, and authenticating has already moved a legacy account to its keyed
// hash, so no row of it is ever under a legacy hash (and the rehash after migration 3 runs before
// the table exists).
/** Takes (legacy); one row deleted means the account was still under its legacy hash. */
export const FORGET_LEGACY_HASH = 'DELETE FROM legacy_account_hashes WHERE id_hash = ?';
/** Accounts migration 3 can rehash at once: the ones whose id a username row holds. */
export const NAMED_LEGACY_ACCOUNTS = `SELECT u.account_id FROM usernames u
  JOIN legacy_account_hashes l ON l.id_hash = u.id_hash`;

/** Schema version whose migration drops server_keys; the runner reads the legacy keys just before. */
export const DROP_SERVER_KEYS_VERSION = 2;

/** The three legacy key rows, or null when the database has no complete set. */
export function legacyKeys(rows: Map<string, Buffer>): LegacyServerKeys | null {
  const trustRootPrivate = rows.get('trust_root_private');
  const serverPrivate = rows.get('server_private');
  const serverCertificate = rows.get('server_certificate');
  return trustRootPrivate && serverPrivate && serverCertificate
    ? { trustRootPrivate, serverPrivate, serverCertificate }
    : null;
}
