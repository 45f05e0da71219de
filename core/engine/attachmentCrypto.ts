// Streaming attachment encryption: a fresh random key per file, chunked AES-256-GCM, a SHA-256
// digest of the ciphertext; decryption refuses tampered, reordered, truncated or wrong-key files.
//
// Why chunked AES-256-GCM (the STREAM construction, as in age and Tink) rather than Signal's
// AES-CBC + HMAC: each 64 KiB chunk is authenticated before a byte of it is released, so a
// streaming consumer never sees unauthenticated plaintext, while CBC+HMAC can only verify at the
// very end. Chunk i uses the nonce (i as 11-byte big-endian ‖ final flag), so dropping, repeating
// or reordering chunks, or cutting the file at a chunk boundary, fails authentication.
//
// Format v1:   header ‖ chunk_0 ‖ … ‖ chunk_n      (chunk = AES-GCM(≤64 KiB plaintext) ‖ 16-byte tag)
//   header   = "WSPA" ‖ 0x01 ‖ log2(chunk size) ‖ 0x0000 ‖ salt(16) ‖ commitment(32)    (56 bytes)
//   HKDF-SHA256(ikm = file key, salt, info = "wisp attachment v1") → 32-byte AES key ‖ 32-byte
//   commitment. The commitment makes the scheme key-committing (a file opens under one key only)
//   and reports a wrong key before any chunk is tried; the salt gives each file a distinct AES
//   key even if a file key were ever reused. The whole header is the AAD of every chunk.
//   digest   = SHA-256(entire ciphertext file); size = plaintext bytes.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WispError } from '../../common/errors';

export const ATTACHMENT_KEY_BYTES = 32;
export const ATTACHMENT_DIGEST_BYTES = 32;
export const CHUNK_BYTES = 64 * 1024;
const CHUNK_LOG2 = 16;
const TAG_BYTES = 16;
const SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES;
const MAGIC = Buffer.from('WSPA', 'ascii');
const VERSION = 1;
const SALT_BYTES = 16;
const COMMITMENT_BYTES = 32;
export const HEADER_BYTES = MAGIC.length + 4 + SALT_BYTES + COMMITMENT_BYTES;
const HKDF_INFO = Buffer.from('wisp attachment v1', 'ascii');
/** Counters go in the low 6 bytes of the 11-byte counter field: 2^48 chunks is 16 EiB. */
const MAX_CHUNKS = 2 ** 48;

/** What the recipient needs to open an attachment; travels only inside the E2E message. */
export interface AttachmentSecrets {
  /** The per-file key (32 bytes). */
  key: Buffer;
  /** SHA-256 of the ciphertext (32 bytes), checked before and during decryption. */
  digest: Buffer;
  /** Plaintext size in bytes. */
  size: number;
  /** Ciphertext size in bytes (what the relay stores). */
  ciphertextSize: number;
}

/** What decryption checks against; `size` (plaintext bytes) is checked when given. */
export interface AttachmentOpening {
  key: Uint8Array;
  digest: Uint8Array;
  size?: number;
}

function fail(reason: string, cause?: unknown): WispError {
  return new WispError('DecryptionFailed', `attachment rejected: ${reason}`, {
    recovery: 'Ask the sender to send the file again.',
    cause,
  });
}

function deriveKeys(fileKey: Uint8Array, salt: Uint8Array): { aesKey: Buffer; commitment: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', fileKey, salt, HKDF_INFO, 64));
  return { aesKey: okm.subarray(0, 32), commitment: okm.subarray(32, 64) };
}

