// A profile whose bulk is large attachments, for the backup tests and bench/backup.bench.ts: an
// identity, one conversation, and one message per file with its attachment written through the
// store's own EncryptedFileBuilder, MiB by MiB (a 1 GB profile never sits in memory).
import type { Store } from '../../../core/store';
import { EncryptedFileBuilder } from '../../../core/store/attachmentFiles';
import { sql } from '../../../core/store/sql';

export interface SeededFile {
  /** The attachment file's path on disk (encrypted with the profile's local key). */
  path: string;
  size: number;
}

/** Writes the identity and the conversation 'c1' that the attachments belong to. */
export function seedAttachmentOwner(store: Store, username: string): void {
  store.identity.create({
    accountId: '00000000-0000-4000-8000-000000000001',
    deviceId: 1,
    username,
    identityKeyPair: Buffer.alloc(65, 1),
    registrationId: 1,
    relayUrl: 'ws://127.0.0.1:1',
    trustRoot: null,
  });
  store.write.run(
    sql`INSERT INTO conversations (id, kind, peer_id, created_at) VALUES ('c1', 'direct', 'peer', ${Date.now()})`,
  );
}

/** Message m{index} in 'c1' with attachment a{index}, its bytes the given chunks in order. */
export function seedAttachment(
  store: Store,
  attachmentsDir: string,
  index: number,
  chunks: Iterable<Uint8Array>,
): SeededFile {
  const now = Date.now();
  const messageId = `m${index}`;
  const attachmentId = `a${index}`;
  store.write.run(sql`
    INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, body, sent_at, received_at, state)
    VALUES (${messageId}, 'c1', 'me', 1, 'text', 'a large file', ${now}, ${now}, 'sent')`);
  const builder = new EncryptedFileBuilder(attachmentsDir, attachmentId);
  for (const chunk of chunks) builder.update(chunk);
  const file = builder.finish();
  store.write.run(sql`
    INSERT INTO attachments (id, message_id, file_name, mime, size, local_path, local_key, created_at)
    VALUES (${attachmentId}, ${messageId}, 'big.bin', 'application/octet-stream', ${file.size}, ${file.name}, ${file.key}, ${now})`);
  return { path: `${attachmentsDir}/${file.name}`, size: file.size };
}

/** `bytes` in MiB slices, as the app writes an attachment. */
export function* mibSlices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 1 << 20) yield bytes.subarray(at, at + (1 << 20));
}
