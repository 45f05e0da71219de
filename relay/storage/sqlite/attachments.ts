// The SQLite backend's attachments: creation under the owner's quota (or without an owner), the
// single-use upload claim, chunks (each stored only while its attachment is still uploading), reads,
// and expiry.
import type Database from 'better-sqlite3-multiple-ciphers';
import type { AttachmentQuota, AttachmentRow, NewAttachment } from '../types';
import { buf } from './bytes';
import type { Write } from './writer';

export class SqliteAttachments {
  private readonly st;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.st = {
      insertAttachment: db.prepare(
        "INSERT INTO attachments (id, token_hash, declared_size, state, expires_at, owner_hash) VALUES (?, ?, ?, 'pending', ?, ?)",
      ),
      ownerUsage: db
        .prepare(
          `SELECT COALESCE(SUM(CASE WHEN state = 'complete' THEN size ELSE declared_size END), 0)
             FROM attachments WHERE owner_hash = ? AND expires_at > ?`,
        )
        .pluck(),
      claimAttachment: db.prepare(
        "UPDATE attachments SET state = 'uploading' WHERE id = ? AND token_hash = ? AND state = 'pending' AND expires_at > ?",
      ),
      getAttachment: db.prepare(
        'SELECT declared_size, size, state, expires_at FROM attachments WHERE id = ? AND expires_at > ?',
      ),
      // The attachment is checked in the same statement (and transaction) that stores the chunk.
      putChunk: db.prepare(
        `INSERT OR REPLACE INTO attachment_chunks (attachment_id, idx, data)
           SELECT ?, ?, ? WHERE EXISTS (
             SELECT 1 FROM attachments WHERE id = ? AND state = 'uploading' AND expires_at > ?)`,
      ),
      getChunk: db.prepare('SELECT data FROM attachment_chunks WHERE attachment_id = ? AND idx = ?').pluck(),
      completeAttachment: db.prepare(
        "UPDATE attachments SET state = 'complete', size = ? WHERE id = ? AND state = 'uploading' AND expires_at > ?",
      ),
      deleteAttachment: db.prepare('DELETE FROM attachments WHERE id = ?'),
      deleteChunks: db.prepare('DELETE FROM attachment_chunks WHERE attachment_id = ?'),
      expiredAttachments: db.prepare('SELECT id FROM attachments WHERE expires_at <= ?').pluck(),
      // Chunks the foreign key could not catch: written by a connection without foreign keys on.
      purgeOrphanChunks: db.prepare(
        `DELETE FROM attachment_chunks
           WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = attachment_chunks.attachment_id)`,
      ),
    };
  }

  create(a: NewAttachment, quota: AttachmentQuota): Promise<{ created: boolean; usedBytes: number }> {
    const owner = a.ownerHash === null ? null : buf(a.ownerHash);
    return this.write(() => {
      // Without an owner (created without identity) there is no account to hold a quota against.
      const usedBytes = owner === null ? 0 : (this.st.ownerUsage.get(owner, quota.now) as number);
      if (owner !== null && usedBytes + a.declaredSize > quota.maxBytes) return { created: false, usedBytes };
      this.st.insertAttachment.run(a.id, buf(a.tokenHash), a.declaredSize, a.expiresAt, owner);
      return { created: true, usedBytes };
    });
  }

  async claimUpload(id: string, tokenHash: Uint8Array, now: number): Promise<AttachmentRow | null> {
    const claimed = await this.write(() => this.st.claimAttachment.run(id, buf(tokenHash), now).changes);
    return claimed === 1 ? this.get(id, now) : null;
  }

  putChunk(id: string, index: number, data: Uint8Array, now: number): Promise<boolean> {
    return this.write(() => this.st.putChunk.run(id, index, buf(data), id, now).changes > 0);
  }

  complete(id: string, size: number, now: number): Promise<boolean> {
    return this.write(() => this.st.completeAttachment.run(size, id, now).changes === 1);
  }

  async delete(id: string): Promise<void> {
    await this.write(() => {
      this.st.deleteChunks.run(id);
      this.st.deleteAttachment.run(id);
    });
  }

  async get(id: string, now: number): Promise<AttachmentRow | null> {
    const row = this.st.getAttachment.get(id, now) as
      { declared_size: number; size: number; state: AttachmentRow['state']; expires_at: number } | undefined;
    return row
      ? { declaredSize: row.declared_size, size: row.size, state: row.state, expiresAt: row.expires_at }
      : null;
  }

  async getChunk(id: string, index: number): Promise<Uint8Array | null> {
    return (this.st.getChunk.get(id, index) as Buffer | undefined) ?? null;
  }

  /** Inside a write: expired attachments and their chunks go (and chunks left without one); counts them. */
  purgeNow(now: number): number {
    const ids = this.st.expiredAttachments.all(now) as string[];
    for (const id of ids) {
      this.st.deleteChunks.run(id);
      this.st.deleteAttachment.run(id);
    }
    this.st.purgeOrphanChunks.run();
    return ids.length;
  }
}
