// PostgreSQL for relay tests: WISP_TEST_PG names the server. Unset → the tests skip with a stated
// reason, except under CI=true where a missing database is a failure (RULES.md).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.WISP_TEST_PG;
export const PG_SKIP_REASON =
  'WISP_TEST_PG is not set (postgres://wisp:wisp@127.0.0.1:5432/wisp_test); PostgreSQL relay tests skipped';

/** True when the PostgreSQL tests should be skipped; throws under CI instead of skipping. */
export function skipPostgres(): boolean {
  if (PG_URL) return false;
  if (process.env.CI === 'true')
    throw new Error(`CI=true but ${PG_SKIP_REASON.replace('skipped', 'cannot run')}`);
  console.warn(PG_SKIP_REASON);
  return true;
}

/** A fresh schema name so concurrent test files never share tables. */
export function freshSchema(): string {
  return `wisp_t_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  if (!PG_URL) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
