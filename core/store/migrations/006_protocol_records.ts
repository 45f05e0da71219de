// Migration 6: session and sender-key records rewritten in place. Both tables become rowid tables
// (a WITHOUT ROWID row keeps at most about a quarter of a page inline, so a 6 KiB session record
// spilled over two overflow pages) and store each record padded to a bucket with its true length
// beside it, so an update keeps the row's size and SQLite overwrites it where it is
// (core/store/protocolRecords.ts). Every existing record is carried over byte for byte.
import { padRecord } from '../protocolRecords';
import { sql } from '../sql';
import type { Migration } from './types';

export const m006ProtocolRecords: Migration = {
  version: 6,
  name: 'protocol records rewritten in place',
  up(db) {
    const sessions = db.all<{
      address: string;
      account_id: string;
      device_id: number;
      record: Buffer;
      updated_at: number;
    }>(sql`SELECT address, account_id, device_id, record, updated_at FROM signal_sessions`);
    const senderKeys = db.all<{
      sender: string;
      distribution_id: string;
      record: Buffer;
      updated_at: number;
    }>(sql`SELECT sender, distribution_id, record, updated_at FROM signal_sender_keys`);
    db.execMigration(`
      DROP TABLE signal_sessions;
      CREATE TABLE signal_sessions (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        -- Zero-padded to a bucket; the record is its first record_length bytes.
        record BLOB NOT NULL,
        record_length INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX signal_sessions_account ON signal_sessions (account_id);

      DROP TABLE signal_sender_keys;
      CREATE TABLE signal_sender_keys (
        id INTEGER PRIMARY KEY,
        sender TEXT NOT NULL,
        distribution_id TEXT NOT NULL,
        record BLOB NOT NULL,
        record_length INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (sender, distribution_id)
      );
    `);
    for (const s of sessions) {
      db.run(sql`
        INSERT INTO signal_sessions (address, account_id, device_id, record, record_length, updated_at)
        VALUES (${s.address}, ${s.account_id}, ${s.device_id}, ${padRecord(s.record)}, ${s.record.length}, ${s.updated_at})`);
    }
    for (const k of senderKeys) {
      db.run(sql`
        INSERT INTO signal_sender_keys (sender, distribution_id, record, record_length, updated_at)
        VALUES (${k.sender}, ${k.distribution_id}, ${padRecord(k.record)}, ${k.record.length}, ${k.updated_at})`);
    }
  },
};