function chunkNonce(counter: number, final: boolean): Buffer {
  if (counter >= MAX_CHUNKS) throw new WispError('PayloadTooLarge', 'attachment has too many chunks');
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

function headerFor(salt: Buffer, commitment: Buffer): Buffer {
  const fixed = Buffer.from([VERSION, CHUNK_LOG2, 0, 0]);
  return Buffer.concat([MAGIC, fixed, salt, commitment]);
}

/** Result of an encryption, available once the stream has finished. */
export interface EncryptStream {
  stream: Transform;
  /** Resolves after the last byte was pushed; rejects if the stream failed. */
  secrets: Promise<AttachmentSecrets>;
}

/**
 * A Transform from plaintext to ciphertext under a fresh random key. Memory stays at about one
 * chunk whatever the file size. Read the key, digest and sizes from `secrets` when it resolves.
 */
export function createEncryptStream(): EncryptStream {
  const key = randomBytes(ATTACHMENT_KEY_BYTES);
  const salt = randomBytes(SALT_BYTES);
  const { aesKey, commitment } = deriveKeys(key, salt);
  const header = headerFor(salt, commitment);
  const hash = createHash('sha256');
  const pending = Buffer.allocUnsafe(CHUNK_BYTES);
  let pendingLength = 0;
  let counter = 0;
  let size = 0;
  let ciphertextSize = 0;
  let settle: { resolve: (s: AttachmentSecrets) => void; reject: (e: unknown) => void } | undefined;
  const secrets = new Promise<AttachmentSecrets>((resolve, reject) => (settle = { resolve, reject }));
  // Callers that only pipe and never await must not get an unhandled rejection.
  secrets.catch(() => undefined);

  const emit = (stream: Transform, bytes: Buffer): void => {
    hash.update(bytes);
    ciphertextSize += bytes.length;
    stream.push(bytes);
  };

  const seal = (stream: Transform, final: boolean): void => {
    const cipher = createCipheriv('aes-256-gcm', aesKey, chunkNonce(counter++, final));
    cipher.setAAD(header);
    const body = cipher.update(pending.subarray(0, pendingLength));
    cipher.final();
    emit(stream, body);
    emit(stream, cipher.getAuthTag());
    pendingLength = 0;
  };

  let started = false;
  const start = (stream: Transform): void => {
    if (started) return;
    started = true;
    emit(stream, header);
  };

  const stream = new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      try {
        start(this);
        size += data.length;
        let offset = 0;
        while (offset < data.length) {
          // A full chunk is sealed as non-final only once more data proves it is not the last.
          if (pendingLength === CHUNK_BYTES) seal(this, false);
          const take = Math.min(CHUNK_BYTES - pendingLength, data.length - offset);
          data.copy(pending, pendingLength, offset, offset + take);
          pendingLength += take;
          offset += take;
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        start(this);
        seal(this, true);
        pending.fill(0);
        settle?.resolve({ key, digest: hash.digest(), size, ciphertextSize });
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    destroy(error, callback) {
      pending.fill(0);
      settle?.reject(error ?? new WispError('Internal', 'attachment encryption was aborted'));
      callback(error);
    },
  });
  return { stream, secrets };
}

/**
 * A Transform from ciphertext to plaintext. Every chunk is authenticated before its plaintext is
 * pushed; the last chunk is held back until the digest of the whole ciphertext (and the size, when
 * given) match, so the stream never ends successfully on a tampered, truncated or substituted
 * file. On failure it errors with WispError('DecryptionFailed'); a consumer must then discard
 * whatever it wrote (decryptAttachmentFile does).
 */
export function createDecryptStream(opening: AttachmentOpening): Transform {
  const fileKey = checkBytes(opening.key, ATTACHMENT_KEY_BYTES, 'key');
  const expectedDigest = checkBytes(opening.digest, ATTACHMENT_DIGEST_BYTES, 'digest');
  const hash = createHash('sha256');
  const headerBuffer = Buffer.allocUnsafe(HEADER_BYTES);
  let headerLength = 0;
  let header: Buffer | undefined;
  let aesKey: Buffer | undefined;
  const pending = Buffer.allocUnsafe(SEALED_CHUNK_BYTES);
  let pendingLength = 0;
  let counter = 0;
  let size = 0;

  const readHeader = (): void => {
    if (!headerBuffer.subarray(0, 4).equals(MAGIC)) throw fail('not a Wisp attachment');
    if (headerBuffer[4] !== VERSION) throw fail(`unsupported format version ${headerBuffer[4]}`);
    if (headerBuffer[5] !== CHUNK_LOG2 || headerBuffer[6] !== 0 || headerBuffer[7] !== 0) {
      throw fail('unsupported chunk layout');
    }
    const salt = headerBuffer.subarray(8, 8 + SALT_BYTES);
    const keys = deriveKeys(fileKey, salt);
    if (!timingSafeEqual(keys.commitment, headerBuffer.subarray(8 + SALT_BYTES, HEADER_BYTES))) {
      throw fail('wrong key');
    }
    header = Buffer.from(headerBuffer);
    aesKey = keys.aesKey;
  };

  const open = (final: boolean): Buffer => {
    if (pendingLength < TAG_BYTES) throw fail('truncated');
    // Only an empty file may end in an empty final chunk; anything else was cut.
    if (final && pendingLength === TAG_BYTES && counter > 0) throw fail('truncated');
    const decipher = createDecipheriv('aes-256-gcm', aesKey!, chunkNonce(counter++, final));
    decipher.setAAD(header!);
    decipher.setAuthTag(pending.subarray(pendingLength - TAG_BYTES, pendingLength));
    const plain = decipher.update(pending.subarray(0, pendingLength - TAG_BYTES));
    try {
      decipher.final();
    } catch (error) {
      plain.fill(0);
      throw fail('failed authentication (tampered, reordered, truncated or wrong key)', error);
    }
    pendingLength = 0;
    size += plain.length;
    return plain;
  };

  return new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      try {
        hash.update(data);
        let offset = 0;
        if (header === undefined) {
          const take = Math.min(HEADER_BYTES - headerLength, data.length);
          data.copy(headerBuffer, headerLength, 0, take);
          headerLength += take;
          offset = take;
          if (headerLength < HEADER_BYTES) return callback();
          readHeader();
        }
        while (offset < data.length) {
          if (pendingLength === SEALED_CHUNK_BYTES) this.push(open(false));
          const take = Math.min(SEALED_CHUNK_BYTES - pendingLength, data.length - offset);
          data.copy(pending, pendingLength, offset, offset + take);
          pendingLength += take;
          offset += take;
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (header === undefined) throw fail('truncated header');
        const last = open(true);
        if (!timingSafeEqual(hash.digest(), expectedDigest)) {
          last.fill(0);
          throw fail('digest mismatch');
        }
        if (opening.size !== undefined && opening.size !== size) {
          last.fill(0);
          throw fail('size mismatch');
        }
        this.push(last);
        callback();
      } catch (error) {
        callback(error as Error);
      } finally {
        pending.fill(0);
      }
    },
    destroy(error, callback) {
      pending.fill(0);
      callback(error);
    },
  });
}

