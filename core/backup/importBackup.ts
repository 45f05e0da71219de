// Import: decrypts a backup and rebuilds the profile in a private temporary folder beside the
// target, renamed into place only when the whole stream (trailer included) has been read. Every
// refusal happens before that rename, so a failed or cancelled import leaves no profile behind.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { WispError } from '../../common/errors';
import { ATTACHMENTS_DIR, DATABASE_FILE } from '../profile/profile';
import { METADATA_FILE, writeMetadata } from '../profile/profileMetadata';
import { EncryptedFileBuilder } from '../store/attachmentFiles';
import { openDatabase, type Connection, type WritableDb } from '../store/database';
import { migrate } from '../store/migrate';
import { migrations } from '../store/migrations/index';
import { sql } from '../store/sql';
import {
  keyStoreFor,
  newDatabaseKey,
  type KeyStore,
  type KeyStoreChoice,
  type SealedKey,
} from '../vault/index';
import { decryptFile, type Identity } from './age';
import { backupErrors, fromAgeError } from './backupErrors';
import { backupTables } from './backupTables';
import { ident, storedColumns } from './identifier';
import { ProgressMeter, type BackupProgress } from './progress';
import {
  BACKUP_KIND,
  decodeRowCells,
  FORMAT_VERSION,
  FrameReadError,
  readFrames,
  RecordType,
  type BackupHeader,
  type BackupTrailer,
  type Frame,
  type Row,
} from './recordFormat';

const BATCH_ROWS = 500;

export interface ImportOptions {
  readonly inFile: string;
  /** The new profile's folder: must not exist, or be empty. */
  readonly targetDir: string;
  /** Where the new profile keeps its database key (its own keychain entry or passphrase). */
  readonly keystore: KeyStoreChoice | KeyStore;
  /** The backup passphrase (scrypt) and/or recovery key (X25519) to try. */
  readonly identities: readonly Identity[];
  readonly now?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
}

export interface ImportResult {
  readonly profileDir: string;
  readonly accountId: string;
  readonly createdAt: number;
  readonly counts: Record<string, number>;
  /** Messages (and their attachments) whose deadline passed between export and import. */
  readonly droppedExpired: number;
}

/** The target must be new: an existing profile (or anything else) there is never overwritten. */
export function checkImportTarget(targetDir: string): void {
  const root = resolve(targetDir);
  if (!existsSync(root)) return;
  if (existsSync(join(root, METADATA_FILE)) || existsSync(join(root, DATABASE_FILE))) {
    throw new WispError('ProfileExists', 'the import target already holds a profile', {
      recovery: 'Import into a new --profile folder; the existing profile was left as it was.',
    });
  }
  if (!statSync(root).isDirectory() || readdirSync(root).length > 0) {
    throw new WispError('ProfileExists', 'the import target folder is not empty', {
      recovery: 'Import into a new or empty --profile folder.',
    });
  }
}

function parseJson(frame: Frame): unknown {
  try {
    return JSON.parse(frame.payload.toString('utf8'));
  } catch {
    throw backupErrors.corrupt();
  }
}

function parseHeader(frame: Frame | undefined): BackupHeader {
  if (frame?.type !== RecordType.header) throw backupErrors.wrongKind('no backup header');
  const value = parseJson(frame) as Partial<BackupHeader> | null;
  if (typeof value !== 'object' || value === null || typeof value.format !== 'number') {
    throw backupErrors.wrongKind('no backup header');
  }
  if (value.format !== FORMAT_VERSION) throw backupErrors.unsupportedVersion(`record format ${value.format}`);
  if (value.kind !== BACKUP_KIND) throw backupErrors.wrongKind(`a backup of kind "${String(value.kind)}"`);
  if (
    typeof value.accountId !== 'string' ||
    typeof value.createdAt !== 'number' ||
    typeof value.schemaVersion !== 'number' ||
    !Number.isInteger(value.schemaVersion) ||
    value.schemaVersion < 1
  ) {
    throw backupErrors.corrupt();
  }
  if (value.schemaVersion > migrations.length) {
    throw backupErrors.unsupportedVersion(`profile schema ${value.schemaVersion}`);
  }
  return value as BackupHeader;
}

