// Ids for the content this client sends. A content id becomes the message's primary key in the
// sender's store and in every recipient's store, so its shape decides where each insert lands in
// the `messages` id index.
import { v7 } from 'uuid';

/**
 * A time-ordered UUID (version 7, monotonic within one millisecond). Random (v4) ids scatter
 * inserts across the whole id index: every received message then dirties its own encrypted page,
 * and each of those pages costs an HMAC-SHA512 and an AES pass on commit. Time-ordered ids append
 * to the same few pages instead. `npx tsx bench/store.bench.ts` measures both (docs/STORAGE.md).
 *
 * What it reveals: the send time to the millisecond, which travels only inside end-to-end
 * encrypted content next to `sentAt`, so a recipient learns nothing new and the relay nothing.
 * Ids the relay or other users could see without decrypting (rooms, distributions, attachments
 * on disk) stay random.
 */
export function newContentId(): string {
  return v7();
}

/** A UUID's 16 bytes (libsignal's fingerprint ids and room group ids). */
export function uuidBytes(id: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(id.replace(/-/g, ''), 'hex'));
}
