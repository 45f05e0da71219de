// Forensic helper: decrypts every page of a SQLCipher-4 database file and every frame of its WAL
// with the raw key, independently of SQLite — including free pages and unused space, which a
// logical export (sqlcipher_export, VACUUM INTO) would never show. Debian 12's `sqlcipher` CLI is
// SQLCipher 3.4 and cannot read the v4 format, hence this.
import { createDecipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/** SQLCipher 4 defaults: 4 KiB pages; each page ends with a 16-byte IV and a 64-byte HMAC-SHA512. */
const PAGE_SIZE = 4096;
const RESERVE = 80;
const SALT = 16;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

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

/** All pages of the main database file, decrypted and concatenated. */
export function decryptDatabaseFile(path: string, key: Buffer): Buffer {
  const file = readFileSync(path);
  if (file.length % PAGE_SIZE !== 0)
    throw new Error(`database size ${file.length} is not a multiple of the page size`);
  const pages: Buffer[] = [];
  for (let offset = 0; offset < file.length; offset += PAGE_SIZE) {
    pages.push(decryptPage(file.subarray(offset, offset + PAGE_SIZE), key, offset === 0));
  }
  return Buffer.concat(pages);
}

/** Every frame of the WAL (valid or stale), decrypted and concatenated; empty when there is no WAL. */
export function decryptWalFile(path: string, key: Buffer): Buffer {
  if (!existsSync(path)) return Buffer.alloc(0);
  const file = readFileSync(path);
  const frames: Buffer[] = [];
  for (
    let offset = WAL_HEADER;
    offset + FRAME_HEADER + PAGE_SIZE <= file.length;
    offset += FRAME_HEADER + PAGE_SIZE
  ) {
    const pageNumber = file.readUInt32BE(offset);
    const page = file.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + PAGE_SIZE);
    frames.push(decryptPage(page, key, pageNumber === 1));
  }
  return Buffer.concat(frames);
}

/** Counts occurrences of `needle` in `haystack`, as UTF-8 and as UTF-16LE. */
export function occurrences(haystack: Buffer, needle: string): number {
  let count = 0;
  for (const encoded of [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')]) {
    for (let at = haystack.indexOf(encoded); at !== -1; at = haystack.indexOf(encoded, at + 1)) count++;
  }
  return count;
}
