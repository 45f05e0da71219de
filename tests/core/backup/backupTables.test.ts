// Every table of the current schema is either carried by a backup or listed as never carried, so a
// migration that adds a table cannot silently leave it out of backups (or put it in unreviewed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupTables, excludedTables, isInternalTable } from '../../../core/backup';
import { createProfile } from '../../../core/profile';
import { sql } from '../../../core/store/sql';
import { testKeyStore } from '../../helpers/engine/fixtures';

const root = mkdtempSync(join(tmpdir(), 'wisp-backup-tables-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('backup table list', () => {
  it('classifies every table of the current schema, and lists no table that does not exist', async () => {
    const profile = await createProfile(join(root, 'p'), testKeyStore());
    try {
      const tables = profile.store.read
        .all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table'`)
        .map((t) => t.name)
        .filter((name) => !isInternalTable(name));
      const carried = backupTables.map((t) => t.table);
      const classified = new Set([...carried, ...Object.keys(excludedTables)]);
      expect(tables.filter((t) => !classified.has(t))).toEqual([]);
      expect([...classified].filter((t) => !tables.includes(t))).toEqual([]);
      expect(new Set(carried).size).toBe(carried.length);
    } finally {
      profile.close();
    }
  });
});
