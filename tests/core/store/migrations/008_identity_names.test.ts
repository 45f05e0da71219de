// Migration 8 (issue 9): usernames become unique in the store, a peer's name is kept apart as a
// hint, contacts the user reached out to are marked added, and rooms can wait as requests.
import { afterEach, describe, expect, it } from 'vitest';
import { ContactsRepo } from '../../../../core/store/repos/contactsRepo';
import { ConversationsRepo } from '../../../../core/store/repos/conversationsRepo';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 8: identity and names', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('keeps a duplicated username on one row only, makes names unique, and marks chosen contacts added', () => {
    raw = rawDatabaseAt(7);
    const { db } = raw;
    const contact = (id: string, username: string | null, updatedAt: number, verified = 0): void => {
      db.run(sql`INSERT INTO contacts (account_id, username, verified, created_at, updated_at)
        VALUES (${id}, ${username}, ${verified}, 0, ${updatedAt})`);
    };
    contact('old-alice', 'alice', 1);
    contact('new-alice', 'ALICE', 2);
    contact('verified', 'vera', 1, 1);
    contact('written-to', 'wendy', 1);
    contact('stranger', 'sam', 1);
    db.run(
      sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('written-to', 'direct', 'written-to', 0)`,
    );
    db.run(sql`INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, sent_at, received_at, state)
      VALUES ('m1', 'written-to', 'me', 1, 'text', 0, 0, 'sent')`);

    expect(raw.migrateTo(8)).toBe(8);

    const contacts = new ContactsRepo(db);
    expect(contacts.get('new-alice')?.username).toBe('ALICE');
    expect(contacts.get('old-alice')?.username).toBeNull();
    expect(contacts.byUsername('alice')?.accountId).toBe('new-alice');
    expect(() => contact('third-alice', 'Alice', 3)).toThrow();
    expect(
      contacts
        .list()
        .filter((c) => c.added)
        .map((c) => c.accountId)
        .sort(),
    ).toEqual(['verified', 'written-to']);
    expect(contacts.get('stranger')).toMatchObject({ added: false, nameHint: null });
    expect(new ConversationsRepo(db).get('written-to')?.requestFrom).toBeNull();
  });
});

describe('contacts and rooms after migration 8', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('moves a username the relay confirmed for another account, and never replaces a pinned key', () => {
    raw = rawDatabaseAt(8);
    const contacts = new ContactsRepo(raw.db);
    contacts.upsert('a', 'alice', 1);
    contacts.upsert('m', 'alice', 2);
    expect(contacts.get('a')?.username).toBeNull();
    expect(contacts.byUsername('alice')?.accountId).toBe('m');
    expect(contacts.pinIdentityKey('a', Buffer.from([1]))).toBe('new');
    expect(contacts.pinIdentityKey('a', Buffer.from([1]))).toBe('unchanged');
    expect(contacts.pinIdentityKey('a', Buffer.from([2]))).toBe('differs');
    expect(contacts.get('a')?.identityKey).toEqual(Buffer.from([1]));
    contacts.setNameHint('a', 'alice');
    expect(contacts.get('a')).toMatchObject({ username: null, nameHint: 'alice' });
    expect(contacts.byUsername('alice')?.accountId).toBe('m');
  });

  it('keeps a room request out of the conversation list until it is accepted', () => {
    raw = rawDatabaseAt(8);
    const conversations = new ConversationsRepo(raw.db);
    conversations.createRoom({ id: 'r', name: 'party', members: ['me', 'm'], requestFrom: 'm' });
    expect(conversations.list()).toEqual([]);
    expect(conversations.requests().map((c) => c.id)).toEqual(['r']);
    conversations.acceptRequest('r');
    expect(conversations.list().map((c) => [c.id, c.requestFrom])).toEqual([['r', null]]);
    expect(conversations.requests()).toEqual([]);
  });
});
