// The PostgreSQL backend's attachments: creation under the owner's quota (the owner's account row
// serialises concurrent creates) or without an owner, the single-use upload claim, chunks, reads,
// and expiry.
import type pg from 'pg';
import type { AttachmentQuota, AttachmentRow, NewAttachment } from '../types';
import { buf, type PgDb } from './db';

type Row = { declared_size: string; size: string; state: AttachmentRow['state']; expires_at: string };
const toAttachment = (row: Row): AttachmentRow => ({
  declaredSize: Number(row.declared_size),
  size: Number(row.size),
  state: row.state,
  expiresAt: Number(row.expires_at),
});

export class PgAttachments {
  constructor(private readonly db: PgDb) {}

  create(a: NewAttachment, quota: AttachmentQuota): Promise<{ created: boolean; usedBytes: number }> {
    const owner = a.ownerHash === null ? null : buf(a.ownerHash);
    return this.db.tx(async (c) => {
      let usedBytes = 0;
      // Without an owner (created without identity) there is no account to hold a quota against.
      if (owner !== null) {
        // The owner's account row serialises its concurrent creates (on any node) through the check.
        await c.query('SELECT 1 FROM accounts WHERE id_hash = $1 FOR UPDATE', [owner]);
        const { rows } = await c.query<{ used: string }>(
          `SELECT COALESCE(SUM(CASE WHEN state = 'complete' THEN size ELSE declared_size END), 0) AS used
             FROM attachments WHERE owner_hash = $1 AND expires_at > $2`,
          [owner, quota.now],
        );
        usedBytes = Number(rows[0]?.used ?? 0);
        if (usedBytes + a.declaredSize > quota.maxBytes) return { created: false, usedBytes };
      }
      await c.query(
        `INSERT INTO attachments (id, token_hash, declared_size, state, expires_at, owner_hash)
           VALUES ($1, $2, $3, 'pending', $4, $5)`,
        [a.id, buf(a.tokenHash), a.declaredSize, a.expiresAt, owner],
      );
      return { created: true, usedBytes };
    });
  }

  async claimUpload(id: string, tokenHash: Uint8Array, now: number): Promise<AttachmentRow | null> {
    const [row] = await this.db.q<Row>(
      `UPDATE attachments SET state = 'uploading' WHERE id = $1 AND token_hash = $2 AND state = 'pending' AND expires_at > $3
         RETURNING declared_size, size, state, expires_at`,
      [id, buf(tokenHash), now],
    );
    return row ? toAttachment(row) : null;
  }

  async putChunk(id: string, index: number, data: Uint8Array, now: number): Promise<boolean> {
    // One statement: the attachment is checked (and, through the foreign key, locked against a
    // concurrent purge) in the transaction that stores the chunk.
    try {
      const res = await this.db.pool.query(
        `INSERT INTO attachment_chunks (attachment_id, idx, data)
           SELECT $1, $2, $3 WHERE EXISTS (
             SELECT 1 FROM attachments WHERE id = $1 AND state = 'uploading' AND expires_at > $4)
           ON CONFLICT (attachment_id, idx) DO UPDATE SET data = EXCLUDED.data`,
        [id, index, buf(data), now],
      );
      return (res.rowCount ?? 0) > 0;
    } catch (error) {
      // foreign_key_violation: the purge deleted the attachment between the check and the insert.
      if ((error as { code?: string }).code === '23503') return false;
      throw error;
    }
  }

  async complete(id: string, size: number, now: number): Promise<boolean> {
    const res = await this.db.pool.query(
      "UPDATE attachments SET state = 'complete', size = $1 WHERE id = $2 AND state = 'uploading' AND expires_at > $3",
      [size, id, now],
    );
    return res.rowCount === 1;
  }

  async delete(id: string): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query('DELETE FROM attachment_chunks WHERE attachment_id = $1', [id]);
      await c.query('DELETE FROM attachments WHERE id = $1', [id]);
    });
  }

  async get(id: string, now: number): Promise<AttachmentRow | null> {
    const [row] = await this.db.q<Row>(
      'SELECT declared_size, size, state, expires_at FROM attachments WHERE id = $1 AND expires_at > $2',
      [id, now],
    );
    return row ? toAttachment(row) : null;
  }

  async getChunk(id: string, index: number): Promise<Uint8Array | null> {
    const [row] = await this.db.q<{ data: Buffer }>(
      'SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND idx = $2',
      [id, index],
    );
    return row?.data ?? null;
  }

  /** Inside a transaction: expired attachments and their chunks go (and chunks left without one); counts them. */
  async purgeIn(c: pg.PoolClient, now: number): Promise<number> {
    await c.query(
      'DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE expires_at <= $1)',
      [now],
    );
    const attachments =
      (await c.query('DELETE FROM attachments WHERE expires_at <= $1', [now])).rowCount ?? 0;
    // Chunks left without an attachment (none since the foreign key; kept as a safety net).
    await c.query(
      `DELETE FROM attachment_chunks
         WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = attachment_chunks.attachment_id)`,
    );
    return attachments;
  }
}
