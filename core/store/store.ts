// The typed store over one profile's encrypted database: repositories, secure destruction of
// messages, WAL truncation, and rekey. Synchronous like better-sqlite3 underneath.
import { join } from 'node:path';
import { WispError } from '../../common/errors';
import { loggerFor } from '../log';
import type { DatabaseKey } from '../vault/keyStore';
import {
  openDatabase,
  rekeyConnection,
  type Connection,
  type ReadableDb,
  type SlowQueryLogger,
  type WritableDb,
} from './database';
import { migrate } from './migrate';
import { sql } from './sql';
import { sweepOrphanFiles, wipeFile } from './attachmentFiles';
import { IdentityRepo } from './repos/identityRepo';
import { ContactsRepo } from './repos/contactsRepo';
import { ConversationsRepo } from './repos/conversationsRepo';
import { MessagesRepo } from './repos/messagesRepo';
import { AttachmentsRepo } from './repos/attachmentsRepo';
import { SettingsRepo } from './repos/settingsRepo';
import { InboxRepo } from './repos/inboxRepo';
import { OutboxRepo } from './repos/outboxRepo';
import { SignalRepo } from './repos/signalRepo';
import { UnreportedRepo } from './repos/unreportedRepo';

const log = loggerFor('store');

export interface OpenStoreOptions {
  /** The SQLCipher database file. */
  readonly path: string;
  readonly key: DatabaseKey;
  /** Folder of encrypted attachment files belonging to this database. */
  readonly attachmentsDir: string;
  readonly create?: boolean;
  readonly onSlowQuery?: SlowQueryLogger;
  /** How soon after a destruction the WAL is truncated; several destructions share one checkpoint. */
  readonly checkpointDelayMs?: number;
  /** Benchmarks only (see openDatabase). */
  readonly unencryptedForBenchmark?: boolean;
}

/** Why a message is being destroyed; only an unseen incoming message reaching its deadline counts as "expired unread". */
export type DestroyReason = 'deadline' | 'user' | 'remote';

export class Store {
  readonly read: ReadableDb;
  readonly identity: IdentityRepo;
  readonly contacts: ContactsRepo;
  readonly conversations: ConversationsRepo;
  readonly messages: MessagesRepo;
  readonly attachments: AttachmentsRepo;
  readonly settings: SettingsRepo;
  readonly inbox: InboxRepo;
  readonly outbox: OutboxRepo;
  readonly signal: SignalRepo;
  readonly unreported: UnreportedRepo;

