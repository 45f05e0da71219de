// Messages with their timers and stored deadlines. Destruction is not here: Store.destroyMessage
// removes a message together with its search entries and attachment files.
import { WispError } from '../../../common/errors';
import { sql } from '../sql';
import type { WritableDb } from '../database';
import type { Message, MessageState, NewMessage, SearchHit } from '../types';

interface Row {
  id: string;
  conversation_id: string;
  sender_id: string;
  outgoing: number;
  kind: Message['kind'];
  body: string | null;
  sent_at: number;
  received_at: number;
  expire_after_ms: number | null;
  burn_after_ms: number | null;
  expires_at: number | null;
  seen_at: number | null;
  burn_at: number | null;
  destroy_at: number | null;
  state: MessageState;
  delivered: number;
  read: number;
}

const COLUMNS = sql`id, conversation_id, sender_id, outgoing, kind, body, sent_at, received_at, expire_after_ms,
  burn_after_ms, expires_at, seen_at, burn_at, destroy_at, state, delivered, read`;

function toMessage(row: Row): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    senderId: row.sender_id,
    outgoing: row.outgoing === 1,
    kind: row.kind,
    body: row.body,
    sentAt: row.sent_at,
    receivedAt: row.received_at,
    expireAfterMs: row.expire_after_ms,
    burnAfterMs: row.burn_after_ms,
    expiresAt: row.expires_at,
    seenAt: row.seen_at,
    burnAt: row.burn_at,
    destroyAt: row.destroy_at,
    state: row.state,
    delivered: row.delivered === 1,
    read: row.read === 1,
  };
}

/** A position in a conversation, for paging backwards from it. */
export interface PageCursor {
  readonly sentAt: number;
  readonly id: string;
}

export class MessagesRepo {
  constructor(private readonly db: WritableDb) {}

  /**
   * Inserts a message and updates its conversation (last activity, unread count) in one transaction.
   * Refuses a message whose deadline has already passed: such a message is never stored.
   */
  insert(message: NewMessage, now = Date.now()): Message {
    const burnAt = message.burnAt ?? null;
    const deadline = [message.expiresAt, burnAt].filter((d): d is number => d !== null);
    if (deadline.some((d) => d <= now)) {
      throw new WispError('InvalidInput', 'a message past its deadline is never stored');
    }
    const unseen = !message.outgoing && (message.seenAt ?? null) === null;
    return this.db.transaction(() => {
      // RETURNING hands back the stored row (generated destroy_at included) without a second
      // SELECT; the only triggers on messages write the search index, never this row.
      const row = this.db.get<Row>(sql`
        INSERT INTO messages (id, conversation_id, sender_id, outgoing, kind, body, sent_at, received_at,
          expire_after_ms, burn_after_ms, expires_at, seen_at, burn_at, state)
        VALUES (${message.id}, ${message.conversationId}, ${message.senderId}, ${message.outgoing}, ${message.kind},
          ${message.body}, ${message.sentAt}, ${message.receivedAt}, ${message.expireAfterMs}, ${message.burnAfterMs},
          ${message.expiresAt}, ${message.seenAt ?? null}, ${burnAt}, ${message.state})
        RETURNING ${COLUMNS}`)!;
      this.db.run(sql`
        UPDATE conversations SET
          last_message_at = max(coalesce(last_message_at, 0), ${message.sentAt}),
          unread_count = unread_count + ${unseen ? 1 : 0}
        WHERE id = ${message.conversationId}`);
      return toMessage(row);
    });
  }

  get(id: string): Message | undefined {
    const row = this.db.get<Row>(sql`SELECT ${COLUMNS} FROM messages WHERE id = ${id}`);
    return row && toMessage(row);
  }

  has(id: string): boolean {
    return this.db.value<number>(sql`SELECT 1 FROM messages WHERE id = ${id}`) === 1;
  }

  /**
   * The `limit` messages before `before` (or the newest ones), returned oldest first — the page a
   * conversation view shows when it opens or scrolls up.
   */
  page(conversationId: string, limit = 50, before?: PageCursor): Message[] {
    const older = before
      ? sql`AND (sent_at < ${before.sentAt} OR (sent_at = ${before.sentAt} AND id < ${before.id}))`
      : sql.empty;
    const rows = this.db.all<Row>(sql`
      SELECT ${COLUMNS} FROM messages WHERE conversation_id = ${conversationId} ${older}
      ORDER BY sent_at DESC, id DESC LIMIT ${limit}`);
    return rows.reverse().map(toMessage);
  }

  /**
   * The page before the message `beforeId` (exclusive), oldest first, and whether older ones exist:
   * one indexed range read of `limit + 1` rows, however long the conversation. Undefined when the
   * cursor message is gone (destroyed) or belongs to another conversation.
   */
  pageBefore(
    conversationId: string,
    beforeId: string | undefined,
    limit: number,
  ): { messages: Message[]; hasMore: boolean } | undefined {
    let cursor: PageCursor | undefined;
    if (beforeId !== undefined) {
      const at = this.db.get<{ sent_at: number }>(
        sql`SELECT sent_at FROM messages WHERE id = ${beforeId} AND conversation_id = ${conversationId}`,
      );
      if (at === undefined) return undefined;
      cursor = { sentAt: at.sent_at, id: beforeId };
    }
    const rows = this.page(conversationId, limit + 1, cursor);
    return rows.length > limit
      ? { messages: rows.slice(1), hasMore: true }
      : { messages: rows, hasMore: false };
  }

