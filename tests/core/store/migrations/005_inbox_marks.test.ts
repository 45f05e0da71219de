// Migration 5: inbox marks lose their arrival times and get a deadline instead.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, tableNames, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 5: inbox marks without arrival times', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('carries existing marks over with a deadline and no processing time, and drops the old table', () => {
    raw = rawDatabaseAt(4);
    const { db } = raw;
    const arrivedAt = 1_700_000_000_123;
    db.run(sql`INSERT INTO inbox_processed (envelope_id, processed_at) VALUES ('e1', ${arrivedAt})`);
    db.run(sql`INSERT INTO inbox_processed (envelope_id, processed_at) VALUES ('e2', ${arrivedAt + 1})`);
    const before = Date.now();
    expect(raw.migrateTo(5)).toBe(5);
    const after = Date.now();

    const tables = tableNames(db);
    expect(tables).toContain('inbox_marks');
    expect(tables).not.toContain('inbox_processed');
    const columns = db.all<{ name: string }>(sql`SELECT name FROM pragma_table_info('inbox_marks')`);
    expect(columns.map((c) => c.name)).toEqual(['envelope_id', 'keep_until']);

    const marks = db.all<{ envelope_id: string; keep_until: number }>(
      sql`SELECT envelope_id, keep_until FROM inbox_marks ORDER BY envelope_id`,
    );
    expect(marks.map((m) => m.envelope_id)).toEqual(['e1', 'e2']);
    const day = 24 * 60 * 60 * 1000;
    for (const { keep_until } of marks) {
      // The relay keeps an envelope at most 30 days; one more day covers clock skew.
      expect(keep_until).toBeGreaterThanOrEqual(before + 31 * day - 1000);
      expect(keep_until).toBeLessThanOrEqual(after + 31 * day + 1000);
    }
    // An id is still recorded only once.
    const mark = () =>
      db.run(sql`INSERT INTO inbox_marks (envelope_id, keep_until) VALUES ('e1', 0) ON CONFLICT DO NOTHING`)
        .changes;
    expect(mark()).toBe(0);
  });
});
