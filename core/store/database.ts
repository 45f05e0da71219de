// Opens a profile's SQLCipher-4 database with a raw 256-bit key, proves the key with a first read,
// and wraps the connection in typed readable/writable handles that only accept sql`` queries.
import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, openSync, readSync } from 'node:fs';
import { WispError } from '../../common/errors';
import { logSlow, loggerFor } from '../log';
import type { DatabaseKey } from '../vault/keyStore';
import type { SqlQuery } from './sql';

export type Connection = Database.Database;

/** Logged when a statement takes longer than this (STYLE.md item 12). */
export const SLOW_QUERY_MS = 40;

export interface SlowQuery {
  /** The SQL text with `?` placeholders: never contains a value. */
  readonly sql: string;
  readonly ms: number;
}

export type SlowQueryLogger = (query: SlowQuery) => void;

/** Default sink: the redacting project logger. The SQL text is safe to log because all values are bound. */
export const defaultSlowQueryLogger: SlowQueryLogger = ({ sql, ms }) => {
  logSlow(sql, ms, SLOW_QUERY_MS, loggerFor('store'));
};

/**
 * WAL + synchronous=FULL: every commit is fsynced before better-sqlite3 returns, so once the
 * engine acknowledges an envelope to the relay the message (and the inbox mark that makes
 * processing exactly-once) survives a power cut. NORMAL could lose the last commits, which would
 * turn "exactly once" into "at most once". See docs/STORAGE.md for the measured cost.
 */
export const SYNCHRONOUS_MODE = 'FULL';

const STATEMENT_CACHE_LIMIT = 256;

type Bindable = string | number | bigint | Uint8Array | null;

/** Read-only access: SELECTs through sql``. Branded so a reader cannot be passed where a writer is required. */
export class ReadableDb {
  declare private readonly __readable: true;
  protected readonly connection: Connection;
  readonly #cache = new Map<string, Database.Statement<Bindable[]>>();
  readonly #onSlow: SlowQueryLogger;

  constructor(connection: Connection, onSlow: SlowQueryLogger) {
    this.connection = connection;
    this.#onSlow = onSlow;
  }

  get<T>(query: SqlQuery): T | undefined {
    return this.timed(query, (stmt) => stmt.get(...query.values) as T | undefined);
  }

  all<T>(query: SqlQuery): T[] {
    return this.timed(query, (stmt) => stmt.all(...query.values) as T[]);
  }

  /** First column of the first row, or undefined. */
  value<T>(query: SqlQuery): T | undefined {
    return this.timed(query, (stmt) => {
      // The statement is cached and shared with get/all: always switch raw mode back off.
      try {
        const row = stmt.raw(true).get(...query.values) as unknown[] | undefined;
        return row?.[0] as T | undefined;
      } finally {
        stmt.raw(false);
      }
    });
  }

  protected statement(text: string): Database.Statement<Bindable[]> {
    let stmt = this.#cache.get(text);
    if (stmt === undefined) {
      stmt = this.connection.prepare<Bindable[]>(text);
      if (this.#cache.size >= STATEMENT_CACHE_LIMIT) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      this.#cache.set(text, stmt);
    }
    return stmt;
  }

  protected timed<T>(query: SqlQuery, run: (stmt: Database.Statement<Bindable[]>) => T): T {
    const stmt = this.statement(query.text);
    const start = performance.now();
    try {
      return run(stmt);
    } finally {
      const ms = performance.now() - start;
      if (ms > SLOW_QUERY_MS) this.#onSlow({ sql: query.text, ms });
    }
  }
}

/** Read-write access: adds run() and transactions. Only the store and the migrations hold one. */
export class WritableDb extends ReadableDb {
  declare private readonly __writable: true;

  run(query: SqlQuery): Database.RunResult {
    return this.timed(query, (stmt) => stmt.run(...query.values));
  }

  /** Runs fn in a transaction (a savepoint when nested); rolls back if it throws. */
  transaction<T>(fn: () => T): T {
    return this.connection.transaction(fn).immediate();
  }

  get inTransaction(): boolean {
    return this.connection.inTransaction;
  }

