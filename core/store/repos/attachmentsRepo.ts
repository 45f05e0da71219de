// Attachment metadata per message, and the encrypted local copy of each file.
import { join } from 'node:path';
import { WispError } from '../../../common/errors';
import { sql } from '../sql';
import type { WritableDb } from '../database';
import type { Attachment, NewAttachment } from '../types';
import {
  decryptFileTo,
  readEncryptedFile,
  wipeFile,
  writeEncryptedFile,
  type EncryptedFile,
} from '../attachmentFiles';

interface Row {
  id: string;
  message_id: string;
  file_name: string | null;
  mime: string;
  size: number;
  local_path: string | null;
  local_key: Buffer | null;
  blob_id: string | null;
  remote_key: Buffer | null;
  digest: Buffer | null;
  created_at: number;
}

function toAttachment(row: Row): Attachment {
  return {
    id: row.id,
    messageId: row.message_id,
    fileName: row.file_name,
    mime: row.mime,
    size: row.size,
    localPath: row.local_path,
    blobId: row.blob_id,
    remoteKey: row.remote_key,
    digest: row.digest,
    createdAt: row.created_at,
  };
}

export class AttachmentsRepo {
  constructor(
    private readonly db: WritableDb,
    /** The profile's attachments/ folder. */
    readonly dir: string,
  ) {}

  add(attachment: NewAttachment, now = Date.now()): Attachment {
    this.db.run(sql`
      INSERT INTO attachments (id, message_id, file_name, mime, size, blob_id, remote_key, digest, created_at)
      VALUES (${attachment.id}, ${attachment.messageId}, ${attachment.fileName}, ${attachment.mime}, ${attachment.size},
        ${attachment.blobId ?? null}, ${attachment.remoteKey ?? null}, ${attachment.digest ?? null}, ${now})`);
    return this.get(attachment.id)!;
  }

  get(id: string): Attachment | undefined {
    const row = this.db.get<Row>(sql`SELECT * FROM attachments WHERE id = ${id}`);
    return row && toAttachment(row);
  }

  forMessage(messageId: string): Attachment[] {
    return this.db
      .all<Row>(sql`SELECT * FROM attachments WHERE message_id = ${messageId} ORDER BY created_at, id`)
      .map(toAttachment);
  }

  /** The folder attachment files live in (EncryptedFileBuilder writes there for adoptFile). */
  get folder(): string {
    return this.dir;
  }

  /** Stores the plaintext of an attachment encrypted at rest; replaces (and wipes) any previous copy. */
  storeFile(id: string, data: Uint8Array): Attachment {
    if (!this.db.get<Row>(sql`SELECT id FROM attachments WHERE id = ${id}`)) {
      throw new WispError('NotFound', 'no such attachment');
    }
    return this.adoptFile(id, writeEncryptedFile(this.dir, id, data));
  }

  /**
   * Records an encrypted file already written into the folder for attachment `id` (streamed by an
   * EncryptedFileBuilder with the same id); replaces (and wipes) any previous copy. If the row is
   * missing or the update fails, the new file is wiped. The key is zeroed once stored.
   */
  adoptFile(id: string, file: EncryptedFile): Attachment {
    try {
      const previous = this.db.get<Row>(sql`SELECT * FROM attachments WHERE id = ${id}`);
      if (!previous) throw new WispError('NotFound', 'no such attachment');
      this.db.run(
        sql`UPDATE attachments SET local_path = ${file.name}, local_key = ${file.key}, size = ${file.size} WHERE id = ${id}`,
      );
      if (previous.local_path) wipeFile(join(this.dir, previous.local_path));
    } catch (cause) {
      wipeFile(join(this.dir, file.name));
      throw cause;
    } finally {
      file.key.fill(0);
    }
    return this.get(id)!;
  }

  /** Wipes an encrypted file that will not be adopted (its message was not stored). */
  discardFile(file: EncryptedFile): void {
    wipeFile(join(this.dir, file.name));
    file.key.fill(0);
  }

  /** The decrypted file, in memory (small files and tests; saveFileTo streams). */
  readFile(id: string): Buffer {
    const { path, key } = this.localCopy(id);
    return readEncryptedFile(this.dir, path, id, key);
  }

  /** Decrypts the stored copy into `outPath`, streamed; nothing appears there unless it verified. */
  async saveFileTo(id: string, outPath: string): Promise<void> {
    const { path, key } = this.localCopy(id);
    await decryptFileTo(this.dir, path, id, key, outPath);
  }

  private localCopy(id: string): { path: string; key: Buffer } {
    const row = this.db.get<Row>(sql`SELECT * FROM attachments WHERE id = ${id}`);
    if (!row?.local_path || !row.local_key)
      throw new WispError('NotFound', 'the attachment is not stored locally');
    return { path: row.local_path, key: row.local_key };
  }

  /** Local file names still referenced: everything else in the folder is an orphan. */
  referencedFiles(): Set<string> {
    return new Set(
      this.db
        .all<{ local_path: string }>(sql`SELECT local_path FROM attachments WHERE local_path IS NOT NULL`)
        .map((r) => r.local_path),
    );
  }
}
