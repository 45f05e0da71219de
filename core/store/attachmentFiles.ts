// Attachment files at rest: each is encrypted with its own random key (AES-256-GCM) kept in the
// database row, so the attachments/ folder holds only ciphertext; destroying one overwrites then unlinks it.
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  fsync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WispError } from '../../common/errors';
import { QueuedWriter } from './queuedWriter';

const MAGIC = Buffer.from('WISPATT1', 'latin1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const WIPE_CHUNK = 1 << 20;
const READ_CHUNK = 1 << 20;

export interface EncryptedFile {
  /** Name inside the attachments folder (random, reveals nothing). */
  readonly name: string;
  readonly key: Buffer;
  /** Plaintext bytes. */
  readonly size: number;
}

/**
 * Writes an encrypted file chunk by chunk, so a large attachment never sits in memory: a temporary
 * name until `finish()` writes the tag, fsyncs and renames it into place (a crash leaves no half
 * file under a real name; the start-up sweep wipes the temporary one). `abort()` wipes it.
 */
export class EncryptedFileBuilder {
  readonly #dir: string;
  readonly #name = randomBytes(16).toString('hex');
  readonly #key = randomBytes(32);
  readonly #cipher: CipherGCM;
  readonly #fd: number;
  /** Positions every write; `write()` queues through it, `update()` writes in place. */
  readonly #writer: QueuedWriter;
  #size = 0;
  #open = true;
  #durable: Promise<void> | null = null;

  constructor(dir: string, attachmentId: string) {
    this.#dir = dir;
    const nonce = randomBytes(NONCE_BYTES);
    this.#cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    this.#cipher.setAAD(Buffer.from(attachmentId, 'utf8'));
    this.#fd = openSync(this.#temp, 'wx', 0o600);
    this.#writer = new QueuedWriter(this.#fd);
    try {
      this.#writeSync(MAGIC);
      this.#writeSync(nonce);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  get #temp(): string {
    return join(this.#dir, `${this.#name}.tmp`);
  }

  get size(): number {
    return this.#size;
  }

  #writeSync(bytes: Buffer): void {
    if (this.#writer.busy) throw new WispError('Internal', 'queued writes are still in flight');
    this.#writer.advance(writeSync(this.#fd, bytes, 0, bytes.length, this.#writer.position));
  }

  #checkOpen(): void {
    if (!this.#open) throw new WispError('Internal', 'the encrypted file is already closed');
  }

  update(chunk: Uint8Array): void {
    this.#checkOpen();
    this.#writeSync(this.#cipher.update(chunk));
    this.#size += chunk.byteLength;
  }

  /**
   * `update` with the write queued on the thread pool instead of made on this thread (a backup
   * import re-encrypts ~1 GB here while a worker decrypts), writeback started as the file grows
   * (QueuedWriter): resolves once no more than a few MiB are in flight; a failed write surfaces
   * at the next call. Use `finishQueued` / `abortQueued` with it.
   */
  async write(chunk: Uint8Array): Promise<void> {
    this.#checkOpen();
    const out = this.#cipher.update(chunk);
    this.#size += chunk.byteLength;
    await this.#writer.write(out);
  }

  finish(): EncryptedFile {
    this.#checkOpen();
    try {
      this.#writeSync(this.#cipher.final());
      this.#writeSync(this.#cipher.getAuthTag());
      fsyncSync(this.#fd);
    } catch (error) {
      this.abort();
      throw error;
    }
    this.#open = false;
    closeSync(this.#fd);
    renameSync(this.#temp, join(this.#dir, this.#name));
    return { name: this.#name, key: this.#key, size: this.#size };
  }

  /**
   * Ends a file written with `write`: the tag is queued after the body, and the file is returned
   * at once with `durable`, which resolves once every write has landed, the file is fsynced,
   * closed and renamed to its real name (or rejects, the temporary file wiped). Until then it is
   * still under its temporary name; the caller must await `durable` before relying on the file.
   */
  finishQueued(): { file: EncryptedFile; durable: Promise<void> } {
    this.#checkOpen();
    this.#writer.queue(this.#cipher.final());
    this.#writer.queue(this.#cipher.getAuthTag());
    this.#open = false;
    const durable = (this.#durable = (async () => {
      try {
        await this.#writer.drain();
        await new Promise<void>((resolve, reject) =>
          fsync(this.#fd, (error) => (error === null ? resolve() : reject(error))),
        );
      } catch (error) {
        await this.#writer.settle();
        closeSync(this.#fd);
        wipeFile(this.#temp);
        throw error;
      }
      closeSync(this.#fd);
      await rename(this.#temp, join(this.#dir, this.#name));
    })());
    return { file: { name: this.#name, key: this.#key, size: this.#size }, durable };
  }

  /** Overwrites and removes what was written; safe to call more than once. */
  abort(): void {
    if (this.#writer.busy) {
      // Closing under a queued write could let it land in whatever file reuses the descriptor.
      throw new WispError('Internal', 'queued writes are still in flight; use abortQueued');
    }
    if (this.#open) {
      this.#open = false;
      closeSync(this.#fd);
    }
    wipeFile(this.#temp);
  }

  /**
   * `abort` for a file written with `write`: waits for the queued writes (or a `finishQueued`
   * in progress), then wipes the file under either name.
   */
  async abortQueued(): Promise<void> {
    if (this.#durable !== null) {
      await this.#durable.catch(() => undefined);
      wipeFile(this.#temp);
      wipeFile(join(this.#dir, this.#name));
      return;
    }
    const wasOpen = this.#open;
    this.#open = false;
    await this.#writer.settle();
    if (wasOpen) closeSync(this.#fd);
    wipeFile(this.#temp);
  }

  /** A Writable over this builder, for stream pipelines (the caller still calls finish or abort). */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        try {
          this.update(chunk);
          done();
        } catch (error) {
          done(error as Error);
        }
      },
    });
  }
}

/** Encrypts and writes `data` under a fresh random name (small files; see EncryptedFileBuilder). */
export function writeEncryptedFile(dir: string, attachmentId: string, data: Uint8Array): EncryptedFile {
  const builder = new EncryptedFileBuilder(dir, attachmentId);
  try {
    builder.update(data);
  } catch (error) {
    builder.abort();
    throw error;
  }
  return builder.finish();
}

/** The error for an attachment file that is not what was written (exported for the backup's reader). */
export function attachmentFileDamaged(cause?: unknown): WispError {
  return new WispError('DatabaseCorrupt', 'an attachment file failed its integrity check', { cause });
}

/** Where an attachment file's parts lie: its body is `[headerLength, size - 16)`. */
export interface EncryptedFileLayout {
  readonly path: string;
  readonly size: number;
  readonly headerLength: number;
  readonly nonce: Buffer;
  readonly tag: Buffer;
}

/**
 * Checks an attachment file's size and magic and reads its nonce and tag (NotFound when it is
 * missing, DatabaseCorrupt when it cannot be one of ours), for a decipher made here or elsewhere
 * (a backup export decrypts on a worker thread).
 */
export function encryptedFileLayout(dir: string, name: string): EncryptedFileLayout {
  const path = join(dir, name);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new WispError('NotFound', 'the attachment file is missing', { cause });
  }
  const header = Buffer.alloc(MAGIC.length + NONCE_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  const fd = openSync(path, 'r');
  try {
    if (size < header.length + TAG_BYTES) throw attachmentFileDamaged();
    readSync(fd, header, 0, header.length, 0);
    readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    closeSync(fd);
  }
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw attachmentFileDamaged();
  return { path, size, headerLength: header.length, nonce: header.subarray(MAGIC.length), tag };
}

/**
 * Opens an attachment file for decryption: returns its layout and a decipher bound to the
 * attachment id. The tag is verified only when the decipher is finished.
 */
function openEncryptedFile(
  dir: string,
  name: string,
  attachmentId: string,
  key: Buffer,
): { path: string; size: number; headerLength: number; decipher: DecipherGCM } {
  const { path, size, headerLength, nonce, tag } = encryptedFileLayout(dir, name);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(attachmentId, 'utf8'));
  decipher.setAuthTag(tag);
  return { path, size, headerLength, decipher };
}

/**
 * Decrypts an attachment file into `outPath` in one streamed pass. The plaintext goes to a private
 * temporary file beside `outPath` and is renamed into place only once the authentication tag has
 * verified; on any failure that file is wiped and nothing appears at (or changes at) `outPath`.
 */
export async function decryptFileTo(
  dir: string,
  name: string,
  attachmentId: string,
  key: Buffer,
  outPath: string,
): Promise<void> {
  const { path, size, headerLength, decipher } = openEncryptedFile(dir, name, attachmentId, key);
  const partial = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    const body =
      size - TAG_BYTES > headerLength
        ? createReadStream(path, { start: headerLength, end: size - TAG_BYTES - 1 })
        : Readable.from([]);
    await pipeline(body, decipher, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    renameSync(partial, outPath);
  } catch (cause) {
    wipeFile(partial);
    if (cause instanceof WispError) throw cause;
    const code = (cause as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EEXIST') {
      throw new WispError('InvalidInput', 'the attachment cannot be written there', { cause });
    }
    throw attachmentFileDamaged(cause);
  }
}

/**
 * Yields an attachment's plaintext chunk by chunk without writing it anywhere (backups stream it
 * into their own encryption). The tag is checked after the last chunk: a consumer must treat the
 * bytes as unverified until the generator returns, and discard its output if it throws.
 */
export async function* readEncryptedFileChunks(
  dir: string,
  name: string,
  attachmentId: string,
  key: Buffer,
): AsyncGenerator<Buffer> {
  const { path, size, headerLength, decipher } = openEncryptedFile(dir, name, attachmentId, key);
  const end = size - TAG_BYTES;
  if (end > headerLength) {
    // One read buffer for the whole file (update copies out of it before the next read): a fresh
    // MiB per read was garbage that cost a backup export most of its main-thread GC time.
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.allocUnsafeSlow(Math.min(READ_CHUNK, end - headerLength));
      for (let position = headerLength; position < end;) {
        const want = Math.min(buffer.length, end - position);
        const { bytesRead } = await handle.read(buffer, 0, want, position);
        if (bytesRead === 0) throw attachmentFileDamaged();
        position += bytesRead;
        yield decipher.update(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  }
  try {
    decipher.final();
  } catch (cause) {
    throw attachmentFileDamaged(cause);
  }
}

export function readEncryptedFile(dir: string, name: string, attachmentId: string, key: Buffer): Buffer {
  let file: Buffer;
  try {
    file = readFileSync(join(dir, name));
  } catch (cause) {
    throw new WispError('NotFound', 'the attachment file is missing', { cause });
  }
  if (file.length < MAGIC.length + NONCE_BYTES + TAG_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new WispError('DatabaseCorrupt', 'an attachment file is damaged');
  }
  const nonce = file.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
  const tag = file.subarray(file.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(attachmentId, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([
      decipher.update(file.subarray(MAGIC.length + NONCE_BYTES, file.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (cause) {
    throw new WispError('DatabaseCorrupt', 'an attachment file failed its integrity check', { cause });
  }
}

/**
 * Overwrites a file with zeros, fsyncs, then unlinks it. On copy-on-write or wear-levelled storage
 * the old blocks may survive the overwrite; they hold only ciphertext whose key was deleted with
 * its row (secure_delete), which is the guarantee we rely on.
 */
export function wipeFile(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // already gone
  }
  const fd = openSync(path, 'r+');
  try {
    const zeros = Buffer.alloc(Math.min(WIPE_CHUNK, Math.max(size, 1)));
    for (let offset = 0; offset < size; offset += zeros.length) {
      writeSync(fd, zeros, 0, Math.min(zeros.length, size - offset), offset);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
}

/** Wipes files in `dir` that no row refers to (left by a crash between a delete and its unlink). */
export function sweepOrphanFiles(dir: string, referenced: ReadonlySet<string>): number {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let wiped = 0;
  for (const name of readdirSync(dir)) {
    if (!referenced.has(name)) {
      wipeFile(join(dir, name));
      wiped++;
    }
  }
  return wiped;
}
