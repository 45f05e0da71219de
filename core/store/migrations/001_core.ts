// Migration 1: the local identity, contacts, conversations with members, messages with their
// deadlines, attachments and settings.
import type { Migration } from './types';

export const m001Core: Migration = {
  version: 1,
  name: 'core tables',
  up(db) {
    db.execMigration(`
      CREATE TABLE local_identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        account_id TEXT NOT NULL,
        device_id INTEGER NOT NULL DEFAULT 1,
        username TEXT,
        identity_key_pair BLOB NOT NULL,
        registration_id INTEGER NOT NULL CHECK (registration_id BETWEEN 1 AND 16380),
        relay_url TEXT NOT NULL,
        trust_root BLOB,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE contacts (
        account_id TEXT PRIMARY KEY,
        username TEXT,
        identity_key BLOB,
        verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
        identity_changed INTEGER NOT NULL DEFAULT 0 CHECK (identity_changed IN (0, 1)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX contacts_username ON contacts (username COLLATE NOCASE);

      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('direct', 'room')),
        peer_id TEXT,
        name TEXT,
        expire_after_ms INTEGER,
        burn_after_ms INTEGER,
        last_message_at INTEGER,
        unread_count INTEGER NOT NULL DEFAULT 0,
        expired_unread_count INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        CHECK ((kind = 'direct') = (peer_id IS NOT NULL))
      );
      CREATE UNIQUE INDEX conversations_peer ON conversations (peer_id) WHERE peer_id IS NOT NULL;
      -- No index on last_message_at: the conversation list is small enough to sort, and the index
      -- would be rewritten (one more encrypted page) by every message.

      CREATE TABLE conversation_members (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        account_id TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, account_id)
      ) WITHOUT ROWID;

      -- A rowid table on purpose: the FTS5 index (migration 3) refers to messages by rowid.
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        sender_id TEXT NOT NULL,
        outgoing INTEGER NOT NULL CHECK (outgoing IN (0, 1)),
        kind TEXT NOT NULL,
        body TEXT,
        sent_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        expire_after_ms INTEGER,
        burn_after_ms INTEGER,
        expires_at INTEGER,
        seen_at INTEGER,
        burn_at INTEGER,
        -- The earliest deadline, computed by SQLite so it can never disagree with its inputs.
        destroy_at INTEGER GENERATED ALWAYS AS (
          CASE WHEN expires_at IS NULL THEN burn_at
               WHEN burn_at IS NULL THEN expires_at
               ELSE min(expires_at, burn_at) END
        ) STORED,
        state TEXT NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
        read INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1))
      );
      CREATE INDEX messages_conversation_time ON messages (conversation_id, sent_at, id);
      CREATE INDEX messages_destroy_at ON messages (destroy_at) WHERE destroy_at IS NOT NULL;
      -- No index on unseen messages: conversations.unread_count is kept by the repository, and every
      -- index is one more encrypted page written per received message.

      CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        file_name TEXT,
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        -- File under attachments/, encrypted at rest with local_key; NULL until downloaded.
        local_path TEXT,
        local_key BLOB,
        -- Transport metadata carried inside the message: the relay blob, its key and digest.
        blob_id TEXT,
        remote_key BLOB,
        digest BLOB,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX attachments_message ON attachments (message_id);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
