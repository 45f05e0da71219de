// Messages a headless `wisp` process received that no `sync` has reported yet (persisted across
// processes). A row goes with its message when the message is destroyed (migration 7).
import { sql } from '../sql';
import type { WritableDb } from '../database';

export class UnreportedRepo {
  constructor(private readonly db: WritableDb) {}

  /** In the same transaction as storing the message, so a crash cannot lose the "new" mark. */
  add(messageId: string): void {
    this.db.run(
      sql`INSERT INTO unreported_messages (message_id) VALUES (${messageId}) ON CONFLICT DO NOTHING`,
    );
  }

  /** Ids in the order they arrived. */
  list(): string[] {
    return this.db
      .all<{ message_id: string }>(sql`SELECT message_id FROM unreported_messages ORDER BY seq`)
      .map((r) => r.message_id);
  }

  clear(): void {
    this.db.run(sql`DELETE FROM unreported_messages`);
  }
}
