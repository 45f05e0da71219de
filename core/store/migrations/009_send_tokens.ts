// Migration 9 (issue 14): the wallet of anonymous-send tokens (core/tokens/). Each row is one
// finalized Privacy Pass token, a bearer secret good for one recipient of one unauthenticated
// send, kept only in this encrypted store and deleted when taken or when its key expires.
import type { Migration } from './types';

export const m009SendTokens: Migration = {
  version: 9,
  name: 'send tokens',
  up(db) {
    db.execMigration(`
      CREATE TABLE send_tokens (
        id INTEGER PRIMARY KEY,
        token BLOB NOT NULL,
        token_key_id BLOB NOT NULL,
        spend_until INTEGER NOT NULL
      );
      CREATE INDEX send_tokens_by_expiry ON send_tokens (spend_until, id);
    `);
  },
};
