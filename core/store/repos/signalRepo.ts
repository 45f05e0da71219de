// Raw libsignal records on the database (serialized bytes). core/signal wraps these in the
// libsignal store classes; nothing here imports libsignal. Session and sender-key records, rewritten
// on every message, are stored padded so they are overwritten in place (protocolRecords.ts).
import { padRecord, unpadRecord } from '../protocolRecords';
import { sql } from '../sql';
import type { WritableDb } from '../database';

/**
 * Session records remembered in memory at most: a full room's send reads 499 of them (issue 13),
 * each up to ~6 KiB with the post-quantum ratchet, so ~6 MiB at most. The least recently read goes first.
 */
export const SESSION_CACHE_ENTRIES = 1024;

/** "accountId." — the part of a session address ("accountId.deviceId") that names its account. */
const accountOf = (address: string): string => address.slice(0, address.lastIndexOf('.') + 1);

export class SignalRepo {
  /**
   * Session records as committed on disk, by address (a write-through cache: libsignal's stores are
   * read on every send, and a multi-recipient one reads every member's). Only committed state gets
   * in: a write inside a transaction drops the address and marks it written, and until that
   * transaction is over its reads go to the database and are not remembered, so a rollback leaves
   * nothing behind. Every write to signal_sessions goes through this class. Cleared at close.
   */
  readonly #sessions = new Map<string, Buffer>();
  /** Addresses and "accountId." prefixes written in the transaction open now (or the last one). */
  readonly #written = new Set<string>();

  constructor(private readonly db: WritableDb) {}

  /** Once no transaction is open, what the last one wrote is on disk (or was rolled back) as read. */
  #settle(): boolean {
    const open = this.db.inTransaction;
    if (!open && this.#written.size > 0) this.#written.clear();
    return open;
  }

  #remember(address: string, record: Buffer): void {
    this.#sessions.delete(address);
    this.#sessions.set(address, record);
    if (this.#sessions.size > SESSION_CACHE_ENTRIES) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
  }

  getSession(address: string): Buffer | undefined {
    this.#settle();
    const writtenNow = this.#written.has(address) || this.#written.has(accountOf(address));
    if (!writtenNow) {
      const cached = this.#sessions.get(address);
      if (cached !== undefined) {
        this.#remember(address, cached);
        return cached;
      }
    }
    const row = this.db.get<{ record: Buffer; record_length: number }>(
      sql`SELECT record, record_length FROM signal_sessions WHERE address = ${address}`,
    );
    // Its own ArrayBuffer, exactly the record: handed to libsignal without another copy.
    const record = row && Buffer.from(new Uint8Array(unpadRecord(row.record, row.record_length)).buffer);
    if (record && !writtenNow) this.#remember(address, record);
    return record;
  }

  saveSession(
    address: string,
    accountId: string,
    deviceId: number,
    record: Uint8Array,
    now = Date.now(),
  ): void {
    this.#sessions.delete(address);
    const inTransaction = this.#settle();
    if (inTransaction) this.#written.add(address);
    this.db.run(sql`
      INSERT INTO signal_sessions (address, account_id, device_id, record, record_length, updated_at)
      VALUES (${address}, ${accountId}, ${deviceId}, ${padRecord(record)}, ${record.byteLength}, ${now})
      ON CONFLICT (address) DO UPDATE SET
        record = excluded.record, record_length = excluded.record_length, updated_at = excluded.updated_at`);
    // Outside a transaction the statement committed on its own: what we wrote is what is on disk.
    if (!inTransaction) this.#remember(address, Buffer.from(new Uint8Array(record).buffer));
  }

