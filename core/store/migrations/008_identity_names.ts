// Migration 8: who a name and a room belong to (issue 9). Usernames become unique in the store (a
// name held by two contacts let the newest row win a typed name); a name a peer supplied is kept
// apart as an unconfirmed hint; contacts the user reached out to are marked `added`; a room from
// someone who is not such a contact waits as a request (request_from) until the user accepts it.
import type { Migration } from './types';

export const m008IdentityNames: Migration = {
  version: 8,
  name: 'identity and names',
  up(db) {
    db.execMigration(`
      ALTER TABLE contacts ADD COLUMN name_hint TEXT;
      ALTER TABLE contacts ADD COLUMN added INTEGER NOT NULL DEFAULT 0 CHECK (added IN (0, 1));
      -- A duplicated name stays only on the row the old lookup answered with (newest first); the
      -- others lose it (the next relay lookup binds it again).
      UPDATE contacts SET username = NULL
      WHERE username IS NOT NULL AND EXISTS (
        SELECT 1 FROM contacts AS other
        WHERE other.username = contacts.username COLLATE NOCASE AND other.account_id <> contacts.account_id
          AND (other.updated_at > contacts.updated_at
               OR (other.updated_at = contacts.updated_at AND other.account_id > contacts.account_id)));
      DROP INDEX contacts_username;
      CREATE UNIQUE INDEX contacts_username ON contacts (username COLLATE NOCASE) WHERE username IS NOT NULL;
      -- Contacts the user verified or wrote to directly are contacts they chose.
      UPDATE contacts SET added = 1
      WHERE verified = 1 OR EXISTS (
        SELECT 1 FROM messages WHERE messages.conversation_id = contacts.account_id AND messages.outgoing = 1);

      ALTER TABLE conversations ADD COLUMN request_from TEXT;
    `);
  },
};
