// The contact memo used by one inbox batch or one outbox pass: a contact row is read once per
// scope (every row a list read, too), and no remembered row survives a write through the repository or the rollback of one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from '../../../core/store/sql';
import { openTestStore, type TestStore } from '../../helpers/store/tempProfile';

describe('contact lookups remembered within a scope', () => {
  let t: TestStore;
  beforeEach(() => {
    t = openTestStore();
    t.store.contacts.upsert('peer', 'alice');
  });
  afterEach(() => t.cleanup());

  // A write that bypasses the repository shows whether a lookup went to the database.
  const renameBehindTheRepository = (name: string) =>
    t.store.write.run(sql`UPDATE contacts SET username = ${name} WHERE account_id = 'peer'`);

  it('reads a contact once per scope, and from the database again once the scope ends', async () => {
    const { contacts } = t.store;
    await contacts.memoized(async () => {
      expect(contacts.get('peer')?.username).toBe('alice');
      renameBehindTheRepository('changed');
      await Promise.resolve();
      expect(contacts.get('peer')?.username).toBe('alice');
      // Nested scopes share the outer one's memo.
      await contacts.memoized(async () => {
        expect(contacts.get('peer')?.username).toBe('alice');
      });
      expect(contacts.get('peer')?.username).toBe('alice');
    });
    expect(contacts.get('peer')?.username).toBe('changed');
  });

  it('remembers every contact a list read inside a scope, and nothing outside one', async () => {
    const { contacts } = t.store;
    contacts.upsert('second', 'bob');
    const renameSecond = () =>
      t.store.write.run(sql`UPDATE contacts SET username = 'changed' WHERE account_id = 'second'`);
    contacts.list();
    renameSecond();
    expect(contacts.get('second')?.username).toBe('changed');
    await contacts.memoized(async () => {
      expect(contacts.list().map((c) => c.username)).toEqual(['alice', 'changed']);
      renameBehindTheRepository('renamed');
      t.store.write.run(sql`UPDATE contacts SET username = 'again' WHERE account_id = 'second'`);
      // Both answered from the list, never read again.
      expect(contacts.get('peer')?.username).toBe('alice');
      expect(contacts.get('second')?.username).toBe('changed');
      // A write through the repository ends it as for any remembered row.
      contacts.setVerified('peer', true);
      expect(contacts.get('second')?.username).toBe('again');
    });
  });

  it('forgets everything it remembered at the first write through the repository', async () => {
    const { contacts } = t.store;
    await contacts.memoized(async () => {
      expect(contacts.get('other')).toBeUndefined();
      contacts.upsert('other', 'bob');
      expect(contacts.get('other')?.username).toBe('bob');
      contacts.setVerified('peer', true);
      expect(contacts.get('peer')?.verified).toBe(true);
    });
  });

  it('never hands back a row from a write that was rolled back', async () => {
    const { contacts } = t.store;
    await contacts.memoized(async () => {
      expect(contacts.get('peer')?.verified).toBe(false);
      expect(() =>
        t.store.transaction(() => {
          contacts.setVerified('peer', true);
          expect(contacts.get('peer')?.verified).toBe(true);
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      expect(contacts.get('peer')?.verified).toBe(false);
    });
  });
});
