// Inbox marks: the envelopes already processed. Marking one in the same transaction as storing its
// message is what makes receive exactly-once: a redelivered envelope is recognised and only
// acknowledged. A mark is needed only while the relay might still deliver its envelope, so it holds
// no arrival time and is forgotten as soon as that cannot happen any more (migration 5).
import { sql } from '../sql';
import type { WritableDb } from '../database';

/** A mark outlives its envelope's relay expiry by this much, for a relay clock ahead of ours. */
export const INBOX_MARK_SKEW_MS = 24 * 60 * 60 * 1000;

export class InboxRepo {
  constructor(private readonly db: WritableDb) {}

  /**
   * Records the envelope until the relay can no longer deliver it (`relayExpiresAt`, the deadline
   * the relay sent with it). Returns false if it had already been processed (then do nothing but ack).
   */
  markProcessed(envelopeId: string, relayExpiresAt: number): boolean {
    return (
      this.db.run(sql`
      INSERT INTO inbox_marks (envelope_id, keep_until) VALUES (${envelopeId}, ${relayExpiresAt + INBOX_MARK_SKEW_MS})
      ON CONFLICT DO NOTHING`).changes === 1
    );
  }

  isProcessed(envelopeId: string): boolean {
    return this.db.value<number>(sql`SELECT 1 FROM inbox_marks WHERE envelope_id = ${envelopeId}`) === 1;
  }

  /**
   * Forgets marks whose envelopes the relay has confirmed deleting. Only safe once every copy of
   * them already received has been processed (the engine's job).
   */
  forget(envelopeIds: readonly string[]): number {
    let forgotten = 0;
    for (const id of envelopeIds) {
      forgotten += this.db.run(sql`DELETE FROM inbox_marks WHERE envelope_id = ${id}`).changes;
    }
    return forgotten;
  }

  /** Forgets marks past their deadline: the relay drops an envelope at its expiry and never delivers it later. */
  sweep(now: number): number {
    return this.db.run(sql`DELETE FROM inbox_marks WHERE keep_until <= ${now}`).changes;
  }

  /** How many marks are held (tests and diagnostics). */
  count(): number {
    return this.db.value<number>(sql`SELECT count(*) FROM inbox_marks`) ?? 0;
  }
}