  /** The newest message of every conversation that has one (the list's previews), in one query. */
  latestOfEach(): Message[] {
    return this.db
      .all<Row>(
        // One index probe per conversation (messages_conversation_time), not a scan of every message.
        sql`SELECT ${COLUMNS} FROM messages WHERE id IN (
          SELECT (SELECT x.id FROM messages x WHERE x.conversation_id = c.id
                  ORDER BY x.sent_at DESC, x.id DESC LIMIT 1) FROM conversations c)`,
      )
      .map(toMessage);
  }

  /** Every stored message of a conversation, oldest first (`wisp messages`). */
  all(conversationId: string): Message[] {
    return this.db
      .all<Row>(
        sql`SELECT ${COLUMNS} FROM messages WHERE conversation_id = ${conversationId} ORDER BY sent_at, id`,
      )
      .map(toMessage);
  }

  count(conversationId?: string): number {
    const where = conversationId === undefined ? sql.empty : sql`WHERE conversation_id = ${conversationId}`;
    return this.db.value<number>(sql`SELECT count(*) FROM messages ${where}`) ?? 0;
  }

  /**
   * Marks an incoming message seen and, if it burns on read, starts its countdown. Idempotent:
   * the first sighting wins, so a second call can never push the burn deadline later.
   */
  markSeen(id: string, seenAt = Date.now()): Message | undefined {
    this.db.transaction(() => {
      const changed = this.db.run(sql`
        UPDATE messages SET seen_at = ${seenAt},
          burn_at = CASE WHEN burn_after_ms IS NULL THEN burn_at
                         WHEN burn_at IS NULL THEN ${seenAt} + burn_after_ms
                         ELSE min(burn_at, ${seenAt} + burn_after_ms) END
        WHERE id = ${id} AND seen_at IS NULL`).changes;
      if (changed > 0) {
        this.db.run(sql`
          UPDATE conversations SET unread_count = max(unread_count - 1, 0)
          WHERE id = (SELECT conversation_id FROM messages WHERE id = ${id} AND outgoing = 0)`);
      }
    });
    return this.get(id);
  }

  setState(id: string, state: MessageState): void {
    this.db.run(sql`UPDATE messages SET state = ${state} WHERE id = ${id}`);
  }

  markDelivered(id: string): void {
    this.db.run(sql`UPDATE messages SET delivered = 1 WHERE id = ${id}`);
  }

  markRead(id: string): void {
    this.db.run(sql`UPDATE messages SET delivered = 1, read = 1 WHERE id = ${id}`);
  }

  /** Ids of messages whose earliest deadline is at or before `now`, soonest first. */
  due(now = Date.now(), limit = 500): string[] {
    return this.db
      .all<{ id: string }>(
        sql`SELECT id FROM messages WHERE destroy_at <= ${now} ORDER BY destroy_at LIMIT ${limit}`,
      )
      .map((r) => r.id);
  }

  /**
   * Every message that has a deadline, with it, soonest first: what a burn scheduler loads at
   * start-up, in one indexed query instead of one read per message.
   */
  deadlines(): { id: string; destroyAt: number }[] {
    return this.db
      .all<{ id: string; destroy_at: number }>(
        sql`SELECT id, destroy_at FROM messages WHERE destroy_at IS NOT NULL ORDER BY destroy_at`,
      )
      .map((r) => ({ id: r.id, destroyAt: r.destroy_at }));
  }

  /** The next deadline after which something must be destroyed, or null when nothing has one. */
  nextDeadline(): number | null {
    return (
      this.db.value<number | null>(sql`SELECT min(destroy_at) FROM messages WHERE destroy_at IS NOT NULL`) ??
      null
    );
  }

  /**
   * Full-text search inside the encrypted file. `query` is the user's words: each becomes a quoted
   * FTS5 prefix term, so FTS5 syntax in the input is never interpreted.
   */
  search(
    query: string,
    options: { conversationId?: string; limit?: number; mark?: [string, string] } = {},
  ): SearchHit[] {
    const terms = query
      .split(/\s+/u)
      .filter((t) => t.length > 0)
      .map((t) => `"${t.replaceAll('"', '""')}"*`);
    if (terms.length === 0) return [];
    const [open, close] = options.mark ?? ['', ''];
    const inConversation =
      options.conversationId === undefined
        ? sql.empty
        : sql`AND m.conversation_id = ${options.conversationId}`;
    return this.db
      .all<{ id: string; conversation_id: string; sent_at: number; snippet: string }>(
        sql`
        SELECT m.id, m.conversation_id, m.sent_at, snippet(messages_fts, 0, ${open}, ${close}, '…', 16) AS snippet
        FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid
        WHERE messages_fts MATCH ${terms.join(' ')} ${inConversation}
        ORDER BY m.sent_at DESC LIMIT ${options.limit ?? 50}`,
      )
      .map((r) => ({
        messageId: r.id,
        conversationId: r.conversation_id,
        sentAt: r.sent_at,
        snippet: r.snippet,
      }));
  }
}