/** Maps stream-level failures (age, framing) to backup refusals. */
async function* mappedFrames(plaintext: AsyncIterable<Buffer>): AsyncGenerator<Frame> {
  try {
    yield* readFrames(plaintext);
  } catch (error) {
    if (error instanceof FrameReadError) {
      if (error.reason === 'notWisp') throw backupErrors.wrongKind('an age file that is not a Wisp backup');
      if (error.reason === 'truncated') throw backupErrors.truncated();
      throw backupErrors.corrupt();
    }
    throw fromAgeError(error);
  }
}

export async function importBackup(options: ImportOptions): Promise<ImportResult> {
  const target = resolve(options.targetDir);
  checkImportTarget(target);
  const keyStore = keyStoreFor(options.keystore);
  let fileSize: number;
  try {
    fileSize = statSync(options.inFile).size;
  } catch (cause) {
    throw new WispError('NotFound', 'the backup file does not exist', { cause, recovery: 'Check --in.' });
  }
  const meter = new ProgressMeter('import', options.onProgress, fileSize);
  const frames = mappedFrames(decryptFile(options.inFile, options.identities, (n) => meter.bytes(n)));
  try {
    // Everything up to the header is checked before anything is created on disk.
    const first = await frames.next();
    const header = parseHeader(first.done === true ? undefined : first.value);
    checkImportTarget(target);
    const builder = await RestoreBuilder.start(target, keyStore, header, options.now ?? Date.now());
    try {
      for await (const frame of frames) {
        if (options.signal?.aborted === true) {
          throw new WispError('BackupCancelled', 'the import was cancelled', {
            recovery: 'Nothing was restored; start the import again when you are ready.',
          });
        }
        const pending = builder.apply(frame);
        if (pending !== undefined) await pending;
        if (frame.type !== RecordType.attachmentChunk) meter.record();
      }
      const result = await builder.finish();
      meter.done();
      return result;
    } catch (error) {
      await builder.discard();
      throw error;
    }
  } finally {
    // Closes the decryptor and with it the file.
    await frames.return(undefined);
  }
}

/** The profile being rebuilt in its temporary folder. */
class RestoreBuilder {
  readonly #temp: string;
  readonly #target: string;
  readonly #keyStore: KeyStore;
  readonly #sealed: SealedKey;
  readonly #profileId: string;
  readonly #connection: Connection;
  readonly #write: WritableDb;
  readonly #header: BackupHeader;
  readonly #now: number;
  readonly #columns = new Map<string, Set<string>>();
  readonly #counts: Record<string, number> = {};
  readonly #skippedMessages = new Set<string>();
  #pending: { table: string; row: Row }[] = [];
  #file: { id: string; size: number; builder: EncryptedFileBuilder | null; written: number } | null = null;
  #files = 0;
  #fileBytes = 0;
  #dropped = 0;
  #trailer: BackupTrailer | null = null;
  #closed = false;
  /** Attachment files still being written, fsynced and renamed in the background (null: done). */
  readonly #durable: Promise<Error | null>[] = [];

  private constructor(
    temp: string,
    target: string,
    keyStore: KeyStore,
    sealed: SealedKey,
    profileId: string,
    db: { connection: Connection; write: WritableDb },
    header: BackupHeader,
    now: number,
  ) {
    this.#temp = temp;
    this.#target = target;
    this.#keyStore = keyStore;
    this.#sealed = sealed;
    this.#profileId = profileId;
    this.#connection = db.connection;
    this.#write = db.write;
    this.#header = header;
    this.#now = now;
  }

