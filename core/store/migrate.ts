// Applies the numbered migrations in order, each in its own transaction, tracked by PRAGMA user_version.
import { WispError } from '../../common/errors';
import { sql } from './sql';
import type { WritableDb } from './database';
import { migrations as allMigrations, type Migration } from './migrations/index';

export function schemaVersion(db: WritableDb): number {
  return db.value<number>(sql`PRAGMA user_version`) ?? 0;
}

/** Migrates up to `target` (default: all). Refuses a database written by a newer Wisp. */
export function migrate(
  db: WritableDb,
  target?: number,
  migrations: readonly Migration[] = allMigrations,
): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new WispError('Internal', `migration ${m.name} is out of order`);
  });
  const latest = target ?? migrations.length;
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new WispError('DatabaseCorrupt', `the profile was written by a newer Wisp (schema ${current})`, {
      recovery: 'Update Wisp to open this profile.',
    });
  }
  for (const migration of migrations.slice(current, latest)) {
    db.transaction(() => {
      migration.up(db);
      // user_version cannot be bound as a parameter; the value is our own integer.
      db.execMigration(`PRAGMA user_version = ${Number(migration.version)}`);
    });
  }
  return schemaVersion(db);
}
