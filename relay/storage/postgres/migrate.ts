// The PostgreSQL backend's schema upgrades, under an advisory lock so two nodes starting together
// do not both run one: the numbered migrations, the legacy key export before migration 2, the
// rekeying of named accounts in migration 3, the key check, and the one VACUUM FULL after it.
import type pg from 'pg';
import {
  DROP_SERVER_KEYS_VERSION,
  FORGET_LEGACY_HASH,
  KEYED_HASHES_VERSION,
  legacyKeys,
  MIGRATIONS,
  NAMED_LEGACY_ACCOUNTS,
  POSTGRES,
  REHASH_ACCOUNT,
} from '../schema';
import { READ_KEY_CHECK, verifyKeyCheck, WRITE_KEY_CHECK } from '../accountKeys';
import type { AccountKeying, LegacyKeysHandler } from '../types';
import { buf, numbered } from './db';

const MIGRATION_LOCK = 0x57495350; // "WISP"
export const REHASH_PG = REHASH_ACCOUNT.map(numbered);
export const FORGET_LEGACY_PG = numbered(FORGET_LEGACY_HASH);

/** Brings `schema` to the latest version; true while some account is under a legacy hash. */
export async function migratePostgres(
  pool: pg.Pool,
  schema: string,
  onLegacyServerKeys: LegacyKeysHandler | undefined,
  accountKeying: () => AccountKeying,
): Promise<{ legacyLeft: boolean }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two nodes starting together must not both run a migration.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET LOCAL search_path TO "${schema}"`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT MAX(version) AS v FROM schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    for (let i = current; i < MIGRATIONS.length; i++) {
      if (i + 1 === DROP_SERVER_KEYS_VERSION) {
        const { rows: keyRows } = await client.query<{ name: string; value: Buffer }>(
          'SELECT name, value FROM server_keys',
        );
        const keys = legacyKeys(new Map(keyRows.map((r) => [r.name, r.value])));
        if (keys) {
          if (!onLegacyServerKeys) throw new Error('the database holds sealed-sender keys of an older relay');
          await onLegacyServerKeys(keys);
        }
      }
      for (const stmt of MIGRATIONS[i]!(POSTGRES)) await client.query(stmt);
      if (i + 1 === KEYED_HASHES_VERSION) await rehashNamedAccounts(client, accountKeying());
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
    }
    const key = accountKeying();
    const check = (await client.query<{ check_value: Buffer }>(READ_KEY_CHECK)).rows[0]?.check_value;
    if (verifyKeyCheck(check, key) === 'store')
      await client.query(numbered(WRITE_KEY_CHECK), [buf(key.keyCheck())]);
    const legacyLeft = (await client.query('SELECT 1 FROM legacy_account_hashes LIMIT 1')).rowCount !== 0;
    await client.query('COMMIT');
    // The rows rehashed above left their old versions (unkeyed hashes, the sent counter) as dead
    // tuples; VACUUM FULL rewrites the tables without them (once, at this upgrade; it cannot run
    // inside the transaction). Old WAL segments and base backups are the operator's (SECURITY.md).
    if (current < KEYED_HASHES_VERSION && current > 0)
      await client.query('VACUUM FULL accounts, usernames, prekeys, envelopes, attachments');
    return { legacyLeft };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Inside migration 3: the accounts whose id a username row holds move to their keyed hash now. */
async function rehashNamedAccounts(c: pg.PoolClient, key: AccountKeying): Promise<void> {
  const { rows } = await c.query<{ account_id: string }>(NAMED_LEGACY_ACCOUNTS);
  for (const { account_id: id } of rows) {
    const legacy = buf(key.legacyHash(id));
    if ((await c.query(FORGET_LEGACY_PG, [legacy])).rowCount === 0) continue;
    for (const sql of REHASH_PG) await c.query(sql, [buf(key.hash(id)), legacy]);
  }
}
