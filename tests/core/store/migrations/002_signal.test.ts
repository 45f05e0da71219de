// Migration 2: libsignal protocol tables.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, tableNames, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 2: libsignal stores', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('adds the session, prekey, signed prekey, Kyber prekey, base key and sender key tables without touching version 1 data', () => {
    raw = rawDatabaseAt(1);
    raw.db.run(sql`INSERT INTO settings (key, value) VALUES ('kept', '1')`);
    expect(raw.migrateTo(2)).toBe(2);
    expect(tableNames(raw.db)).toEqual(
      expect.arrayContaining([
        'signal_kyber_base_keys',
        'signal_kyber_prekeys',
        'signal_prekeys',
        'signal_sender_keys',
        'signal_sessions',
        'signal_signed_prekeys',
      ]),
    );
    expect(raw.db.value(sql`SELECT value FROM settings WHERE key = 'kept'`)).toBe('1');
  });

  it('rejects the same last-resort base key twice (the replay check relies on it)', () => {
    raw = rawDatabaseAt(2);
    const add = () =>
      raw!.db.run(
        sql`INSERT INTO signal_kyber_base_keys (kyber_prekey_id, signed_prekey_id, base_key) VALUES (1, 2, ${Buffer.from([9, 9])}) ON CONFLICT DO NOTHING`,
      ).changes;
    expect(add()).toBe(1);
    expect(add()).toBe(0);
  });
});
