// age's STREAM payload: ChaCha20-Poly1305 over 64 KiB chunks, nonce = 11-byte counter + last flag.
// Plaintext is released one authenticated chunk at a time, so memory stays at a few chunks.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { ByteReader } from './byteReader';
import { AgeError } from './errors';

export const chunkSize = 64 * 1024;
const tagSize = 16;
const encryptedChunkSize = chunkSize + tagSize;

class Nonce {
  readonly bytes = Buffer.alloc(12);
  increment(): void {
    for (let i = 10; i >= 0; i--) {
      this.bytes[i] = (this.bytes[i]! + 1) & 0xff;
      if (this.bytes[i] !== 0) return;
    }
    throw new AgeError('Payload', 'STREAM counter overflow');
  }
  get isFirst(): boolean {
    return this.bytes.subarray(0, 11).every((b) => b === 0);
  }
}

function sealChunk(key: Buffer, nonce: Nonce, last: boolean, plaintext: Buffer): [Buffer, Buffer] {
  nonce.bytes[11] = last ? 1 : 0;
  const cipher = createCipheriv('chacha20-poly1305', key, nonce.bytes, { authTagLength: tagSize });
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

function openChunk(key: Buffer, nonce: Nonce, last: boolean, sealed: Buffer): Buffer | null {
  nonce.bytes[11] = last ? 1 : 0;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce.bytes, { authTagLength: tagSize });
  decipher.setAuthTag(sealed.subarray(sealed.length - tagSize));
  const plain = decipher.update(sealed.subarray(0, sealed.length - tagSize));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plain;
}

/** Output is handed on in batches of about this size: one write per MiB, not two per chunk. */
const batchBytes = 1 << 20;

class Batch {
  private parts: Buffer[] = [];
  private size = 0;
  add(part: Buffer): boolean {
    this.parts.push(part);
    this.size += part.length;
    return this.size >= batchBytes;
  }
  take(): Buffer | null {
    if (this.parts.length === 0) return null;
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return out;
  }
}

export async function* encryptStream(key: Buffer, source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const nonce = new Nonce();
  const batch = new Batch();
  const pending = Buffer.allocUnsafe(chunkSize);
  let filled = 0;
  for await (const input of source) {
    let offset = 0;
    while (offset < input.byteLength) {
      if (filled === chunkSize) {
        // More input follows a full chunk, so that chunk is not the last one.
        const [body, tag] = sealChunk(key, nonce, false, pending);
        batch.add(body);
        if (batch.add(tag)) yield batch.take()!;
        nonce.increment();
        filled = 0;
      }
      const count = Math.min(chunkSize - filled, input.byteLength - offset);
      pending.set(input.subarray(offset, offset + count), filled);
      filled += count;
      offset += count;
    }
  }
  const [body, tag] = sealChunk(key, nonce, true, pending.subarray(0, filled));
  batch.add(body);
  batch.add(tag);
  yield batch.take()!;
}

export async function* decryptStream(key: Buffer, reader: ByteReader): AsyncGenerator<Buffer> {
  // Authenticated plaintext is batched; on a failure what was authenticated is released first
  // (as age does), then the error.
  const batch = new Batch();
  try {
    yield* decryptChunks(key, reader, batch);
  } finally {
    const rest = batch.take();
    if (rest !== null) yield rest;
  }
}

async function* decryptChunks(key: Buffer, reader: ByteReader, batch: Batch): AsyncGenerator<Buffer> {
  const release = (plain: Buffer): Buffer | null => (batch.add(plain) ? batch.take() : null);
  const nonce = new Nonce();
  for (;;) {
    // One byte of look-ahead tells a chunk with more to follow from the file's last chunk.
    const available = await reader.fill(encryptedChunkSize + 1);
    if (available === 0) {
      throw nonce.isFirst
        ? new AgeError('Truncated', 'the payload has no chunks')
        : new AgeError('Truncated', 'the file ends before its final chunk');
    }
    if (available > encryptedChunkSize) {
      const sealed = reader.take(encryptedChunkSize);
      const plain = openChunk(key, nonce, false, sealed);
      if (plain !== null) {
        const out = release(plain);
        if (out !== null) yield out;
        nonce.increment();
        continue;
      }
      // As age does: a full final chunk is released, and then the data after it is refused.
      const final = openChunk(key, nonce, true, sealed);
      if (final === null) throw new AgeError('Payload', 'a payload chunk fails authentication');
      batch.add(final);
      throw new AgeError('Payload', 'data follows the final chunk');
    }
    const sealed = reader.take(available);
    if (sealed.length < tagSize) throw new AgeError('Truncated', 'the final chunk is shorter than its tag');
    if (sealed.length === tagSize && !nonce.isFirst) {
      throw new AgeError('Payload', 'the final chunk is empty');
    }
    if (sealed.length === encryptedChunkSize) {
      // A full chunk at the end is either a full final chunk or a file cut at a chunk boundary.
      const plain = openChunk(key, nonce, false, sealed);
      if (plain !== null) {
        batch.add(plain);
        throw new AgeError('Truncated', 'the file ends before its final chunk');
      }
    }
    const plain = openChunk(key, nonce, true, sealed);
    if (plain === null) throw new AgeError('Payload', 'the final payload chunk fails authentication');
    batch.add(plain);
    return;
  }
}
