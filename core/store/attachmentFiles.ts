// Attachment files at rest: each is encrypted with its own random key (AES-256-GCM) kept in the
// database row, so the attachments/ folder holds only ciphertext; destroying one overwrites then unlinks it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  fsyncSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { WispError } from '../../common/errors';

const MAGIC = Buffer.from('WISPATT1', 'latin1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const WIPE_CHUNK = 1 << 20;

export interface EncryptedFile {
  /** Name inside the attachments folder (random, reveals nothing). */
  readonly name: string;
  readonly key: Buffer;
}

/** Encrypts and writes `data` under a fresh random name, fsyncing before the rename so a crash leaves no half file. */
export function writeEncryptedFile(dir: string, attachmentId: string, data: Uint8Array): EncryptedFile {
  const key = randomBytes(32);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(attachmentId, 'utf8'));
  const body = Buffer.concat([cipher.update(data), cipher.final()]);
  const name = randomBytes(16).toString('hex');
  const temp = join(dir, `${name}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, MAGIC);
    writeSync(fd, nonce);
    writeSync(fd, body);
    writeSync(fd, cipher.getAuthTag());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, join(dir, name));
  return { name, key };
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