  static async start(
    target: string,
    keyStore: KeyStore,
    header: BackupHeader,
    now: number,
  ): Promise<RestoreBuilder> {
    const profileId = randomUUID();
    const key = newDatabaseKey();
    let sealed: SealedKey;
    try {
      sealed = await keyStore.seal(profileId, key);
    } catch (cause) {
      key.fill(0);
      throw cause;
    }
    const temp = join(dirname(target), `.${basename(target)}.import-${randomBytes(6).toString('hex')}`);
    try {
      mkdirSync(join(temp, ATTACHMENTS_DIR), { recursive: true, mode: 0o700 });
      const db = openDatabase({ path: join(temp, DATABASE_FILE), key, create: true });
      // A throwaway file until the rename: durability comes from one checkpoint at the end.
      db.connection.pragma('synchronous = OFF');
      // The rows are written at the schema they were read at; later migrations then run as they
      // would on any old profile.
      migrate(db.write, header.schemaVersion);
      return new RestoreBuilder(temp, target, keyStore, sealed, profileId, db, header, now);
    } catch (cause) {
      rmSync(temp, { recursive: true, force: true });
      await keyStore.discard(sealed).catch(() => undefined);
      throw cause;
    } finally {
      key.fill(0);
    }
  }

  /** Applies one record; an attachment chunk returns a promise when its write queue is full. */
  apply(frame: Frame): Promise<void> | undefined {
    if (this.#trailer !== null) throw backupErrors.corrupt();
    switch (frame.type) {
      case RecordType.row:
        this.#row(parseJson(frame));
        return undefined;
      case RecordType.attachmentStart:
        this.#startFile(parseJson(frame));
        return undefined;
      case RecordType.attachmentChunk:
        return this.#chunk(frame.payload);
      case RecordType.attachmentEnd:
        this.#endFile(parseJson(frame));
        return undefined;
      case RecordType.trailer:
        this.#flush();
        this.#trailer = parseJson(frame) as BackupTrailer;
        return undefined;
      default:
        throw backupErrors.corrupt();
    }
  }

  #columnsOf(table: string): Set<string> {
    let columns = this.#columns.get(table);
    if (columns === undefined) {
      if (!backupTables.some((t) => t.table === table)) throw backupErrors.corrupt();
      columns = new Set(storedColumns(this.#write, table));
      this.#columns.set(table, columns);
    }
    return columns;
  }

  #row(value: unknown): void {
    if (this.#file !== null) throw backupErrors.corrupt();
    const record = value as { table?: unknown; row?: unknown };
    if (typeof record?.table !== 'string') throw backupErrors.corrupt();
    const row = decodeRowCells(record.row);
    const columns = this.#columnsOf(record.table);
    if (row === null || Object.keys(row).some((c) => !columns.has(c))) throw backupErrors.corrupt();
    this.#counts[record.table] = (this.#counts[record.table] ?? 0) + 1;
    if (record.table === 'messages' && this.#isDue(row)) {
      this.#skippedMessages.add(String(row.id));
      this.#dropped++;
      return;
    }
    // The outbox stays with the device that queued it (backupTables.ts), so nothing here would
    // ever send a copy still pending: it comes back as failed, which the user can retry.
    if (record.table === 'messages' && row.outgoing === 1 && row.state === 'sending') row.state = 'failed';
    if (record.table === 'attachments' && this.#skippedMessages.has(String(row.message_id))) {
      this.#skippedMessages.add(`attachment:${String(row.id)}`);
      return;
    }
    this.#pending.push({ table: record.table, row });
    if (this.#pending.length >= BATCH_ROWS) this.#flush();
  }

  /** A deadline that passed between export and import: the message does not come back. */
  #isDue(row: Row): boolean {
    const deadlines = [row.expires_at, row.burn_at].filter((d): d is number => typeof d === 'number');
    return deadlines.some((d) => d <= this.#now);
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    try {
      this.#write.transaction(() => {
        for (const { table, row } of batch) {
          const names = Object.keys(row);
          this.#write.run(
            sql`INSERT INTO ${ident(table)} (${sql.join(names.map(ident))}) VALUES (${sql.join(names.map((n) => row[n]!))})`,
          );
        }
      });
    } catch (cause) {
      if (cause instanceof WispError) throw cause;
      throw backupErrors.corrupt(cause);
    }
  }

