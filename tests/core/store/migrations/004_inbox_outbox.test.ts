// Migration 4: inbox (processed envelope ids) and outbox (persisted before send).
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, tableNames, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 4: inbox and outbox', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('creates both tables; an envelope id can be recorded only once', () => {
    raw = rawDatabaseAt(3);
    expect(raw.migrateTo(4)).toBe(4);
    expect(tableNames(raw.db)).toEqual(expect.arrayContaining(['inbox_processed', 'outbox']));
    const mark = () =>
      raw!.db.run(
        sql`INSERT INTO inbox_processed (envelope_id, processed_at) VALUES ('e1', 0) ON CONFLICT DO NOTHING`,
      ).changes;
    expect(mark()).toBe(1);
    expect(mark()).toBe(0);
  });

  it('removes outbox items with the message they carry', () => {
    raw = rawDatabaseAt(4);
    const { db } = raw;
    db.run(sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('c', 'direct', 'p', 0)`);
    db.run(
      sql`INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, sent_at, received_at, state) VALUES ('m', 'c', 'me', 1, 'text', 0, 0, 'sending')`,
    );
    db.run(
      sql`INSERT INTO outbox (message_id, recipient_id, kind, payload, next_attempt_at, created_at) VALUES ('m', 'p', 'message', ${Buffer.from([1])}, 0, 0)`,
    );
    db.run(
      sql`INSERT INTO outbox (message_id, recipient_id, kind, payload, next_attempt_at, created_at) VALUES (NULL, 'p', 'receipt', ${Buffer.from([2])}, 0, 0)`,
    );
    db.run(sql`DELETE FROM messages WHERE id = 'm'`);
    expect(db.all<{ kind: string }>(sql`SELECT kind FROM outbox`).map((r) => r.kind)).toEqual(['receipt']);
  });
});
