// The session records SignalRepo keeps in memory (issue 13: a full room's send reads 499), on a
// real SQLCipher profile: a record read once is answered from memory; only committed state is ever
// remembered, so a write rolled back (a transaction or a savepoint) leaves the committed record and
// a write committed is what the next read sees; deletes likewise; the memory is bounded and goes
// at close.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from '../../../core/store/sql';
import { SESSION_CACHE_ENTRIES } from '../../../core/store/repos/signalRepo';
import { openTestStore, type TestStore } from '../../helpers/store/tempProfile';

const ACCOUNT = '0b8e3c9e-4f7e-4c53-9c8e-6a3a8b1f2d11';
const ADDRESS = `${ACCOUNT}.1`;
const rec = (text: string) => new Uint8Array(Buffer.from(text));
const text = (b: Buffer | undefined) => b?.toString();

describe('session records remembered in memory', () => {
  let t: TestStore;
  beforeEach(() => {
    t = openTestStore();
    t.store.signal.saveSession(ADDRESS, ACCOUNT, 1, rec('committed'));
  });
  afterEach(() => t.cleanup());

  // A write that bypasses the repository shows whether a read went to the database.
  const changeOnDisk = (address: string, value: string) => {
    const padded = Buffer.alloc(1024);
    padded.write(value);
    t.store.write.run(
      sql`UPDATE signal_sessions SET record = ${padded}, record_length = ${value.length} WHERE address = ${address}`,
    );
  };

  it('answers a record read before from memory', () => {
    const { signal } = t.store;
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
    changeOnDisk(ADDRESS, 'on disk');
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
  });

  it('keeps the committed record when a write in a transaction is rolled back', () => {
    const { signal } = t.store;
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
    expect(() =>
      t.store.transaction(() => {
        signal.saveSession(ADDRESS, ACCOUNT, 1, rec('uncommitted'));
        // Our own write is what we read inside the transaction...
        expect(text(signal.getSession(ADDRESS))).toBe('uncommitted');
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    // ...and it was never remembered: the read after the rollback is the disk's.
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
    changeOnDisk(ADDRESS, 'on disk');
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
  });

  it('keeps the committed record when a savepoint inside a committed transaction is rolled back', () => {
    const { signal } = t.store;
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
    t.store.transaction(() => {
      expect(() =>
        t.store.transaction(() => {
          signal.saveSession(ADDRESS, ACCOUNT, 1, rec('uncommitted'));
          throw new Error('savepoint rolled back');
        }),
      ).toThrow('savepoint rolled back');
      expect(text(signal.getSession(ADDRESS))).toBe('committed');
    });
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
  });

  it('reads a record written in a committed transaction, including one held open by BEGIN…COMMIT', () => {
    const { signal } = t.store;
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
    t.store.transaction(() => signal.saveSession(ADDRESS, ACCOUNT, 1, rec('second')));
    expect(text(signal.getSession(ADDRESS))).toBe('second');
    t.store.write.run(sql`BEGIN IMMEDIATE`);
    signal.saveSession(ADDRESS, ACCOUNT, 1, rec('third'));
    expect(text(signal.getSession(ADDRESS))).toBe('third');
    t.store.write.run(sql`ROLLBACK`);
    expect(text(signal.getSession(ADDRESS))).toBe('second');
    t.store.write.run(sql`BEGIN IMMEDIATE`);
    signal.saveSession(ADDRESS, ACCOUNT, 1, rec('fourth'));
    t.store.write.run(sql`COMMIT`);
    expect(text(signal.getSession(ADDRESS))).toBe('fourth');
  });

  it('forgets an account’s records when they are deleted, and keeps them when the delete is rolled back', () => {
    const { signal } = t.store;
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
    expect(() =>
      t.store.transaction(() => {
        signal.deleteSessions(ACCOUNT);
        expect(signal.getSession(ADDRESS)).toBeUndefined();
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(text(signal.getSession(ADDRESS))).toBe('committed');
    signal.deleteSessions(ACCOUNT);
    expect(signal.getSession(ADDRESS)).toBeUndefined();
  });

  it('remembers a bounded number of records, the least recently read going first', () => {
    const { signal } = t.store;
    const addresses = Array.from({ length: SESSION_CACHE_ENTRIES + 1 }, (_, i) => `acct${i}.1`);
    t.store.transaction(() => {
      for (const a of addresses) signal.saveSession(a, a.slice(0, -2), 1, rec(`r ${a}`));
    });
    for (const a of addresses) signal.getSession(a);
    expect(signal.cachedSessions).toBe(SESSION_CACHE_ENTRIES);
    // The first read went out with the last: read again from the disk.
    changeOnDisk(addresses[0]!, 'on disk');
    expect(text(signal.getSession(addresses[0]!))).toBe('on disk');
    expect(text(signal.getSession(addresses[SESSION_CACHE_ENTRIES]!))).toBe(
      `r ${addresses[SESSION_CACHE_ENTRIES]}`,
    );
  });

  it('forgets everything at close', () => {
    const { signal } = t.store;
    signal.getSession(ADDRESS);
    expect(signal.cachedSessions).toBeGreaterThan(0);
    t.store.close();
    expect(signal.cachedSessions).toBe(0);
  });
});
