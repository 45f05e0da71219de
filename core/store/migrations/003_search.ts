// Migration 3: FTS5 full-text search over message bodies, inside the encrypted file. An
// external-content index (no second copy of the text) kept in step by triggers; FTS5's
// secure-delete option makes a delete remove the tokens from the index instead of marking them.
import type { Migration } from './types';

export const m003Search: Migration = {
  version: 3,
  name: 'message search',
  up(db) {
    db.execMigration(`
      CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body,
        content = 'messages',
        content_rowid = 'rowid',
        tokenize = 'unicode61 remove_diacritics 2',
        -- No per-row token counts: they only serve bm25 ranking (results are ordered by time) and
        -- would add an encrypted page write to every received message.
        columnsize = 0
      );
      INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
      INSERT INTO messages_fts (rowid, body) SELECT rowid, body FROM messages WHERE body IS NOT NULL;

      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, new.body);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.body IS NOT NULL BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
      END;
      CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF body ON messages WHEN old.body IS NOT NULL BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
      END;
      CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF body ON messages WHEN new.body IS NOT NULL BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, new.body);
      END;
    `);
  },
};
