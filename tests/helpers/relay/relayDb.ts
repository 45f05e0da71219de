// Direct access to a relay's database for tests that inspect what it stores (as a thief holding
// the files would) or that build a database the way an older relay version left it. One handle
// type over both backends: SQL is written with `?` placeholders and numbered for PostgreSQL.
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PrivateKey, ServerCertificate } from '@signalapp/libsignal-client';
import { MIGRATIONS, POSTGRES, SQLITE } from '../../../relay/storage/schema';
import { dropSchema, freshSchema, PG_URL, skipPostgres } from './postgres';

export interface RelayDb {
  all(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens relay.sqlite in `dir` on its own connection. */
export function openSqlite(dir: string): RelayDb {
  const db = new Database(join(dir, 'relay.sqlite'));
  db.pragma('busy_timeout = 5000');
  return {
    all: async (sql, params = []) => db.prepare(sql).all(...params) as Record<string, unknown>[],
    run: async (sql, params = []) => void db.prepare(sql).run(...params),
    close: async () => void db.close(),
  };
}

export async function openPostgres(schema: string): Promise<RelayDb> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    all: async (sql, params = []) => (await client.query(numbered(sql), params)).rows,
    run: async (sql, params = []) => void (await client.query(numbered(sql), params)),
    close: () => client.end(),
  };
}

/** A storage backend for a test: the startRelay options that select it, and a way into its tables. */
export interface TestBackend {
  kind: 'sqlite' | 'postgres';
  options: { dataDir: string } | { databaseUrl: string; databaseSchema: string };
  /** A directory outside the database (for key files), removed by cleanup. */
  keyDir: string;
  /** Every stored byte a thief of the database gets (SQLite: the files; PostgreSQL: every bytea cell). */
  stolenBytes(): Promise<Buffer[]>;
  /** Every binary value in every table, as the thief reads them out of the database. */
  stolenCells(): Promise<Buffer[]>;
  db(): Promise<RelayDb>;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): TestBackend {
  const root = mkdtempSync(join(tmpdir(), 'wisp-relay-db-'));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return {
    kind: 'sqlite',
    options: { dataDir },
    keyDir: root,
    stolenBytes: async () =>
      readdirSync(dataDir)
        .filter((f) => f.startsWith('relay.sqlite'))
        .map((f) => readFileSync(join(dataDir, f))),
    stolenCells: async () => {
      const db = openSqlite(dataDir);
      try {
        const tables = await db.all("SELECT name FROM sqlite_master WHERE type = 'table'");
        const out: Buffer[] = [];
        for (const t of tables)
          for (const row of await db.all(`SELECT * FROM "${String(t.name)}"`))
            for (const v of Object.values(row)) if (Buffer.isBuffer(v)) out.push(v);
        return out;
      } finally {
        await db.close();
      }
    },
    db: async () => openSqlite(dataDir),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
}

export function postgresBackend(): TestBackend {
  const schema = freshSchema();
  const keyDir = mkdtempSync(join(tmpdir(), 'wisp-relay-keys-'));
  const cells = async (): Promise<Buffer[]> => {
    const db = await openPostgres(schema);
    try {
      const cols = await db.all(
        `SELECT table_name, column_name FROM information_schema.columns
             WHERE table_schema = ? AND data_type = 'bytea'`,
        [schema],
      );
      const out: Buffer[] = [];
      for (const c of cols) {
        const rows = await db.all(`SELECT "${String(c.column_name)}" AS v FROM "${String(c.table_name)}"`);
        for (const r of rows) if (Buffer.isBuffer(r.v)) out.push(r.v);
      }
      return out;
    } finally {
      await db.close();
    }
  };
  return {
    kind: 'postgres',
    options: { databaseUrl: PG_URL!, databaseSchema: schema },
    keyDir,
    stolenBytes: cells,
    stolenCells: cells,
    db: () => openPostgres(schema),
    cleanup: async () => {
      rmSync(keyDir, { recursive: true, force: true });
      await dropSchema(schema);
    },
  };
}

/** SQLite always; PostgreSQL when WISP_TEST_PG is set (see helpers/relay/postgres.ts). */
export function testBackends(): { kind: TestBackend['kind']; make: () => TestBackend }[] {
  const sqlite = { kind: 'sqlite' as const, make: sqliteBackend };
  return skipPostgres() ? [sqlite] : [sqlite, { kind: 'postgres' as const, make: postgresBackend }];
}

export interface LegacyKeys {
  trustRoot: PrivateKey;
  server: PrivateKey;
  certificate: ServerCertificate;
}

/**
 * Creates the database as a relay of schema version 1 left it: every table of migration 1 and the
 * sealed-sender trust root's private key in server_keys (the finding of issue 9). `fill` may add rows.
 */
export async function createLegacyDatabase(
  backend: TestBackend,
  fill?: (db: RelayDb) => Promise<void>,
): Promise<LegacyKeys> {
  const trustRoot = PrivateKey.generate();
  const server = PrivateKey.generate();
  const certificate = ServerCertificate.new(1, server.getPublicKey(), trustRoot);
  let db: RelayDb;
  if (backend.kind === 'sqlite') {
    const dir = (backend.options as { dataDir: string }).dataDir;
    const raw = new Database(join(dir, 'relay.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.close();
    db = openSqlite(dir);
  } else {
    const { databaseSchema } = backend.options as { databaseSchema: string };
    const admin = await openPostgres('public');
    await admin.run(`CREATE SCHEMA "${databaseSchema}"`);
    await admin.close();
    db = await openPostgres(databaseSchema);
  }
  try {
    await db.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)');
    for (const stmt of MIGRATIONS[0]!(backend.kind === 'sqlite' ? SQLITE : POSTGRES)) await db.run(stmt);
    await db.run('INSERT INTO schema_migrations (version) VALUES (1)');
    const put = 'INSERT INTO server_keys (name, value) VALUES (?, ?)';
    await db.run(put, ['trust_root_private', Buffer.from(trustRoot.serialize())]);
    await db.run(put, ['server_private', Buffer.from(server.serialize())]);
    await db.run(put, ['server_certificate', Buffer.from(certificate.serialize())]);
    await fill?.(db);
  } finally {
    await db.close();
  }
  return { trustRoot, server, certificate };
}