  #startFile(value: unknown): void {
    const start = value as { id?: unknown; size?: unknown };
    if (this.#file !== null || typeof start?.id !== 'string' || typeof start.size !== 'number') {
      throw backupErrors.corrupt();
    }
    this.#flush();
    const skipped = this.#skippedMessages.has(`attachment:${start.id}`);
    if (!skipped) {
      const exists = this.#write.value<number>(sql`SELECT count(*) FROM attachments WHERE id = ${start.id}`);
      if (exists !== 1) throw backupErrors.corrupt();
    }
    this.#file = {
      id: start.id,
      size: start.size,
      builder: skipped ? null : new EncryptedFileBuilder(join(this.#temp, ATTACHMENTS_DIR), start.id),
      written: 0,
    };
  }

  #chunk(bytes: Buffer): Promise<void> | undefined {
    if (this.#file === null) throw backupErrors.corrupt();
    this.#file.written += bytes.length;
    // Re-encrypted here, written on the thread pool: this thread goes on parsing while the
    // kernel copies the last MiB (the chunk's bytes are not used again once `write` returns).
    return this.#file.builder?.write(bytes);
  }

  #endFile(value: unknown): void {
    const end = value as { id?: unknown; size?: unknown };
    const file = this.#file;
    if (file === null || end?.id !== file.id || end.size !== file.written || file.size !== file.written) {
      throw backupErrors.corrupt();
    }
    this.#file = null;
    this.#files++;
    this.#fileBytes += file.written;
    if (file.builder === null) return;
    // The fsync and rename go on in the background; `finish` waits for them before the folder
    // is renamed into place, and nothing refers to the file outside this folder before then.
    const { file: stored, durable } = file.builder.finishQueued();
    this.#durable.push(
      durable.then(
        () => null,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
    );
    this.#write.run(
      sql`UPDATE attachments SET local_path = ${stored.name}, local_key = ${stored.key} WHERE id = ${file.id}`,
    );
  }

  async finish(): Promise<ImportResult> {
    const trailer = this.#trailer;
    // No trailer: the stream stopped at a record boundary. Counts that differ: records went missing.
    if (trailer === null || this.#file !== null) throw backupErrors.truncated();
    const expected = trailer.counts ?? {};
    const tables = new Set([...Object.keys(expected), ...Object.keys(this.#counts)]);
    for (const table of tables) {
      if ((expected[table] ?? 0) !== (this.#counts[table] ?? 0)) throw backupErrors.truncated();
    }
    if (trailer.attachmentFiles !== this.#files || trailer.attachmentBytes !== this.#fileBytes) {
      throw backupErrors.truncated();
    }
    for (const failure of await Promise.all(this.#durable)) {
      if (failure !== null) throw failure;
    }
    // Unread counters follow the messages that actually came back.
    this.#write.run(sql`
      UPDATE conversations SET unread_count = (
        SELECT count(*) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.outgoing = 0 AND m.seen_at IS NULL)`);
    try {
      migrate(this.#write);
    } catch (cause) {
      throw backupErrors.corrupt(cause);
    }
    this.#connection.pragma('synchronous = FULL');
    this.#connection.pragma('wal_checkpoint(TRUNCATE)');
    this.#close();
    for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) {
      if (existsSync(join(this.#temp, name))) chmodSync(join(this.#temp, name), 0o600);
    }
    writeMetadata(this.#temp, {
      format: 1,
      profileId: this.#profileId,
      createdAt: this.#now,
      key: this.#sealed,
    });
    // Checked once more right before the rename: another process may have made a profile there.
    checkImportTarget(this.#target);
    if (existsSync(this.#target)) rmdirSync(this.#target);
    renameSync(this.#temp, this.#target);
    return {
      profileDir: this.#target,
      accountId: this.#header.accountId,
      createdAt: this.#header.createdAt,
      counts: { ...this.#counts },
      droppedExpired: this.#dropped,
    };
  }

  async discard(): Promise<void> {
    await this.#file?.builder?.abortQueued();
    this.#file = null;
    // Files still being fsynced and renamed finish first, so nothing lands in a removed folder.
    await Promise.all(this.#durable);
    this.#close();
    rmSync(this.#temp, { recursive: true, force: true });
    await this.#keyStore.discard(this.#sealed).catch(() => undefined);
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.close();
  }
}
