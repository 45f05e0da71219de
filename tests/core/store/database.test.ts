// Opening the encrypted database: the key is proven by a first read, wrong keys and plaintext files
// are typed errors, the pragmas the design relies on are really in force, slow queries are logged
// without their values, and SQL only ever binds values.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { isWispError } from '../../../common/errors';
import { newDatabaseKey } from '../../../core/vault/keyStore';
import { openDatabase, SLOW_QUERY_MS, type SlowQuery } from '../../../core/store/database';
import { sql } from '../../../core/store/sql';
import { openTestStore, tempDir, type TestStore } from '../../helpers/store/tempProfile';

function thrownKind(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isWispError(error) ? error.kind : `untyped: ${String(error)}`;
  }
  return undefined;
}

describe('encrypted database', () => {
  let t: TestStore | undefined;
  afterEach(() => t?.cleanup());

  it('refuses a wrong key with WrongKey instead of crashing, and reopens with the right one', () => {
    t = openTestStore();
    t.store.settings.set('k', 1);
    t.store.close();
    expect(thrownKind(() => t!.reopen({ key: newDatabaseKey() }))).toBe('WrongKey');
    expect(t.reopen().settings.get('k')).toBe(1);
  });

  it('reports a plaintext SQLite file as DatabaseCorrupt, never opening it', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'plain.db');
      const plain = new Database(path);
      plain.exec('CREATE TABLE t (x)');
      plain.close();
      expect(thrownKind(() => openDatabase({ path, key: newDatabaseKey() }))).toBe('DatabaseCorrupt');
      const garbage = join(dir, 'garbage.db');
      writeFileSync(garbage, Buffer.alloc(8192, 7));
      expect(thrownKind(() => openDatabase({ path: garbage, key: newDatabaseKey() }))).toBe('WrongKey');
    } finally {
      cleanup();
    }
  });

  it('refuses to create a database implicitly when the file is missing', () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(thrownKind(() => openDatabase({ path: join(dir, 'none.db'), key: newDatabaseKey() }))).toBe(
        'NotFound',
      );
    } finally {
      cleanup();
    }
  });

  it('runs in SQLCipher-4 mode with WAL, secure_delete, foreign keys, synchronous=FULL and in-memory temp storage', () => {
    t = openTestStore();
    const db = t.store.write;
    expect(db.value(sql`PRAGMA journal_mode`)).toBe('wal');
    expect(db.value(sql`PRAGMA secure_delete`)).toBe(1);
    expect(db.value(sql`PRAGMA foreign_keys`)).toBe(1);
    expect(db.value(sql`PRAGMA synchronous`)).toBe(2); // FULL
    expect(db.value(sql`PRAGMA temp_store`)).toBe(2); // MEMORY
    expect(db.value(sql`PRAGMA cipher`)).toBe('sqlcipher');
    expect(Number(db.value(sql`PRAGMA legacy`))).toBe(4);
  });

  it('enforces foreign keys: a message needs its conversation', () => {
    t = openTestStore();
    expect(() =>
      t!.store.write
        .run(sql`INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, sent_at, received_at, state)
        VALUES ('m', 'nowhere', 's', 0, 'text', 1, 1, 'received')`),
    ).toThrow(/FOREIGN KEY/);
  });

  it('logs a query slower than 40 ms with its SQL text but without its bound values', () => {
    const logged: SlowQuery[] = [];
    t = openTestStore({ onSlowQuery: (q) => logged.push(q) });
    const secret = 'do-not-log-this-value';
    // A recursive count that takes well over 40 ms on any machine, with a bound string value.
    t.store.write.value(sql`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 800000)
      SELECT count(*) FROM n WHERE ${secret} <> ''`);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.ms).toBeGreaterThan(SLOW_QUERY_MS);
    expect(logged[0]!.sql).toContain('WITH RECURSIVE');
    expect(logged[0]!.sql).not.toContain(secret);
    // A fast query is not logged.
    t.store.settings.get('x');
    expect(logged).toHaveLength(1);
  });

  it('binds every interpolated value, so quotes in data can never change the statement', () => {
    t = openTestStore();
    const hostile = `x'); DROP TABLE settings; --`;
    t.store.settings.set(hostile, hostile);
    expect(t.store.settings.get(hostile)).toBe(hostile);
    expect(t.store.write.value(sql`SELECT count(*) FROM sqlite_master WHERE name = 'settings'`)).toBe(1);
  });

  it('re-encrypts every page on rekey: the old key no longer opens the file, the new one does', () => {
    t = openTestStore();
    t.store.settings.set('before', 'rekey');
    const next = newDatabaseKey();
    t.store.rekey(next);
    t.store.settings.set('after', 'rekey');
    t.store.close();
    expect(thrownKind(() => t!.reopen())).toBe('WrongKey');
    const reopened = t.reopen({ key: next });
    expect(reopened.settings.get('before')).toBe('rekey');
    expect(reopened.settings.get('after')).toBe('rekey');
    expect(reopened.write.value(sql`PRAGMA journal_mode`)).toBe('wal');
  });

  it('refuses a database whose schema is newer than this build', () => {
    t = openTestStore();
    t.store.write.execMigration('PRAGMA user_version = 999');
    t.store.close();
    expect(thrownKind(() => t!.reopen())).toBe('DatabaseCorrupt');
  });

  it('wipes attachment files that no row refers to when the store opens', () => {
    t = openTestStore();
    writeFileSync(join(t.attachmentsDir, 'orphan'), 'left by a crash');
    t.reopen();
    expect(readdirSync(t.attachmentsDir)).toEqual([]);
  });
});

describe('sql tagged template', () => {
  it('turns every interpolation into a placeholder and keeps values in order', () => {
    const q = sql`SELECT * FROM t WHERE a = ${'x'} AND b IN (${sql.join([1, 2, 3])}) AND c = ${true}`;
    expect(q.text).toBe('SELECT * FROM t WHERE a = ? AND b IN (?, ?, ?) AND c = ?');
    expect(q.values).toEqual(['x', 1, 2, 3, 1]);
  });

  it('rejects undefined instead of silently binding NULL', () => {
    expect(() => sql`SELECT ${undefined as unknown as string}`).toThrow(/undefined/);
  });
});
