// Migration 6: session and sender-key records move to rowid tables, padded, byte for byte intact.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_BUCKET } from '../../../../core/store/protocolRecords';
import { SignalRepo } from '../../../../core/store/repos/signalRepo';
import { sql } from '../../../../core/store/sql';
import { rawDatabaseAt, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration 6: protocol records rewritten in place', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('carries every session and sender key over unchanged, stored padded with its length', () => {
    raw = rawDatabaseAt(5);
    const { db } = raw;
    const session = randomBytes(6066);
    const small = randomBytes(100);
    const senderKey = randomBytes(1500);
    db.run(sql`INSERT INTO signal_sessions (address, account_id, device_id, record, updated_at)
      VALUES ('a.1', 'a', 1, ${session}, 10), ('b.2', 'b', 2, ${small}, 11)`);
    db.run(sql`INSERT INTO signal_sender_keys (sender, distribution_id, record, updated_at)
      VALUES ('a.1', 'd', ${senderKey}, 12)`);

    expect(raw.migrateTo(6)).toBe(6);

    const repo = new SignalRepo(db);
    expect(repo.getSession('a.1')?.equals(session)).toBe(true);
    expect(repo.getSession('b.2')?.equals(small)).toBe(true);
    expect(repo.sessionDevices('b')).toEqual([2]);
    expect(repo.getSenderKey('a.1', 'd')?.equals(senderKey)).toBe(true);
    expect(repo.listSessions().map((s) => [s.address, s.accountId, s.deviceId, s.record.length])).toEqual([
      ['a.1', 'a', 1, 6066],
      ['b.2', 'b', 2, 100],
    ]);
    const stored = db.all<{ address: string; size: number; updated_at: number }>(
      sql`SELECT address, length(record) AS size, updated_at FROM signal_sessions ORDER BY address`,
    );
    expect(stored).toEqual([
      { address: 'a.1', size: 6 * RECORD_BUCKET, updated_at: 10 },
      { address: 'b.2', size: RECORD_BUCKET, updated_at: 11 },
    ]);
    // Still one row per address.
    expect(() =>
      db.run(sql`INSERT INTO signal_sessions (address, account_id, device_id, record, record_length, updated_at)
        VALUES ('a.1', 'a', 1, x'00', 1, 0)`),
    ).toThrow(/UNIQUE/);
  });
});