function checkBytes(value: Uint8Array, length: number, name: string): Buffer {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new WispError('InvalidInput', `attachment ${name} must be ${length} bytes`);
  }
  return Buffer.from(value);
}

/** Encrypts `source` into `sink` under a fresh key; resolves with the secrets once all is written. */
export async function encryptAttachment(source: Readable, sink: Writable): Promise<AttachmentSecrets> {
  const { stream, secrets } = createEncryptStream();
  await pipeline(source, stream, sink);
  return secrets;
}

/** Decrypts `source` into `sink`. On failure the sink has been destroyed; discard what it got. */
export async function decryptAttachment(
  source: Readable,
  sink: Writable,
  opening: AttachmentOpening,
): Promise<void> {
  await pipeline(source, createDecryptStream(opening), sink);
}

/** Encrypts a file into `outPath` (ciphertext only touches disk); a failed run leaves no output. */
export async function encryptAttachmentFile(inPath: string, outPath: string): Promise<AttachmentSecrets> {
  try {
    return await encryptAttachment(createReadStream(inPath), createWriteStream(outPath, { mode: 0o600 }));
  } catch (error) {
    await unlink(outPath).catch(() => undefined);
    throw error;
  }
}

/** SHA-256 of a file, streamed. */
export async function digestFile(path: string): Promise<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest();
}

/**
 * Decrypts a downloaded ciphertext file into `outPath`, in one streamed pass. Plaintext goes to a
 * private temporary file beside `outPath` and is renamed into place only after every chunk, the
 * digest of the whole ciphertext and the size passed. On any failure the temporary file is
 * overwritten with zeros and unlinked, and nothing appears at (or changes at) `outPath`.
 *
 * One pass is as safe as checking the digest first: every chunk is authenticated under the file
 * key before it is written, so a blob swapped or altered by anyone without the key fails at its
 * first bad chunk. `digestFirst` adds a hashing pass beforehand, for callers that want a
 * mismatching blob refused before any plaintext file exists at all (about 1.5× the I/O).
 */
export async function decryptAttachmentFile(
  cipherPath: string,
  outPath: string,
  opening: AttachmentOpening,
  options: { digestFirst?: boolean } = {},
): Promise<void> {
  const expected = checkBytes(opening.digest, ATTACHMENT_DIGEST_BYTES, 'digest');
  if (options.digestFirst === true && !timingSafeEqual(await digestFile(cipherPath), expected)) {
    throw fail('digest mismatch');
  }

  const partial = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    await pipeline(
      createReadStream(cipherPath),
      createDecryptStream(opening),
      createWriteStream(partial, { flags: 'wx', mode: 0o600 }),
    );
    await rename(partial, outPath);
  } catch (error) {
    await shred(partial);
    throw error;
  }
}

/** Best-effort overwrite with zeros, then unlink (an SSD may keep old blocks; the vault is the real guard). */
export async function shred(path: string): Promise<void> {
  let length: number;
  try {
    length = (await stat(path)).size;
  } catch {
    return;
  }
  try {
    const handle = await open(path, 'r+');
    try {
      const zeros = Buffer.alloc(Math.min(length, 1 << 20));
      for (let offset = 0; offset < length; offset += zeros.length) {
        await handle.write(zeros, 0, Math.min(zeros.length, length - offset), offset);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
