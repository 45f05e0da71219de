// Numbered schema migrations, written once in portable SQL with a per-backend type map, so the
// SQLite and PostgreSQL schemas cannot drift apart. Column lists here are what PROTOCOL.md and the
// transparency endpoint describe.

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
];