  /** Forgets every session with an account (e.g. before re-establishing a broken one). */
  deleteSessions(accountId: string): number {
    const prefix = `${accountId}.`;
    for (const address of [...this.#sessions.keys()])
      if (address.startsWith(prefix)) this.#sessions.delete(address);
    if (this.#settle()) this.#written.add(prefix);
    return this.db.run(sql`DELETE FROM signal_sessions WHERE account_id = ${accountId}`).changes;
  }

  /** How many session records are remembered (tests). */
  get cachedSessions(): number {
    return this.#sessions.size;
  }

  /** Forgets every remembered record (the store is closing). */
  clearCache(): void {
    this.#sessions.clear();
    this.#written.clear();
  }

  sessionDevices(accountId: string): number[] {
    return this.db
      .all<{ device_id: number }>(
        sql`SELECT device_id FROM signal_sessions WHERE account_id = ${accountId} ORDER BY device_id`,
      )
      .map((r) => r.device_id);
  }

  getPreKey(id: number): Buffer | undefined {
    return this.db.value<Buffer>(sql`SELECT record FROM signal_prekeys WHERE id = ${id}`);
  }

  savePreKey(id: number, record: Uint8Array, now = Date.now()): void {
    this.db.run(
      sql`INSERT OR REPLACE INTO signal_prekeys (id, record, created_at) VALUES (${id}, ${record}, ${now})`,
    );
  }

  removePreKey(id: number): void {
    this.db.run(sql`DELETE FROM signal_prekeys WHERE id = ${id}`);
  }

  preKeyCount(): number {
    return this.db.value<number>(sql`SELECT count(*) FROM signal_prekeys`) ?? 0;
  }

  maxPreKeyId(): number {
    return this.db.value<number | null>(sql`SELECT max(id) FROM signal_prekeys`) ?? 0;
  }

  getSignedPreKey(id: number): Buffer | undefined {
    return this.db.value<Buffer>(sql`SELECT record FROM signal_signed_prekeys WHERE id = ${id}`);
  }

  saveSignedPreKey(id: number, record: Uint8Array, now = Date.now()): void {
    this.db.run(
      sql`INSERT OR REPLACE INTO signal_signed_prekeys (id, record, created_at) VALUES (${id}, ${record}, ${now})`,
    );
  }

  latestSignedPreKeyId(): number | undefined {
    return this.db.value<number>(
      sql`SELECT id FROM signal_signed_prekeys ORDER BY created_at DESC, id DESC LIMIT 1`,
    );
  }

  getKyberPreKey(id: number): { record: Buffer; lastResort: boolean } | undefined {
    const row = this.db.get<{ record: Buffer; last_resort: number }>(
      sql`SELECT record, last_resort FROM signal_kyber_prekeys WHERE id = ${id}`,
    );
    return row && { record: row.record, lastResort: row.last_resort === 1 };
  }

  saveKyberPreKey(id: number, record: Uint8Array, lastResort: boolean, now = Date.now()): void {
    this.db.run(sql`
      INSERT OR REPLACE INTO signal_kyber_prekeys (id, record, last_resort, created_at)
      VALUES (${id}, ${record}, ${lastResort}, ${now})`);
  }

  removeKyberPreKey(id: number): void {
    this.db.run(sql`DELETE FROM signal_kyber_prekeys WHERE id = ${id}`);
  }

  /** Records a base key used with a last-resort Kyber prekey; false if it was seen before (a replay). */
  recordKyberBaseKey(kyberPreKeyId: number, signedPreKeyId: number, baseKey: Uint8Array): boolean {
    return (
      this.db.run(sql`
      INSERT INTO signal_kyber_base_keys (kyber_prekey_id, signed_prekey_id, base_key)
      VALUES (${kyberPreKeyId}, ${signedPreKeyId}, ${baseKey}) ON CONFLICT DO NOTHING`).changes === 1
    );
  }

  getSenderKey(sender: string, distributionId: string): Buffer | undefined {
    const row = this.db.get<{ record: Buffer; record_length: number }>(
      sql`SELECT record, record_length FROM signal_sender_keys WHERE sender = ${sender} AND distribution_id = ${distributionId}`,
    );
    return row && unpadRecord(row.record, row.record_length);
  }

  saveSenderKey(sender: string, distributionId: string, record: Uint8Array, now = Date.now()): void {
    this.db.run(sql`
      INSERT INTO signal_sender_keys (sender, distribution_id, record, record_length, updated_at)
      VALUES (${sender}, ${distributionId}, ${padRecord(record)}, ${record.byteLength}, ${now})
      ON CONFLICT (sender, distribution_id) DO UPDATE SET
        record = excluded.record, record_length = excluded.record_length, updated_at = excluded.updated_at`);
  }

  deleteSenderKeys(distributionId: string): void {
    this.db.run(sql`DELETE FROM signal_sender_keys WHERE distribution_id = ${distributionId}`);
  }

  // Whole-table listings, for encrypted backup export and for diagnostics.

  listSessions(): { address: string; accountId: string; deviceId: number; record: Buffer }[] {
    return this.db
      .all<{ address: string; account_id: string; device_id: number; record: Buffer; record_length: number }>(
        sql`SELECT address, account_id, device_id, record, record_length FROM signal_sessions ORDER BY address`,
      )
      .map((r) => ({
        address: r.address,
        accountId: r.account_id,
        deviceId: r.device_id,
        record: unpadRecord(r.record, r.record_length),
      }));
  }

  listPreKeys(): { id: number; record: Buffer }[] {
    return this.db.all<{ id: number; record: Buffer }>(
      sql`SELECT id, record FROM signal_prekeys ORDER BY id`,
    );
  }

  listSignedPreKeys(): { id: number; record: Buffer }[] {
    return this.db.all<{ id: number; record: Buffer }>(
      sql`SELECT id, record FROM signal_signed_prekeys ORDER BY id`,
    );
  }

  listKyberPreKeys(): { id: number; record: Buffer; lastResort: boolean }[] {
    return this.db
      .all<{ id: number; record: Buffer; last_resort: number }>(
        sql`SELECT id, record, last_resort FROM signal_kyber_prekeys ORDER BY id`,
      )
      .map((r) => ({ id: r.id, record: r.record, lastResort: r.last_resort === 1 }));
  }

  listSenderKeys(): { sender: string; distributionId: string; record: Buffer }[] {
    return this.db
      .all<{ sender: string; distribution_id: string; record: Buffer; record_length: number }>(
        sql`SELECT sender, distribution_id, record, record_length FROM signal_sender_keys ORDER BY sender, distribution_id`,
      )
      .map((r) => ({
        sender: r.sender,
        distributionId: r.distribution_id,
        record: unpadRecord(r.record, r.record_length),
      }));
  }
}
