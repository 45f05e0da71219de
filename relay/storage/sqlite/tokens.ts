// The SQLite backend's anonymous-send tokens: the spent ones (checked and recorded inside the
// write that spends them) and the issuer keys every node signs with, sealed.
import type Database from 'better-sqlite3-multiple-ciphers';
import type { SpentToken, StoredTokenKey } from '../types';
import { buf } from './bytes';
import type { Write } from './writer';

export class SqliteTokens {
  private readonly st;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.st = {
      spentToken: db.prepare('SELECT 1 FROM spent_tokens WHERE token_hash = ?').pluck(),
      insertSpentToken: db.prepare('INSERT INTO spent_tokens (token_hash, expires_at) VALUES (?, ?)'),
      purgeSpentTokens: db.prepare('DELETE FROM spent_tokens WHERE expires_at <= ?'),
      tokenKeys: db.prepare(
        'SELECT issue_from, issue_until, spend_until, sealed_key FROM token_keys ORDER BY issue_from',
      ),
      addTokenKey: db.prepare(
        'INSERT OR IGNORE INTO token_keys (issue_from, issue_until, spend_until, sealed_key) VALUES (?, ?, ?, ?)',
      ),
      purgeTokenKeys: db.prepare('DELETE FROM token_keys WHERE spend_until <= ?'),
    };
  }

  /**
   * Inside a write: the index of the first token already spent or listed twice (nothing written), or -1 once all
   * are recorded. Writes run one after another, so no concurrent spend can pass this check too.
   */
  spendNow(tokens: readonly SpentToken[]): number {
    // Checked before anything is written, so a refusal writes nothing (all or none).
    const listed = new Set<string>();
    const already = tokens.findIndex((t) => {
      const key = buf(t.hash).toString('hex');
      if (listed.has(key)) return true;
      listed.add(key);
      return this.st.spentToken.get(buf(t.hash)) !== undefined;
    });
    if (already >= 0) return already;
    for (const t of tokens) this.st.insertSpentToken.run(buf(t.hash), t.expiresAt);
    return -1;
  }

  /**
   * Inside a write, each token on its own: true where it was already spent (before, or earlier in
   * this list; nothing written for it), false where it is now recorded.
   */
  spendEachNow(tokens: readonly SpentToken[]): boolean[] {
    const seen = new Set<string>();
    return tokens.map((t) => {
      const key = buf(t.hash).toString('hex');
      if (seen.has(key) || this.st.spentToken.get(buf(t.hash)) !== undefined) return true;
      seen.add(key);
      this.st.insertSpentToken.run(buf(t.hash), t.expiresAt);
      return false;
    });
  }

  spend(tokens: readonly SpentToken[]): Promise<number> {
    // One write (one transaction of the group commit): the check and the inserts see no other
    // write in between. Durable: a spend forgotten by a crash could be spent again.
    return this.write(() => this.spendNow(tokens));
  }

  async keys(): Promise<StoredTokenKey[]> {
    const rows = this.st.tokenKeys.all() as {
      issue_from: number;
      issue_until: number;
      spend_until: number;
      sealed_key: Buffer;
    }[];
    return rows.map((r) => ({
      issueFrom: r.issue_from,
      issueUntil: r.issue_until,
      spendUntil: r.spend_until,
      sealedKey: r.sealed_key,
    }));
  }

  async addKey(k: StoredTokenKey): Promise<void> {
    // Durable: a key that signs tokens must outlive a crash.
    await this.write(() =>
      this.st.addTokenKey.run(k.issueFrom, k.issueUntil, k.spendUntil, buf(k.sealedKey)),
    );
  }

  /** Inside a write: spent tokens and keys past their key's life go. */
  purgeNow(now: number): void {
    this.st.purgeSpentTokens.run(now);
    this.st.purgeTokenKeys.run(now);
  }
}
