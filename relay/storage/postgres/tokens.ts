// The PostgreSQL backend's anonymous-send tokens: the spent ones, where the primary key decides
// between concurrent spends on any node, and the issuer keys every node signs with, sealed.
import type pg from 'pg';
import type { SpentToken, StoredTokenKey } from '../types';
import { buf, type PgDb } from './db';

/** Thrown inside a transaction so it rolls back: the index of the first token already spent. */
export class AlreadySpent extends Error {
  constructor(readonly index: number) {
    super('token already spent');
  }
}

/**
 * Inside a transaction, each token on its own: true where it was already spent (before, by a
 * concurrent transaction on any node, or earlier in this list; nothing written for it), false where
 * it is now recorded. The primary key decides between concurrent spends, as in insertSpent.
 */
export async function insertSpentEach(c: pg.PoolClient, tokens: readonly SpentToken[]): Promise<boolean[]> {
  const hashes = tokens.map((t) => buf(t.hash));
  const { rows } = await c.query<{ token_hash: Buffer }>(
    `INSERT INTO spent_tokens (token_hash, expires_at)
       SELECT * FROM unnest($1::bytea[], $2::bigint[]) ON CONFLICT (token_hash) DO NOTHING
       RETURNING token_hash`,
    [hashes, tokens.map((t) => t.expiresAt)],
  );
  // A hash inserted here pays for its first item only; a repeat later in the list is spent.
  const fresh = new Set(rows.map((r) => r.token_hash.toString('hex')));
  return hashes.map((h) => !fresh.delete(h.toString('hex')));
}

/**
 * Inside a transaction: records the tokens spent, or throws AlreadySpent (the caller rolls back) with
 * the index of the first one spent before (or listed twice). The primary key decides between
 * concurrent spends (on any node): the second insert of a hash waits for the first transaction and
 * then inserts nothing.
 */
export async function insertSpent(c: pg.PoolClient, tokens: readonly SpentToken[]): Promise<void> {
  const first = (await insertSpentEach(c, tokens)).indexOf(true);
  if (first !== -1) throw new AlreadySpent(first);
}

export class PgTokens {
  constructor(private readonly db: PgDb) {}

  async spend(tokens: readonly SpentToken[]): Promise<number> {
    try {
      return await this.db.tx(async (c) => {
        await insertSpent(c, tokens);
        return -1;
      });
    } catch (error) {
      // Thrown inside the transaction so it rolls back: all or none.
      if (error instanceof AlreadySpent) return error.index;
      throw error;
    }
  }

  async keys(): Promise<StoredTokenKey[]> {
    const rows = await this.db.q<{
      issue_from: string;
      issue_until: string;
      spend_until: string;
      sealed_key: Buffer;
    }>('SELECT issue_from, issue_until, spend_until, sealed_key FROM token_keys ORDER BY issue_from');
    return rows.map((r) => ({
      issueFrom: Number(r.issue_from),
      issueUntil: Number(r.issue_until),
      spendUntil: Number(r.spend_until),
      sealedKey: r.sealed_key,
    }));
  }

  async addKey(k: StoredTokenKey): Promise<void> {
    await this.db.q(
      `INSERT INTO token_keys (issue_from, issue_until, spend_until, sealed_key) VALUES ($1, $2, $3, $4)
         ON CONFLICT (issue_from) DO NOTHING`,
      [k.issueFrom, k.issueUntil, k.spendUntil, buf(k.sealedKey)],
    );
  }

  /** Inside a transaction: spent tokens and keys past their key's life go. */
  async purgeIn(c: pg.PoolClient, now: number): Promise<void> {
    await c.query('DELETE FROM spent_tokens WHERE expires_at <= $1', [now]);
    await c.query('DELETE FROM token_keys WHERE spend_until <= $1', [now]);
  }
}
