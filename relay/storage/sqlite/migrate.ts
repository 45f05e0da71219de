// The SQLite backend's schema upgrades: the numbered migrations of schema.ts, the legacy key
// export before migration 2, the rekeying of named accounts in migration 3, and the key check.
import type Database from 'better-sqlite3-multiple-ciphers';
import {
  DROP_SERVER_KEYS_VERSION,
  FORGET_LEGACY_HASH,
  KEYED_HASHES_VERSION,
  legacyKeys,
  MIGRATIONS,
  NAMED_LEGACY_ACCOUNTS,
  REHASH_ACCOUNT,
  SQLITE,
} from '../schema';
import { READ_KEY_CHECK, verifyKeyCheck, WRITE_KEY_CHECK } from '../accountKeys';
import type { AccountKeying, LegacyServerKeys } from '../types';
import { buf } from './bytes';

/** Brings the database to the latest schema; true while some account is under a legacy hash. */
export function migrateSqlite(
  db: Database.Database,
  onLegacyKeys: ((keys: LegacyServerKeys) => void) | undefined,
  keying: () => AccountKeying,
): { legacyLeft: boolean } {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)');
  const current =
    (db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
  let droppedKeys = false;
  MIGRATIONS.forEach((migration, i) => {
    const version = i + 1;
    if (version <= current) return;
    db.transaction(() => {
      if (version === DROP_SERVER_KEYS_VERSION) {
        const rows = db.prepare('SELECT name, value FROM server_keys').all() as {
          name: string;
          value: Buffer;
        }[];
        const keys = legacyKeys(new Map(rows.map((r) => [r.name, r.value])));
        if (keys) {
          if (!onLegacyKeys) throw new Error('the database holds sealed-sender keys of an older relay');
          onLegacyKeys(keys);
        }
        droppedKeys = rows.length > 0;
      }
      for (const stmt of migration(SQLITE)) db.exec(stmt);
      // Asked for only now: a key moved out of the database by migration 2 is in its file.
      if (version === KEYED_HASHES_VERSION) rehashNamedAccounts(db, keying());
      db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(version);
    })();
  });
  const key = keying();
  const stored = db.prepare(READ_KEY_CHECK).pluck().get() as Buffer | undefined;
  if (verifyKeyCheck(stored, key) === 'store') db.prepare(WRITE_KEY_CHECK).run(buf(key.keyCheck()));
  const legacyLeft = db.prepare('SELECT 1 FROM legacy_account_hashes LIMIT 1').get() !== undefined;
  // secure_delete zeroes deleted rows, but not the copies a page split leaves in a page's unused
  // space; an older relay's file may hold such copies of unkeyed hashes and counters. VACUUM
  // rewrites the file once, at the upgrade to keyed hashes.
  if (current > 0 && current < KEYED_HASHES_VERSION) db.exec('VACUUM');
  // Copying the new pages into the database now and emptying the WAL leaves no earlier copy of
  // the keys or the unkeyed hashes in either file.
  if (droppedKeys || current < MIGRATIONS.length) db.pragma('wal_checkpoint(TRUNCATE)');
  return { legacyLeft };
}

/** Inside migration 3: the accounts whose id a username row holds move to their keyed hash now. */
function rehashNamedAccounts(db: Database.Database, key: AccountKeying): void {
  const ids = db.prepare(NAMED_LEGACY_ACCOUNTS).pluck().all() as string[];
  const forget = db.prepare(FORGET_LEGACY_HASH);
  const rehash = REHASH_ACCOUNT.map((sql) => db.prepare(sql));
  for (const id of ids) {
    const legacy = buf(key.legacyHash(id));
    if (forget.run(legacy).changes === 0) continue;
    const keyed = buf(key.hash(id));
    for (const st of rehash) st.run(keyed, legacy);
  }
}
