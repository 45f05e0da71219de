// The record stream inside a backup's age payload (docs/BACKUP.md): a magic line, then frames of
// [type u8][length u32 BE][payload]. Table rows are JSON with blobs as {"$b": base64}; attachment
// bytes travel as raw chunk frames so a large file never sits in memory.
import { ByteReader } from './age/byteReader';

export const MAGIC = Buffer.from('WISP-BACKUP\n', 'latin1');
/** The record stream's format version; bump it only for a change old importers cannot read. */
export const FORMAT_VERSION = 1;
export const BACKUP_KIND = 'profile';
/** A row or control record larger than this is refused on import (attachment chunks are at most 1 MiB). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export const RecordType = {
  header: 1,
  row: 2,
  attachmentStart: 3,
  attachmentChunk: 4,
  attachmentEnd: 5,
  trailer: 6,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export interface BackupHeader {
  format: number;
  kind: string;
  createdAt: number;
  accountId: string;
  /** The profile database's schema version (PRAGMA user_version) the rows were read at. */
  schemaVersion: number;
}

export interface BackupTrailer {
  /** Rows per table, attachment files and their plaintext bytes: what a complete stream holds. */
  counts: Record<string, number>;
  attachmentFiles: number;
  attachmentBytes: number;
}

export type SqlCell = string | number | bigint | Buffer | null;
export type Row = Record<string, SqlCell>;

export function frame(type: RecordType, payload: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(5);
  head[0] = type;
  head.writeUInt32BE(payload.length, 1);
  return [head, payload];
}

export function jsonFrame(type: RecordType, value: unknown): Buffer[] {
  return frame(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

export function encodeRow(table: string, row: Row): Buffer[] {
  const cells: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    cells[column] = Buffer.isBuffer(value)
      ? { $b: value.toString('base64') }
      : typeof value === 'bigint'
        ? { $i: value.toString() }
        : value;
  }
  return jsonFrame(RecordType.row, { table, row: cells });
}

/** Returns the row, or null when a cell has a shape no writer produces. */
export function decodeRowCells(cells: unknown): Row | null {
  if (typeof cells !== 'object' || cells === null || Array.isArray(cells)) return null;
  const row: Row = {};
  for (const [column, value] of Object.entries(cells as Record<string, unknown>)) {
    if (value === null || typeof value === 'string' || typeof value === 'number') {
      row[column] = value;
    } else if (typeof value === 'object' && typeof (value as { $b?: unknown }).$b === 'string') {
      row[column] = Buffer.from((value as { $b: string }).$b, 'base64');
    } else if (typeof value === 'object' && typeof (value as { $i?: unknown }).$i === 'string') {
      row[column] = BigInt((value as { $i: string }).$i);
    } else {
      return null;
    }
  }
  return row;
}

export interface Frame {
  type: number;
  payload: Buffer;
}

export type FrameError = 'notWisp' | 'truncated' | 'tooLarge';

export class FrameReadError extends Error {
  readonly reason: FrameError;
  constructor(reason: FrameError) {
    super(reason);
    this.reason = reason;
  }
}

/**
 * Reads the magic and then frames from decrypted plaintext; `done` once the source ends cleanly.
 * An attachmentChunk frame may come out as several frames whose payloads are its consecutive pieces.
 * Payloads are views into the plaintext; from a RecyclingSource (age's decryptFile) they are valid
 * only until the next frame is asked for, so a consumer copies (or parses) what it keeps.
 */
export async function* readFrames(plaintext: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  const reader = new ByteReader(plaintext);
  try {
    if ((await reader.fill(MAGIC.length)) < MAGIC.length || !reader.take(MAGIC.length).equals(MAGIC)) {
      throw new FrameReadError('notWisp');
    }
    for (;;) {
      const available = await reader.fill(5);
      if (available === 0) return;
      if (available < 5) throw new FrameReadError('truncated');
      const head = reader.take(5);
      const type = head[0]!;
      const length = head.readUInt32BE(1);
      if (length > MAX_FRAME_BYTES) throw new FrameReadError('tooLarge');
      if ((await reader.fill(length)) < length) throw new FrameReadError('truncated');
      // Views into decrypted chunks: the age layer yields a fresh buffer per chunk, never reused.
      // An attachment chunk straddles two of them; it comes out as consecutive pieces of the same
      // type rather than joined, which would copy each MiB once more.
      if (type === RecordType.attachmentChunk && length > 0) {
        for (const payload of reader.takeParts(length)) yield { type, payload };
      } else {
        yield { type, payload: reader.take(length) };
      }
    }
  } finally {
    await reader.close();
  }
}
