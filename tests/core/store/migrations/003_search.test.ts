// Migration 3: FTS5 search, with secure-delete on, backfilled from messages stored before it.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, type RawDatabase } from '../../../helpers/store/rawDatabase';

const match = (raw: RawDatabase, term: string) =>
  raw.db.all<{ rowid: number }>(sql`SELECT rowid FROM messages_fts WHERE messages_fts MATCH ${term}`).length;

describe('migration 3: message search', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('indexes messages stored before the migration and keeps the index in step on insert, update and delete', () => {
    raw = rawDatabaseAt(2);
    const { db } = raw;
    db.run(sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('c', 'direct', 'p', 0)`);
    db.run(sql`INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, body, sent_at, received_at, state)
      VALUES ('old', 'c', 'p', 0, 'text', 'penguin before', 0, 0, 'received')`);
    expect(raw.migrateTo(3)).toBe(3);
    expect(match(raw, 'penguin')).toBe(1);
    db.run(sql`INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, body, sent_at, received_at, state)
      VALUES ('new', 'c', 'p', 0, 'text', 'walrus after', 1, 1, 'received')`);
    expect(match(raw, 'walrus')).toBe(1);
    db.run(sql`UPDATE messages SET body = 'narwhal edited' WHERE id = 'new'`);
    expect(match(raw, 'walrus')).toBe(0);
    expect(match(raw, 'narwhal')).toBe(1);
    db.run(sql`DELETE FROM messages WHERE id = 'old'`);
    expect(match(raw, 'penguin')).toBe(0);
    db.run(sql`INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')`);
  });

  it("turns on FTS5's secure-delete so deleted terms leave the index", () => {
    raw = rawDatabaseAt(3);
    expect(raw.db.value(sql`SELECT v FROM messages_fts_config WHERE k = 'secure-delete'`)).toBe(1);
  });
});
