// The SQLite backend's prekeys: uploads, counts, and the atomic take of a bundle (one one-time EC
// and one Kyber key consumed, or the last-resort key), one account or many in one transaction.
import type Database from 'better-sqlite3-multiple-ciphers';
import type { AccountBundle, PreKeyCounts, PreKeyUpload, StoredPreKey, TakenBundle } from '../types';
import { buf } from './bytes';
import type { Write } from './writer';

type KeyRow = { key_id: number; public_key: Buffer; signature: Buffer };
const toKey = (r: KeyRow): StoredPreKey => ({
  keyId: r.key_id,
  publicKey: r.public_key,
  signature: r.signature,
});

export class SqlitePreKeys {
  private readonly st;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.st = {
      deleteKind: db.prepare('DELETE FROM prekeys WHERE id_hash = ? AND kind = ?'),
      upsertPreKey: db.prepare(
        'INSERT OR REPLACE INTO prekeys (id_hash, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?)',
      ),
      countKind: db.prepare('SELECT COUNT(*) FROM prekeys WHERE id_hash = ? AND kind = ?').pluck(),
      firstKey: db.prepare(
        'SELECT key_id, public_key, signature FROM prekeys WHERE id_hash = ? AND kind = ? ORDER BY key_id LIMIT 1',
      ),
      deleteKey: db.prepare('DELETE FROM prekeys WHERE id_hash = ? AND kind = ? AND key_id = ?'),
      account: db.prepare('SELECT identity_key, registration_id FROM accounts WHERE id_hash = ?'),
    };
  }

  async put(idHash: Uint8Array, upload: PreKeyUpload): Promise<void> {
    const h = buf(idHash);
    await this.write(() => {
      const put = (kind: string, k: StoredPreKey) =>
        this.st.upsertPreKey.run(h, kind, k.keyId, buf(k.publicKey), buf(k.signature));
      if (upload.signedPreKey) {
        this.st.deleteKind.run(h, 'signed');
        put('signed', upload.signedPreKey);
      }
      if (upload.lastResortKyberPreKey) {
        this.st.deleteKind.run(h, 'lastResort');
        put('lastResort', upload.lastResortKyberPreKey);
      }
      for (const k of upload.preKeys ?? []) put('ec', k);
      for (const k of upload.kyberPreKeys ?? []) put('kyber', k);
    });
  }

  async count(idHash: Uint8Array): Promise<PreKeyCounts> {
    const h = buf(idHash);
    return {
      preKeys: this.st.countKind.get(h, 'ec') as number,
      kyberPreKeys: this.st.countKind.get(h, 'kyber') as number,
      hasSignedPreKey: (this.st.countKind.get(h, 'signed') as number) > 0,
      hasLastResortKyberPreKey: (this.st.countKind.get(h, 'lastResort') as number) > 0,
    };
  }

  takeBundle(idHash: Uint8Array): Promise<TakenBundle | null> {
    return this.write(() => this.takeNow(buf(idHash)));
  }

  takeBundles(idHashes: Uint8Array[]): Promise<(AccountBundle | null)[]> {
    return this.write(() =>
      idHashes.map((idHash) => {
        const h = buf(idHash);
        const row = this.st.account.get(h) as { identity_key: Buffer; registration_id: number } | undefined;
        const bundle = row ? this.takeNow(h) : null;
        return row && bundle
          ? { identityKey: row.identity_key, registrationId: row.registration_id, bundle }
          : null;
      }),
    );
  }

  /** Inside a write: consumes one one-time EC and one Kyber prekey of the account `h`. */
  private takeNow(h: Buffer): TakenBundle | null {
    const signed = this.st.firstKey.get(h, 'signed') as KeyRow | undefined;
    const lastResort = this.st.firstKey.get(h, 'lastResort') as KeyRow | undefined;
    if (!signed || !lastResort) return null;
    const ec = this.st.firstKey.get(h, 'ec') as KeyRow | undefined;
    if (ec) this.st.deleteKey.run(h, 'ec', ec.key_id);
    const kyber = this.st.firstKey.get(h, 'kyber') as KeyRow | undefined;
    if (kyber) this.st.deleteKey.run(h, 'kyber', kyber.key_id);
    return {
      signedPreKey: toKey(signed),
      preKey: ec ? toKey(ec) : null,
      kyberPreKey: toKey(kyber ?? lastResort),
      kyberPreKeyIsLastResort: !kyber,
    };
  }
}
