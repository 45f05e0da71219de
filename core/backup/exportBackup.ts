// Export: reads a profile's tables and attachment files into the record stream and encrypts it with
// age to a temporary file beside the target, renamed into place only once complete.
import { randomBytes } from 'node:crypto';
import { closeSync, fsync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { WispError } from '../../common/errors';
import { readEncryptedFileChunks } from '../store/attachmentFiles';
import { AttachmentReader } from './attachmentReader';
import { QueuedWriter } from '../store/queuedWriter';
import type { ReadableDb } from '../store/database';
import { schemaVersion } from '../store/migrate';
import { sql } from '../store/sql';
import type { Store } from '../store/store';
import { encodeIdentity, encrypt, generateX25519SecretKey, x25519PublicKey, type Recipient } from './age';
import { backupTables, EXPORT_DEADLINE_MARGIN_MS } from './backupTables';
import { ident, storedColumns } from './identifier';
import {
  BACKUP_KIND,
  encodeRow,
  FORMAT_VERSION,
  frame,
  jsonFrame,
  MAGIC,
  RecordType,
  type BackupHeader,
  type BackupTrailer,
  type Row,
} from './recordFormat';
import { ProgressMeter, type BackupProgress } from './progress';

const PAGE_ROWS = 500;
/** Attachment bytes per chunk record: large enough that framing costs little per MiB. */
const ATTACHMENT_CHUNK = 1024 * 1024;

export type ExportProtection =
  | { readonly kind: 'passphrase'; readonly passphrase: string; readonly workFactor?: number }
  | { readonly kind: 'recoveryKey' };

export interface ExportOptions {
  readonly store: Store;
  readonly attachmentsDir: string;
  readonly outFile: string;
  readonly protection: ExportProtection;
  readonly now?: number;
  /** Aborting stops the export and removes its partial file (BackupCancelled). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
}

export interface ExportResult {
  readonly file: string;
  readonly bytes: number;
  readonly records: number;
  readonly counts: Record<string, number>;
  /** Only for `recoveryKey`: the age identity that opens the file, shown once and never stored. */
  readonly recoveryKey?: string;
}

interface AttachmentFileRow {
  id: string;
  local_path: string | null;
  local_key: Buffer | null;
  size: number;
}

/** The plaintext record stream of a backup (what age encrypts). */
export async function* backupRecords(
  store: Store,
  attachmentsDir: string,
  now: number,
  meter: ProgressMeter,
  summary: { trailer?: BackupTrailer } = {},
  reader?: AttachmentReader,
): AsyncGenerator<Buffer> {
  const read: ReadableDb = store.read;
  const identity = store.identity.get();
  if (identity === undefined)
    throw new WispError('ProfileNotFound', 'this profile has no identity to back up');
  const header: BackupHeader = {
    format: FORMAT_VERSION,
    kind: BACKUP_KIND,
    createdAt: now,
    accountId: identity.accountId,
    schemaVersion: schemaVersion(store.write),
  };
  yield MAGIC;
  yield* jsonFrame(RecordType.header, header);
  const cutoff = now + EXPORT_DEADLINE_MARGIN_MS;
  const counts: Record<string, number> = {};
  let attachmentFiles = 0;
  let attachmentBytes = 0;

  for (const spec of backupTables) {
    const omit = new Set(spec.omit ?? []);
    const columns = storedColumns(read, spec.table).filter((c) => !omit.has(c));
    const select = sql.join(columns.map(ident));
    const where = spec.exportWhere ? spec.exportWhere(cutoff) : sql`1`;
    counts[spec.table] = 0;
    const emit = async function* (rows: (Row & { __rowid?: number })[]): AsyncGenerator<Buffer> {
      for (const { __rowid: _rowid, ...row } of rows) {
        yield* encodeRow(spec.table, row);
        counts[spec.table]!++;
        meter.record();
        if (spec.table === 'attachments') {
          const file = read.get<AttachmentFileRow>(
            sql`SELECT id, local_path, local_key, size FROM attachments WHERE id = ${row.id as string}`,
          );
          if (file?.local_path != null && file.local_key != null) {
            attachmentFiles++;
            attachmentBytes += yield* attachmentRecords(attachmentsDir, file, meter, reader);
          }
        }
      }
    };
    if (spec.paged === true) {
      let after = -1;
      for (;;) {
        const page = read.all<Row & { __rowid: number }>(
          sql`SELECT rowid AS __rowid, ${select} FROM ${ident(spec.table)}
              WHERE (${where}) AND rowid > ${after} ORDER BY rowid LIMIT ${PAGE_ROWS}`,
        );
        if (page.length === 0) break;
        after = page[page.length - 1]!.__rowid;
        yield* emit(page);
      }
    } else {
      yield* emit(read.all<Row>(sql`SELECT ${select} FROM ${ident(spec.table)} WHERE ${where}`));
    }
  }
  const trailer: BackupTrailer = { counts, attachmentFiles, attachmentBytes };
  summary.trailer = trailer;
  yield* jsonFrame(RecordType.trailer, trailer);
}

async function* attachmentRecords(
  dir: string,
  file: AttachmentFileRow,
  meter: ProgressMeter,
  reader?: AttachmentReader,
): AsyncGenerator<Buffer, number> {
  yield* jsonFrame(RecordType.attachmentStart, { id: file.id, size: file.size });
  let bytes = 0;
  // Plaintext goes straight from the at-rest decryption (on the reader's worker when there is one)
  // into the age stream: no temp file. The at-rest tag is checked at the end; if it fails, the
  // export throws and its file is removed. A chunk is consumed (copied into a STREAM run) before
  // the next is asked for, which is all the reader's recycling needs.
  const chunks =
    reader === undefined
      ? readEncryptedFileChunks(dir, file.local_path!, file.id, file.local_key!)
      : reader.chunks(dir, file.local_path!, file.id, file.local_key!);
  for await (const plain of chunks) {
    for (let offset = 0; offset < plain.length; offset += ATTACHMENT_CHUNK) {
      const piece = plain.subarray(offset, offset + ATTACHMENT_CHUNK);
      yield* frame(RecordType.attachmentChunk, piece);
      bytes += piece.length;
    }
  }
  yield* jsonFrame(RecordType.attachmentEnd, { id: file.id, size: bytes });
  meter.record();
  return bytes;
}

export async function exportBackup(options: ExportOptions): Promise<ExportResult> {
  const now = options.now ?? Date.now();
  const out = resolve(options.outFile);
  let recipient: Recipient;
  let recoveryKey: string | undefined;
  if (options.protection.kind === 'passphrase') {
    if (options.protection.passphrase.length === 0) {
      throw new WispError('InvalidInput', 'the backup passphrase is empty', {
        recovery: 'Set WISP_BACKUP_PASSPHRASE or pass --passphrase-file, or use --recovery-key.',
      });
    }
    recipient = {
      kind: 'scrypt',
      passphrase: options.protection.passphrase,
      ...(options.protection.workFactor === undefined ? {} : { workFactor: options.protection.workFactor }),
    };
  } else {
    const secret = generateX25519SecretKey();
    recipient = { kind: 'x25519', publicKey: x25519PublicKey(secret) };
    recoveryKey = encodeIdentity(secret);
    secret.fill(0);
  }
  const meter = new ProgressMeter('export', options.onProgress, totalAttachmentBytes(options.store, now));
  const temp = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.partial`);
  const summary: { trailer?: BackupTrailer } = {};
  const reader = new AttachmentReader();
  const records = backupRecords(options.store, options.attachmentsDir, now, meter, summary, reader);
  // Sealed runs go back to the STREAM worker once written, to be sealed into again.
  const recycler: { giveBack: ((memory: ArrayBufferLike) => void) | null } = { giveBack: null };
  const age = encrypt(records, [recipient], recycler);
  let fd: number | null = null;
  let writer: QueuedWriter | null = null;
  try {
    fd = openSync(temp, 'wx', 0o600);
    // Written on the thread pool while this thread and the STREAM worker make the next MiB, with
    // writeback started as the file grows, so the fsync below waits for the last few MiB only.
    writer = new QueuedWriter(fd);
    for await (const chunk of age) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      meter.bytes(chunk.length);
      await writer.write(chunk, () => recycler.giveBack?.(chunk.buffer));
    }
    await writer.drain();
    const synced = fd;
    await new Promise<void>((resolve, reject) =>
      fsync(synced, (error) => (error === null ? resolve() : reject(error))),
    );
    closeSync(fd);
    fd = null;
    renameSync(temp, out);
    await reader.close();
  } catch (cause) {
    await age.return(undefined);
    await writer?.settle();
    await reader.close();
    if (fd !== null) closeSync(fd);
    rmSync(temp, { force: true });
    if (options.signal?.aborted === true) {
      throw new WispError('BackupCancelled', 'the export was cancelled', {
        cause,
        recovery: 'No backup was written; run the export again when you are ready.',
      });
    }
    const code = (cause as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EEXIST' || code === 'EISDIR') {
      throw new WispError('InvalidInput', 'the backup cannot be written there', {
        cause,
        recovery: 'Choose an --out path in a folder you can write to.',
      });
    }
    throw cause;
  }
  meter.done();
  return {
    file: out,
    bytes: meter.totalBytes,
    records: meter.records,
    counts: summary.trailer?.counts ?? {},
    ...(recoveryKey === undefined ? {} : { recoveryKey }),
  };
}

function totalAttachmentBytes(store: Store, now: number): number {
  const cutoff = now + EXPORT_DEADLINE_MARGIN_MS;
  const spec = backupTables.find((t) => t.table === 'attachments')!;
  return (
    store.read.value<number>(
      sql`SELECT coalesce(sum(size), 0) FROM attachments WHERE local_path IS NOT NULL AND ${spec.exportWhere!(cutoff)}`,
    ) ?? 0
  );
}