  readonly #connection: Connection;
  readonly #write: WritableDb;
  readonly #checkpointDelayMs: number;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    connection: Connection,
    read: ReadableDb,
    write: WritableDb,
    options: OpenStoreOptions,
  ) {
    this.#connection = connection;
    this.read = read;
    this.#write = write;
    this.#checkpointDelayMs = options.checkpointDelayMs ?? 250;
    this.identity = new IdentityRepo(write);
    this.contacts = new ContactsRepo(write);
    this.conversations = new ConversationsRepo(write);
    this.messages = new MessagesRepo(write);
    this.attachments = new AttachmentsRepo(write, options.attachmentsDir);
    this.settings = new SettingsRepo(write);
    this.inbox = new InboxRepo(write);
    this.outbox = new OutboxRepo(write);
    this.signal = new SignalRepo(write);
    this.unreported = new UnreportedRepo(write);
  }

  /** Opens (or with `create`, creates) the database, proves the key, migrates, and wipes orphaned attachment files. */
  static open(options: OpenStoreOptions): Store {
    const { connection, read, write } = openDatabase(options);
    try {
      migrate(write);
      const store = new Store(connection, read, write, options);
      sweepOrphanFiles(options.attachmentsDir, store.attachments.referencedFiles());
      return store;
    } catch (cause) {
      connection.close();
      throw cause;
    }
  }

  /** The writable handle, for code in core/ that needs a query no repository offers yet. */
  get write(): WritableDb {
    return this.#write;
  }

  /** Runs fn atomically (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.#write.transaction(fn);
  }

  /**
   * Destroys a message: its row (zeroed by secure_delete), its search-index entries (FTS5
   * secure-delete, by trigger), its attachment rows and outbox items (cascade), then its attachment
   * files (overwritten and unlinked), and schedules a wal_checkpoint(TRUNCATE) so no old page
   * survives in the WAL. Returns false if the message did not exist.
   */
  destroyMessage(id: string, reason: DestroyReason = 'deadline'): boolean {
    const files: string[] = [];
    const destroyed = this.#write.transaction(() => {
      const message = this.#write.get<{ conversation_id: string; outgoing: number; seen_at: number | null }>(
        sql`SELECT conversation_id, outgoing, seen_at FROM messages WHERE id = ${id}`,
      );
      if (!message) return false;
      for (const attachment of this.attachments.forMessage(id)) {
        if (attachment.localPath) files.push(join(this.attachments.dir, attachment.localPath));
      }
      this.#write.run(sql`DELETE FROM messages WHERE id = ${id}`);
      const unseen = message.outgoing === 0 && message.seen_at === null;
      if (unseen) {
        this.#write.run(sql`
          UPDATE conversations SET unread_count = max(unread_count - 1, 0),
            expired_unread_count = expired_unread_count + ${reason === 'deadline' ? 1 : 0}
          WHERE id = ${message.conversation_id}`);
      }
      return true;
    });
    // After the commit: if we crash before this, the files are orphans holding ciphertext whose key
    // is gone, and the next open wipes them.
    for (const file of files) wipeFile(file);
    if (destroyed) this.scheduleCheckpoint();
    return destroyed;
  }

  /** Destroys every message whose deadline has passed; the start-up path runs this before any message reaches the UI. */
  destroyDue(now = Date.now()): string[] {
    const destroyed: string[] = [];
    for (;;) {
      const due = this.messages.due(now);
      if (due.length === 0) break;
      for (const id of due) if (this.destroyMessage(id, 'deadline')) destroyed.push(id);
    }
    return destroyed;
  }

  /** Deletes a whole conversation with all its messages, as secure as destroying them one by one. */
  deleteConversation(conversationId: string): void {
    const ids = this.#write
      .all<{ id: string }>(sql`SELECT id FROM messages WHERE conversation_id = ${conversationId}`)
      .map((r) => r.id);
    for (const id of ids) this.destroyMessage(id, 'user');
    this.#write.run(sql`DELETE FROM conversations WHERE id = ${conversationId}`);
    this.scheduleCheckpoint();
  }

  scheduleCheckpoint(): void {
    if (this.#checkpointTimer !== undefined || this.#closed) return;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      if (this.#closed) return;
      try {
        this.checkpoint();
      } catch (cause) {
        // A timer must never crash the process; try again shortly.
        log.warn(
          { kind: cause instanceof WispError ? cause.kind : 'Internal' },
          'WAL checkpoint failed; retrying',
        );
        this.scheduleCheckpoint();
      }
    }, this.#checkpointDelayMs);
    this.#checkpointTimer.unref();
  }

  /**
   * Copies the WAL into the main file and truncates it to zero bytes. Returns false, and tries again
   * later, when it cannot run now: inside a transaction (the engine holds one across awaits) or
   * while a reader pins the WAL.
   */
  checkpoint(): boolean {
    if (this.#checkpointTimer !== undefined) {
      clearTimeout(this.#checkpointTimer);
      this.#checkpointTimer = undefined;
    }
    if (this.#connection.inTransaction) {
      this.scheduleCheckpoint();
      return false;
    }
    const [result] = this.#connection.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (result?.busy) {
      this.scheduleCheckpoint();
      return false;
    }
    return true;
  }

  /** Re-encrypts every page under a new key. The caller (profile) persists the new key first. */
  rekey(newKey: DatabaseKey): void {
    if (newKey.length !== 32) throw new WispError('Internal', 'database key must be 32 bytes');
    rekeyConnection(this.#connection, newKey);
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    if (this.#checkpointTimer !== undefined && !this.#connection.inTransaction) this.checkpoint();
    clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    this.#closed = true;
    this.signal.clearCache();
    this.#connection.close();
  }
}

export function openStore(options: OpenStoreOptions): Store {
  return Store.open(options);
}
