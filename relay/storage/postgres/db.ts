// How the PostgreSQL backend's parts talk to the database: one pool, single queries and
// transactions timed for the slow-operation log (the statement's kind only, never its values).
import pg from 'pg';
import { performance } from 'node:perf_hooks';

const SLOW_MS = 40;

export const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The shared statements are written with `?`; PostgreSQL numbers its parameters. */
export const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export class PgDb {
  constructor(
    readonly pool: pg.Pool,
    private readonly onSlow: ((what: string, ms: number) => void) | undefined,
  ) {}

  /** Runs `fn` in one transaction on one pooled client; rolls back on a throw. */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const started = performance.now();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      const ms = performance.now() - started;
      if (ms > SLOW_MS) this.onSlow?.('transaction', Math.round(ms));
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    const started = performance.now();
    const rows = (await this.pool.query<R>(sql, params)).rows;
    const ms = performance.now() - started;
    // The statement's first words say which query it was; the values never reach the log.
    if (ms > SLOW_MS) this.onSlow?.(sql.trim().split(/\s+/).slice(0, 4).join(' '), Math.round(ms));
    return rows;
  }
}
