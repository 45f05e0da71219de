// Migration 9 (issue 14): the anonymous-send token wallet's table, ordered by expiry.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, tableNames, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 9: send tokens', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('adds send_tokens and keeps the rows it is given, soonest expiry first', () => {
    raw = rawDatabaseAt(8);
    expect(tableNames(raw.db)).not.toContain('send_tokens');
    expect(raw.migrateTo(9)).toBe(9);
    expect(tableNames(raw.db)).toContain('send_tokens');
    const keyId = new Uint8Array(32).fill(1);
    for (const [token, until] of [
      [new Uint8Array([1]), 20],
      [new Uint8Array([2]), 10],
    ] as const)
      raw.db.run(
        sql`INSERT INTO send_tokens (token, token_key_id, spend_until) VALUES (${token}, ${keyId}, ${until})`,
      );
    const rows = raw.db.all<{ token: Buffer }>(sql`SELECT token FROM send_tokens ORDER BY spend_until, id`);
    expect(rows.map((r) => r.token[0])).toEqual([2, 1]);
    expect(() =>
      raw!.db.run(sql`INSERT INTO send_tokens (token, token_key_id) VALUES (${keyId}, ${keyId})`),
    ).toThrow();
  });
});
