// The PostgreSQL backend's prekeys: uploads, counts, and the take of a bundle, where row locks
// with SKIP LOCKED keep two concurrent fetches (on any node) from consuming the same one-time key.
import type pg from 'pg';
import type { AccountBundle, PreKeyCounts, PreKeyUpload, StoredPreKey, TakenBundle } from '../types';
import { buf, type PgDb } from './db';

export class PgPreKeys {
  constructor(private readonly db: PgDb) {}

  async put(idHash: Uint8Array, upload: PreKeyUpload): Promise<void> {
    const h = buf(idHash);
    await this.db.tx(async (c) => {
      const put = (kind: string, k: StoredPreKey) =>
        c.query(
          `INSERT INTO prekeys (id_hash, kind, key_id, public_key, signature) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id_hash, kind, key_id) DO UPDATE SET public_key = EXCLUDED.public_key, signature = EXCLUDED.signature`,
          [h, kind, k.keyId, buf(k.publicKey), buf(k.signature)],
        );
      if (upload.signedPreKey) {
        await c.query("DELETE FROM prekeys WHERE id_hash = $1 AND kind = 'signed'", [h]);
        await put('signed', upload.signedPreKey);
      }
      if (upload.lastResortKyberPreKey) {
        await c.query("DELETE FROM prekeys WHERE id_hash = $1 AND kind = 'lastResort'", [h]);
        await put('lastResort', upload.lastResortKyberPreKey);
      }
      for (const k of upload.preKeys ?? []) await put('ec', k);
      for (const k of upload.kyberPreKeys ?? []) await put('kyber', k);
    });
  }

  async count(idHash: Uint8Array): Promise<PreKeyCounts> {
    const rows = await this.db.q<{ kind: string; n: string }>(
      'SELECT kind, COUNT(*) AS n FROM prekeys WHERE id_hash = $1 GROUP BY kind',
      [buf(idHash)],
    );
    const n = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
    return {
      preKeys: n('ec'),
      kyberPreKeys: n('kyber'),
      hasSignedPreKey: n('signed') > 0,
      hasLastResortKyberPreKey: n('lastResort') > 0,
    };
  }

  takeBundle(idHash: Uint8Array): Promise<TakenBundle | null> {
    return this.db.tx((c) => takeBundleIn(c, buf(idHash)));
  }

  takeBundles(idHashes: Uint8Array[]): Promise<(AccountBundle | null)[]> {
    return this.db.tx(async (c) => {
      const out: (AccountBundle | null)[] = [];
      for (const idHash of idHashes) {
        const h = buf(idHash);
        const [row] = (
          await c.query<{ identity_key: Buffer; registration_id: number }>(
            'SELECT identity_key, registration_id FROM accounts WHERE id_hash = $1',
            [h],
          )
        ).rows;
        const bundle = row ? await takeBundleIn(c, h) : null;
        out.push(
          row && bundle
            ? { identityKey: row.identity_key, registrationId: row.registration_id, bundle }
            : null,
        );
      }
      return out;
    });
  }
}

/** Inside a transaction: consumes one one-time EC and one Kyber prekey of the account `h`. */
async function takeBundleIn(c: pg.PoolClient, h: Buffer): Promise<TakenBundle | null> {
  type Row = { key_id: number; public_key: Buffer; signature: Buffer };
  const toKey = (r: Row): StoredPreKey => ({
    keyId: r.key_id,
    publicKey: r.public_key,
    signature: r.signature,
  });
  const first = async (kind: string) =>
    (
      await c.query<Row>(
        'SELECT key_id, public_key, signature FROM prekeys WHERE id_hash = $1 AND kind = $2 ORDER BY key_id LIMIT 1',
        [h, kind],
      )
    ).rows[0];
  // Row locks with SKIP LOCKED: two concurrent fetches never consume the same one-time key.
  const consume = async (kind: string) =>
    (
      await c.query<Row>(
        `DELETE FROM prekeys WHERE (id_hash, kind, key_id) IN (
           SELECT id_hash, kind, key_id FROM prekeys WHERE id_hash = $1 AND kind = $2
             ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING key_id, public_key, signature`,
        [h, kind],
      )
    ).rows[0];
  const signed = await first('signed');
  const lastResort = await first('lastResort');
  if (!signed || !lastResort) return null;
  const ec = await consume('ec');
  const kyber = await consume('kyber');
  return {
    signedPreKey: toKey(signed),
    preKey: ec ? toKey(ec) : null,
    kyberPreKey: toKey(kyber ?? lastResort),
    kyberPreKeyIsLastResort: !kyber,
  };
}
