// Migration 1: core tables, and the stored destroy-at deadline the scheduler depends on.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, tableNames, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 1: core tables', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('creates the identity, contact, conversation, message, attachment and settings tables at version 1', () => {
    raw = rawDatabaseAt(0);
    expect(raw.migrateTo(1)).toBe(1);
    expect(tableNames(raw.db)).toEqual(
      expect.arrayContaining([
        'attachments',
        'contacts',
        'conversation_members',
        'conversations',
        'local_identity',
        'messages',
        'settings',
      ]),
    );
  });

  it('stores destroy_at as the earlier of expires_at and burn_at, and finds due messages through its index', () => {
    raw = rawDatabaseAt(1);
    const { db } = raw;
    db.run(sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('c', 'direct', 'p', 0)`);
    const insert = (id: string, expiresAt: number | null, burnAt: number | null) =>
      db.run(sql`INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, sent_at, received_at, expires_at, burn_at, state)
        VALUES (${id}, 'c', 'p', 0, 'text', 0, 0, ${expiresAt}, ${burnAt}, 'received')`);
    insert('both', 500, 300);
    insert('expire', 400, null);
    insert('burn', null, 200);
    insert('none', null, null);
    const destroyAt = (id: string) =>
      db.value<number | null>(sql`SELECT destroy_at FROM messages WHERE id = ${id}`);
    expect(destroyAt('both')).toBe(300);
    expect(destroyAt('expire')).toBe(400);
    expect(destroyAt('burn')).toBe(200);
    expect(destroyAt('none')).toBeNull();
    db.run(sql`UPDATE messages SET burn_at = 100 WHERE id = 'expire'`);
    expect(destroyAt('expire')).toBe(100);
    const plan = db.all<{ detail: string }>(
      sql`EXPLAIN QUERY PLAN SELECT id FROM messages WHERE destroy_at <= ${1000} ORDER BY destroy_at`,
    );
    expect(plan.map((p) => p.detail).join(' ')).toContain('messages_destroy_at');
  });

  it('allows only one local identity row and one direct conversation per peer', () => {
    raw = rawDatabaseAt(1);
    const { db } = raw;
    const identity = (id: number) =>
      db.run(sql`INSERT INTO local_identity (id, account_id, identity_key_pair, registration_id, relay_url, created_at)
        VALUES (${id}, 'a', ${Buffer.from([1])}, 1, 'ws://x', 0)`);
    identity(1);
    expect(() => identity(1)).toThrow(/UNIQUE|PRIMARY/);
    expect(() => identity(2)).toThrow(/CHECK/);
    db.run(sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('c1', 'direct', 'p', 0)`);
    expect(() =>
      db.run(sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('c2', 'direct', 'p', 0)`),
    ).toThrow(/UNIQUE/);
    expect(() =>
      db.run(sql`INSERT INTO conversations (id, kind, created_at) VALUES ('c3', 'direct', 0)`),
    ).toThrow(/CHECK/);
  });
});
