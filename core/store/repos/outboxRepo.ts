// What is waiting to be sent. An item is persisted before the first attempt and removed only when
// the relay accepted it, so a crash in between resends (the peer's inbox drops the duplicate).
import { sql } from '../sql';
import type { WritableDb } from '../database';
import type { OutboxItem } from '../types';

interface Row {
  id: number;
  message_id: string | null;
  recipient_id: string;
  kind: string;
  payload: Buffer;
  expires_at: number | null;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
}

function toItem(row: Row): OutboxItem {
  return {
    id: row.id,
    messageId: row.message_id,
    recipientId: row.recipient_id,
    kind: row.kind,
    payload: row.payload,
    expiresAt: row.expires_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
  };
}

export interface NewOutboxItem {
  readonly messageId: string | null;
  readonly recipientId: string;
  readonly kind: string;
  readonly payload: Uint8Array;
  readonly expiresAt: number | null;
}

export class OutboxRepo {
  #enqueued = 0;

  constructor(private readonly db: WritableDb) {}

  /**
   * Counts `enqueue` calls on this connection (rolled-back ones included), so a sender can tell
   * whether anything was queued since it last read the outbox without reading it again.
   */
  get enqueueCount(): number {
    return this.#enqueued;
  }

  enqueue(item: NewOutboxItem, now = Date.now()): number {
    this.#enqueued += 1;
    const result = this.db.run(sql`
      INSERT INTO outbox (message_id, recipient_id, kind, payload, expires_at, next_attempt_at, created_at)
      VALUES (${item.messageId}, ${item.recipientId}, ${item.kind}, ${item.payload}, ${item.expiresAt}, ${now}, ${now})`);
    return Number(result.lastInsertRowid);
  }

  /** Items due for an attempt, oldest first. Expired items are dropped instead of returned. */
  due(now = Date.now(), limit = 100): OutboxItem[] {
    this.dropExpired(now);
    return this.db
      .all<Row>(sql`SELECT * FROM outbox WHERE next_attempt_at <= ${now} ORDER BY id LIMIT ${limit}`)
      .map(toItem);
  }

  /** Drops the items whose deadline has passed: they must never go out. */
  dropExpired(now = Date.now()): void {
    this.db.run(sql`DELETE FROM outbox WHERE expires_at IS NOT NULL AND expires_at <= ${now}`);
  }

  all(): OutboxItem[] {
    return this.db.all<Row>(sql`SELECT * FROM outbox ORDER BY id`).map(toItem);
  }

  /** The `limit` oldest items, whatever their backoff (a flush reads a batch, not the whole queue). */
  oldest(limit: number): OutboxItem[] {
    return this.db.all<Row>(sql`SELECT * FROM outbox ORDER BY id LIMIT ${limit}`).map(toItem);
  }

  /** The relay accepted it. */
  remove(id: number): void {
    this.db.run(sql`DELETE FROM outbox WHERE id = ${id}`);
  }

  /** A failed attempt: try again at `nextAttemptAt`. */
  retryLater(id: number, nextAttemptAt: number): void {
    this.db.run(
      sql`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ${nextAttemptAt} WHERE id = ${id}`,
    );
  }
}
