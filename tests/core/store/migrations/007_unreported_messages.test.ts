// Migration 7: the unreported-message list moves from a settings row to a table that cascades with
// its messages.
import { afterEach, describe, expect, it } from 'vitest';
import { UnreportedRepo } from '../../../../core/store/repos/unreportedRepo';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 7: unreported messages', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('carries over the ids whose messages still exist, in order, and drops the settings row', () => {
    raw = rawDatabaseAt(6);
    const { db } = raw;
    db.run(sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('c', 'direct', 'p', 0)`);
    for (const id of ['m1', 'm2']) {
      db.run(sql`INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, sent_at, received_at, state)
        VALUES (${id}, 'c', 'p', 0, 'text', 0, 0, 'received')`);
    }
    const legacy = JSON.stringify(['m2', 'destroyed-meanwhile', 'm1']);
    db.run(sql`INSERT INTO settings (key, value) VALUES ('engine.unreported', ${legacy})`);

    expect(raw.migrateTo(7)).toBe(7);

    const unreported = new UnreportedRepo(db);
    expect(unreported.list()).toEqual(['m2', 'm1']);
    expect(db.value(sql`SELECT count(*) FROM settings WHERE key = 'engine.unreported'`)).toBe(0);
    // A destroyed message takes its row with it.
    db.run(sql`DELETE FROM messages WHERE id = 'm2'`);
    expect(unreported.list()).toEqual(['m1']);
  });
});
