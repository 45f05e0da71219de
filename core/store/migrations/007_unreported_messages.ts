// Migration 7: the messages a headless `wisp` process received that no `sync` has reported yet.
// They were a JSON list of up to 5,000 ids in one settings row: rewritten whole with every message
// received (up to ~190 KB, dozens of encrypted pages per commit), and an id stayed in it after its
// message was destroyed. A row per message, deleted with the message (ON DELETE CASCADE, in the
// same transaction as the destruction), fixes both.
import { sql } from '../sql';
import type { Migration } from './types';

const LEGACY_KEY = 'engine.unreported';

export const m007UnreportedMessages: Migration = {
  version: 7,
  name: 'unreported messages',
  up(db) {
    db.execMigration(`
      CREATE TABLE unreported_messages (
        seq INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE
      );
    `);
    const legacy = db.value<string>(sql`SELECT value FROM settings WHERE key = ${LEGACY_KEY}`);
    const ids = legacy === undefined ? [] : (JSON.parse(legacy) as unknown);
    if (Array.isArray(ids)) {
      for (const id of ids) {
        if (typeof id !== 'string') continue;
        db.run(sql`
          INSERT INTO unreported_messages (message_id)
          SELECT id FROM messages WHERE id = ${id}
          ON CONFLICT DO NOTHING`);
      }
    }
    db.run(sql`DELETE FROM settings WHERE key = ${LEGACY_KEY}`);
  },
};
