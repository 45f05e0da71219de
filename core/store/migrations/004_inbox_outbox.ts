// Migration 4: the inbox (envelope ids already processed: exactly-once receive) and the outbox
// (what is to be sent, persisted before the first attempt: at-least-once send, deduplicated by the peer's inbox).
import type { Migration } from './types';

export const m004InboxOutbox: Migration = {
  version: 4,
  name: 'inbox and outbox',
  up(db) {
    db.execMigration(`
      CREATE TABLE inbox_processed (
        envelope_id TEXT PRIMARY KEY,
        processed_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX inbox_processed_at ON inbox_processed (processed_at);

      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        -- Items that carry a message go with it when it is destroyed.
        message_id TEXT REFERENCES messages (id) ON DELETE CASCADE,
        recipient_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        expires_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX outbox_due ON outbox (next_attempt_at);
      CREATE INDEX outbox_message ON outbox (message_id) WHERE message_id IS NOT NULL;
    `);
  },
};
