// Migration 2: libsignal protocol state (sessions, prekeys, signed/Kyber prekeys, sender keys).
// Remote identity keys live in contacts (migration 1), so a key change is one row to flag.
import type { Migration } from './types';

export const m002Signal: Migration = {
  version: 2,
  name: 'libsignal stores',
  up(db) {
    db.execMigration(`
      CREATE TABLE signal_sessions (
        address TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        record BLOB NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX signal_sessions_account ON signal_sessions (account_id);

      CREATE TABLE signal_prekeys (
        id INTEGER PRIMARY KEY,
        record BLOB NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE signal_signed_prekeys (
        id INTEGER PRIMARY KEY,
        record BLOB NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE signal_kyber_prekeys (
        id INTEGER PRIMARY KEY,
        record BLOB NOT NULL,
        last_resort INTEGER NOT NULL DEFAULT 0 CHECK (last_resort IN (0, 1)),
        created_at INTEGER NOT NULL
      );

      -- Base keys already used with a last-resort Kyber prekey: a repeat is a replay.
      CREATE TABLE signal_kyber_base_keys (
        kyber_prekey_id INTEGER NOT NULL,
        signed_prekey_id INTEGER NOT NULL,
        base_key BLOB NOT NULL,
        PRIMARY KEY (kyber_prekey_id, signed_prekey_id, base_key)
      ) WITHOUT ROWID;

      CREATE TABLE signal_sender_keys (
        sender TEXT NOT NULL,
        distribution_id TEXT NOT NULL,
        record BLOB NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (sender, distribution_id)
      ) WITHOUT ROWID;
    `);
  },
};
