// Read-only queries for the UI beyond the engine's basic API: a page of messages before a cursor
// (the message list pages as the reader scrolls up), the newest message of each conversation (the
// list's previews) and full-text search. Each first destroys what is due, like every read API.
// One write lives here too, "delete for me", because it is the same destroy path as a deadline's.
import { WispError } from '../../common/errors';
import type { MessageView } from '../../common/engine';
import type { RoomMemberView } from '../../common/ipc/rooms';
import { MATCH_END, MATCH_START, type MessagePreview, type SearchHit } from '../../common/ipc/messages';
import { noticeText } from '../../common/notices';
import type { Message, Store } from '../store';
import { roomMembers } from './roomMembers';
import { messageView, nameOf, noticeViewOf, type NameBook } from './views';

export interface QueriesHost {
  readonly store: Store;
  readonly book: NameBook;
  /** Destroys every message already past its deadline (the engine's destroyOverdue). */
  settle(): Promise<void>;
  /** Runs store-mutating work on the engine's one queue (never inside an inbox transaction). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** A message left through deleteForMe: unschedule it and tell listeners. */
  deleted(id: string, conversationId: string): void;
}

/**
 * Text that may show outside the open conversation. An incoming burn-on-read message not yet seen
 * shows none: reading it in a preview or a search result would be reading it with no countdown.
 */
function shownText(m: Message, text: string): string | null {
  return !m.outgoing && m.burnAfterMs !== null && m.seenAt === null ? null : text;
}

export class EngineQueries {
  constructor(private readonly host: QueriesHost) {}

  deleteForMe(id: string): Promise<void> {
    return deleteForMe(this.host, id);
  }

  /** The `limit` messages before `before` (or the newest), oldest first. */
  async page(
    conversationId: string,
    before: string | undefined,
    limit: number,
  ): Promise<{ messages: MessageView[]; hasMore: boolean }> {
    await this.host.settle();
    const { store, book } = this.host;
    if (store.conversations.get(conversationId) === undefined) {
      throw new WispError('NotFound', 'no such conversation', { recovery: 'Pick it again from the list.' });
    }
    const page = store.messages.pageBefore(conversationId, before, limit);
    if (page === undefined) {
      throw new WispError('NotFound', 'that message is no longer here', {
        recovery: 'Reopen the conversation to load it again.',
      });
    }
    return { messages: page.messages.map((m) => messageView(book, m)), hasMore: page.hasMore };
  }

  /** A room's members with roles and names (roomMembers.ts). */
  async roomMembers(roomId: string): Promise<RoomMemberView[]> {
    await this.host.settle();
    return roomMembers(this.host.store, this.host.book, roomId);
  }

  async previews(): Promise<MessagePreview[]> {
    await this.host.settle();
    const { store, book } = this.host;
    return store.messages.latestOfEach().map((m) => {
      // A notice (timers, a room change) previews as its sentence, never as its stored JSON; the
      // list words it from `notice`, with the same formatter as the notice row.
      const notice = noticeViewOf(book, m);
      return {
        conversationId: m.conversationId,
        messageId: m.id,
        outgoing: m.outgoing,
        from: nameOf(book, m.senderId),
        sentAt: m.sentAt,
        text: shownText(m, notice ? noticeText(notice) : (m.body ?? '')),
        attachments: store.attachments.forMessage(m.id).length,
        notice,
      };
    });
  }

  async search(query: string, limit: number): Promise<SearchHit[]> {
    await this.host.settle();
    const { store, book } = this.host;
    const hits = store.messages.search(query, { limit, mark: [MATCH_START, MATCH_END] });
    const found: SearchHit[] = [];
    for (const hit of hits) {
      const m = store.messages.get(hit.messageId);
      // Notices are stored as JSON the index also holds: they are not messages and never match.
      if (m === undefined || m.kind === 'system') continue;
      found.push({
        messageId: m.id,
        conversationId: m.conversationId,
        outgoing: m.outgoing,
        from: nameOf(book, m.senderId),
        sentAt: m.sentAt,
        snippet: shownText(m, hit.snippet),
      });
    }
    return found;
  }
}

/**
 * "Delete for me": destroys one message on this device only, through the store's destroy path
 * (row, search entries, attachment files; secure_delete and a WAL checkpoint), as a deadline does.
 */
export async function deleteForMe(host: QueriesHost, id: string): Promise<void> {
  const message = host.store.messages.get(id);
  if (message === undefined) {
    throw new WispError('NotFound', 'that message is no longer here', {
      recovery: 'It may have expired or burned.',
    });
  }
  const destroyed = await host.exclusive(async () => host.store.destroyMessage(id, 'user'));
  if (destroyed) host.deleted(id, message.conversationId);
}
