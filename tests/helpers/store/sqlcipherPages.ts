// Forensic helper: decrypts every page of a SQLCipher-4 database file and every frame of its WAL
// with the raw key, independently of SQLite — including free pages and unused space, which a
// logical export (sqlcipher_export, VACUUM INTO) would never show. Debian 12's `sqlcipher` CLI is
// SQLCipher 3.4 and cannot read the v4 format, hence this.
import { createDecipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/** SQLCipher 4 defaults: 4 KiB pages; each page ends with a 16-byte IV and a 64-byte HMAC-SHA512. */
const PAGE_SIZE = 4096;
const RESERVE = 80;
const SALT = 16;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** Plaintext of every page, and how many pages failed their HMAC (must be 0 for a complete scan). */
export interface Decrypted {
  readonly plain: Buffer;
  readonly pages: number;
  readonly badPages: number;
}

/**
 * SQLCipher 4 authenticates each page with HMAC-SHA512 over ciphertext || IV || page number (LE),
 * keyed by PBKDF2-HMAC-SHA512(raw key, salt XOR 0x3a, 2 iterations). Checking it on every page
 * proves the scan decrypted every page with the right key and layout — no page is silently garbage.
 */
function hmacKey(key: Buffer, salt: Buffer): Buffer {
  return pbkdf2Sync(key, Buffer.from(salt.map((b) => b ^ 0x3a)), 2, 32, 'sha512');
}

function pageAuthentic(page: Buffer, pageNumber: number, macKey: Buffer): boolean {
  const mac = createHmac('sha512', macKey);
  mac.update(page.subarray(pageNumber === 1 ? SALT : 0, PAGE_SIZE - RESERVE + 16));
  const number = Buffer.alloc(4);
  number.writeUInt32LE(pageNumber);
  mac.update(number);
  return mac.digest().equals(page.subarray(PAGE_SIZE - RESERVE + 16, PAGE_SIZE - RESERVE + 16 + 64));
}

function decryptPage(page: Buffer, key: Buffer, first: boolean): Buffer {
  const iv = page.subarray(PAGE_SIZE - RESERVE, PAGE_SIZE - RESERVE + 16);
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  decipher.setAutoPadding(false);
  const body = Buffer.concat([
    decipher.update(page.subarray(first ? SALT : 0, PAGE_SIZE - RESERVE)),
    decipher.final(),
  ]);
  return first ? Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), body]) : body;
}

/** All pages of the main database file (free pages included), decrypted and concatenated. */
export function decryptDatabaseFile(path: string, key: Buffer): Decrypted {
  const file = readFileSync(path);
  if (file.length % PAGE_SIZE !== 0)
    throw new Error(`database size ${file.length} is not a multiple of the page size`);
  const macKey = hmacKey(key, file.subarray(0, SALT));
  const pages: Buffer[] = [];
  let badPages = 0;
  for (let offset = 0, pageNumber = 1; offset < file.length; offset += PAGE_SIZE, pageNumber++) {
    const page = file.subarray(offset, offset + PAGE_SIZE);
    if (!pageAuthentic(page, pageNumber, macKey)) badPages++;
    pages.push(decryptPage(page, key, pageNumber === 1));
  }
  return { plain: Buffer.concat(pages), pages: pages.length, badPages };
}

/**
 * Every frame of the WAL (valid or stale), decrypted and concatenated; empty when there is no WAL.
 * Frames carry pages of the same database, so they use its salt (read from `databasePath`).
 */
export function decryptWalFile(path: string, databasePath: string, key: Buffer): Decrypted {
  if (!existsSync(path)) return { plain: Buffer.alloc(0), pages: 0, badPages: 0 };
  const file = readFileSync(path);
  const macKey = hmacKey(key, readFileSync(databasePath).subarray(0, SALT));
  const frames: Buffer[] = [];
  let badPages = 0;
  for (
    let offset = WAL_HEADER;
    offset + FRAME_HEADER + PAGE_SIZE <= file.length;
    offset += FRAME_HEADER + PAGE_SIZE
  ) {
    const pageNumber = file.readUInt32BE(offset);
    const page = file.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + PAGE_SIZE);
    if (!pageAuthentic(page, pageNumber, macKey)) badPages++;
    frames.push(decryptPage(page, key, pageNumber === 1));
  }
  return { plain: Buffer.concat(frames), pages: frames.length, badPages };
}

/** Counts occurrences of `needle` in `haystack`, as UTF-8 and as UTF-16LE. */
export function occurrences(haystack: Buffer, needle: string): number {
  let count = 0;
  for (const encoded of [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')]) {
    for (let at = haystack.indexOf(encoded); at !== -1; at = haystack.indexOf(encoded, at + 1)) count++;
  }
  return count;
}
