// For migration tests: an encrypted database without the Store around it, migrated to a chosen version.
import { join } from 'node:path';
import { openDatabase, type WritableDb } from '../../../core/store/database';
import { migrate } from '../../../core/store/migrate';
import { sql } from '../../../core/store/sql';
import { newDatabaseKey } from '../../../core/vault/keyStore';
import { tempDir } from './tempProfile';

export interface RawDatabase {
  readonly db: WritableDb;
  /** Migrates further, up to `version` (default: all). */
  migrateTo(version?: number): number;
  close(): void;
}

export function rawDatabaseAt(version: number): RawDatabase {
  const { dir, cleanup } = tempDir('wisp-migration-');
  const opened = openDatabase({
    path: join(dir, 'm.db'),
    key: newDatabaseKey(),
    create: true,
    onSlowQuery: () => {},
  });
  migrate(opened.write, version);
  return {
    db: opened.write,
    migrateTo: (target) => migrate(opened.write, target),
    close() {
      opened.connection.close();
      cleanup();
    },
  };
}

export function tableNames(db: WritableDb): string[] {
  return db
    .all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name`)
    .map((r) => r.name);
}
