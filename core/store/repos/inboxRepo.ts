// Envelope ids already processed. Marking one in the same transaction as storing its message is
// what makes receive exactly-once: a redelivered envelope is recognised and only acknowledged.
import { sql } from '../sql';
import type { WritableDb } from '../database';

export class InboxRepo {
  constructor(private readonly db: WritableDb) {}

  /** Records the envelope; returns false if it had already been processed (then do nothing but ack). */
  markProcessed(envelopeId: string, now = Date.now()): boolean {
    return (
      this.db.run(sql`
      INSERT INTO inbox_processed (envelope_id, processed_at) VALUES (${envelopeId}, ${now})
      ON CONFLICT DO NOTHING`).changes === 1
    );
  }

  isProcessed(envelopeId: string): boolean {
    return this.db.value<number>(sql`SELECT 1 FROM inbox_processed WHERE envelope_id = ${envelopeId}`) === 1;
  }

  /** Forgets ids older than `before`: the relay never redelivers an acknowledged envelope that old. */
  prune(before: number): number {
    return this.db.run(sql`DELETE FROM inbox_processed WHERE processed_at < ${before}`).changes;
  }
}
