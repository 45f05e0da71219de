// Conversations (1:1 and rooms), their members, default timers, and the counters the list shows.
import { randomUUID } from 'node:crypto';
import { WispError } from '../../../common/errors';
import { sql } from '../sql';
import type { WritableDb } from '../database';
import type { Conversation, ConversationMember } from '../types';

interface Row {
  id: string;
  kind: 'direct' | 'room';
  peer_id: string | null;
  name: string | null;
  expire_after_ms: number | null;
  burn_after_ms: number | null;
  last_message_at: number | null;
  unread_count: number;
  expired_unread_count: number;
  request_from: string | null;
  created_at: number;
}

function toConversation(row: Row): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    peerId: row.peer_id,
    name: row.name,
    expireAfterMs: row.expire_after_ms,
    burnAfterMs: row.burn_after_ms,
    lastMessageAt: row.last_message_at,
    unreadCount: row.unread_count,
    expiredUnreadCount: row.expired_unread_count,
    requestFrom: row.request_from,
    createdAt: row.created_at,
  };
}

export interface ConversationTimers {
  readonly expireAfterMs: number | null;
  readonly burnAfterMs: number | null;
}

export class ConversationsRepo {
  constructor(private readonly db: WritableDb) {}

  get(id: string): Conversation | undefined {
    const row = this.db.get<Row>(sql`SELECT * FROM conversations WHERE id = ${id}`);
    return row && toConversation(row);
  }

  require(id: string): Conversation {
    const conversation = this.get(id);
    if (!conversation) throw new WispError('NotFound', 'no such conversation');
    return conversation;
  }

  directWith(peerId: string): Conversation | undefined {
    const row = this.db.get<Row>(sql`SELECT * FROM conversations WHERE peer_id = ${peerId}`);
    return row && toConversation(row);
  }

  /** The 1:1 conversation with a contact, created on first use. Its id is the peer's account id. */
  ensureDirect(peerId: string, now = Date.now()): Conversation {
    this.db.run(sql`
      INSERT INTO conversations (id, kind, peer_id, created_at) VALUES (${peerId}, 'direct', ${peerId}, ${now})
      ON CONFLICT DO NOTHING`);
    return this.directWith(peerId)!;
  }

  createRoom(
    options: {
      id?: string;
      name: string | null;
      members: readonly string[];
      admins?: readonly string[];
      timers?: ConversationTimers;
      /** A room from someone who is not a contact: kept as a request until accepted. */
      requestFrom?: string | null;
    },
    now = Date.now(),
  ): Conversation {
    const id = options.id ?? randomUUID();
    this.db.transaction(() => {
      this.db.run(sql`
        INSERT INTO conversations (id, kind, name, expire_after_ms, burn_after_ms, request_from, created_at)
        VALUES (${id}, 'room', ${options.name}, ${options.timers?.expireAfterMs ?? null}, ${options.timers?.burnAfterMs ?? null},
          ${options.requestFrom ?? null}, ${now})`);
      for (const member of options.members) {
        this.addMember(id, member, options.admins?.includes(member) ? 'admin' : 'member', now);
      }
    });
    return this.get(id)!;
  }

  /** Newest activity first: the conversation list. Room requests are not conversations yet. */
  list(): Conversation[] {
    return this.db
      .all<Row>(
        sql`SELECT * FROM conversations WHERE request_from IS NULL ORDER BY coalesce(last_message_at, created_at) DESC`,
      )
      .map(toConversation);
  }

  /** Rooms from non-contacts waiting for the user to accept or decline them, oldest first. */
  requests(): Conversation[] {
    return this.db
      .all<Row>(sql`SELECT * FROM conversations WHERE request_from IS NOT NULL ORDER BY created_at, id`)
      .map(toConversation);
  }

  /** The user accepted a room request: from now on it is a conversation like any other. */
  acceptRequest(id: string): void {
    this.db.run(sql`UPDATE conversations SET request_from = NULL WHERE id = ${id}`);
  }

  /** The most recently active conversation, or undefined when there is none. */
  latest(): Conversation | undefined {
    const row = this.db.get<Row>(sql`SELECT * FROM conversations ORDER BY last_message_at DESC LIMIT 1`);
    return row && toConversation(row);
  }

  setName(id: string, name: string | null): void {
    this.db.run(sql`UPDATE conversations SET name = ${name} WHERE id = ${id}`);
  }

  setDefaultTimers(id: string, timers: ConversationTimers): void {
    this.db.run(sql`
      UPDATE conversations SET expire_after_ms = ${timers.expireAfterMs}, burn_after_ms = ${timers.burnAfterMs}
      WHERE id = ${id}`);
  }

  addMember(
    conversationId: string,
    accountId: string,
    role: 'admin' | 'member' = 'member',
    now = Date.now(),
  ): void {
    this.db.run(sql`
      INSERT INTO conversation_members (conversation_id, account_id, role, joined_at)
      VALUES (${conversationId}, ${accountId}, ${role}, ${now}) ON CONFLICT DO UPDATE SET role = excluded.role`);
  }

  setRole(conversationId: string, accountId: string, role: 'admin' | 'member'): void {
    this.db.run(sql`
      UPDATE conversation_members SET role = ${role}
      WHERE conversation_id = ${conversationId} AND account_id = ${accountId}`);
  }

  removeMember(conversationId: string, accountId: string): void {
    this.db.run(
      sql`DELETE FROM conversation_members WHERE conversation_id = ${conversationId} AND account_id = ${accountId}`,
    );
  }

  members(conversationId: string): ConversationMember[] {
    return this.db
      .all<{ account_id: string; role: 'admin' | 'member'; joined_at: number }>(
        sql`SELECT account_id, role, joined_at FROM conversation_members WHERE conversation_id = ${conversationId} ORDER BY joined_at, account_id`,
      )
      .map((r) => ({ accountId: r.account_id, role: r.role, joinedAt: r.joined_at }));
  }

  /** Counts messages that expired unread, e.g. ones that arrived already past their deadline and were never stored. */
  noteExpiredUnread(conversationId: string, count = 1): void {
    this.db.run(
      sql`UPDATE conversations SET expired_unread_count = expired_unread_count + ${count} WHERE id = ${conversationId}`,
    );
  }

  clearExpiredUnread(conversationId: string): void {
    this.db.run(sql`UPDATE conversations SET expired_unread_count = 0 WHERE id = ${conversationId}`);
  }
}
