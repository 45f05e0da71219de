// Session and sender-key records are rewritten on every message. Stored at their exact length, a
// record that grows or shrinks by a few bytes makes SQLite free its overflow pages and allocate new
// ones: with secure_delete the freed pages are zeroed, and every one of those pages is another
// HMAC-SHA512 and AES pass on commit (six pages per session update, measured). Padded to a bucket
// the size stays the same, and SQLite overwrites the row and its overflow pages in place (two).

/** Records are padded with zeros up to a multiple of this many bytes. */
export const RECORD_BUCKET = 1024;

/** The bytes to store for `record`: the record, then zeros up to the next bucket boundary. */
export function padRecord(record: Uint8Array): Buffer {
  const size = Math.max(RECORD_BUCKET, Math.ceil(record.byteLength / RECORD_BUCKET) * RECORD_BUCKET);
  const padded = Buffer.alloc(size);
  padded.set(record);
  return padded;
}

/** The record stored as `padded` with its true `length`. */
export function unpadRecord(padded: Buffer, length: number): Buffer {
  return padded.subarray(0, length);
}