  /** Raw multi-statement SQL for migrations only: migration text is a constant, never built from values. */
  execMigration(text: string): void {
    this.connection.exec(text);
  }
}

export interface OpenDatabaseOptions {
  readonly path: string;
  readonly key: DatabaseKey;
  /** When false (the default) a missing file is an error instead of a new empty database. */
  readonly create?: boolean;
  readonly onSlowQuery?: SlowQueryLogger;
  /**
   * Benchmarks only: open the same schema on a plain, unencrypted file to measure the baseline.
   * The app never sets this; there is no plaintext fallback.
   */
  readonly unencryptedForBenchmark?: boolean;
}

export interface OpenedDatabase {
  readonly connection: Connection;
  readonly read: ReadableDb;
  readonly write: WritableDb;
}

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function applyKey(connection: Connection, key: DatabaseKey): void {
  // SQLite3 Multiple Ciphers: SQLCipher scheme, version 4 defaults (AES-256-CBC, HMAC-SHA512,
  // 4 KiB pages). A 64-hex-digit x'' key is used as the raw key, skipping PBKDF2.
  connection.pragma(`cipher = 'sqlcipher'`);
  connection.pragma('legacy = 4');
  connection.pragma(`key = "x'${key.toString('hex')}'"`);
}

export function openDatabase(options: OpenDatabaseOptions): OpenedDatabase {
  if (!options.unencryptedForBenchmark && options.key.length !== 32) {
    throw new WispError('Internal', 'database key must be 32 bytes');
  }
  let connection: Connection;
  try {
    connection = new Database(options.path, { fileMustExist: options.create !== true });
  } catch (cause) {
    throw new WispError('NotFound', 'the profile database does not exist', { cause });
  }
  try {
    if (!options.unencryptedForBenchmark) applyKey(connection, options.key);
    checkFirstRead(connection, options.path);
    configure(connection);
  } catch (cause) {
    connection.close();
    throw cause;
  }
  const onSlow = options.onSlowQuery ?? defaultSlowQueryLogger;
  return { connection, read: new ReadableDb(connection, onSlow), write: new WritableDb(connection, onSlow) };
}

/** PRAGMA key never fails by itself: the first page read is what proves the key. */
function checkFirstRead(connection: Connection, path: string): void {
  try {
    connection.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') {
      if (startsWithPlainHeader(path)) {
        throw new WispError('DatabaseCorrupt', 'the profile database is not encrypted', { cause });
      }
      throw new WispError(
        'WrongKey',
        'the key does not open this profile database (wrong key or damaged file)',
        {
          cause,
          recovery:
            'If the key came from the keychain, the profile may have been re-keyed elsewhere; restore from a backup.',
        },
      );
    }
    throw new WispError('DatabaseCorrupt', 'the profile database could not be read', { cause });
  }
}

function startsWithPlainHeader(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(16);
      readSync(fd, head, 0, 16, 0);
      return head.equals(PLAIN_HEADER);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

function configure(connection: Connection): void {
  connection.pragma('journal_mode = WAL');
  connection.pragma(`synchronous = ${SYNCHRONOUS_MODE}`);
  // Freed pages and cells are zeroed, so a deleted message does not linger in free space.
  connection.pragma('secure_delete = ON');
  connection.pragma('foreign_keys = ON');
  // Sorts and temp tables stay in memory: SQLite's temp files would not be encrypted.
  connection.pragma('temp_store = MEMORY');
  connection.pragma('cache_size = -8000');
  const secureDelete = connection.pragma('secure_delete', { simple: true });
  if (secureDelete !== 1) throw new WispError('Internal', 'secure_delete could not be enabled');
}

/** Changes the database key in place. SQLite3MC cannot rekey in WAL mode, so it leaves WAL for the duration. */
export function rekeyConnection(connection: Connection, newKey: DatabaseKey): void {
  connection.pragma('wal_checkpoint(TRUNCATE)');
  connection.pragma('journal_mode = DELETE');
  try {
    connection.pragma(`rekey = "x'${newKey.toString('hex')}'"`);
  } finally {
    connection.pragma('journal_mode = WAL');
  }
}
