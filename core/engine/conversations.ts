// Conversations: listing and reading them (overdue messages destroyed first), paging and search
// (queries.ts), marking messages seen (one or a batch; the read receipts), conversation timers,
// receipt settings.
import type {
  ConversationTimers,
  ConversationView,
  EngineEvent,
  MessageView,
  ReceiptSettings,
} from '../../common/engine';
import type { Content } from '../../common/content';
import { WispError, isWispError } from '../../common/errors';
import { validateTimers } from '../../common/timers';
import type { Message, Store } from '../store';
import type { BurnScheduler } from './burnScheduler';
import { RECEIPTS_KEY } from './contentIntake';
import { UUID_RE, type IdentityGuard } from './identityGuard';
import { newContentId } from './ids';
import { timerNotice } from './notices';
import type { Outbox } from './outbox';
import { EngineQueries } from './queries';
import { directConversation } from './roomIntake';
import { roomState, type Rooms } from './rooms';
import { conversationView, messageView, type NameBook } from './views';

/** What the conversation operations need from the engine. */
export interface ConversationsDeps {
  readonly store: Store;
  readonly accountId: string;
  readonly book: NameBook;
  readonly guard: IdentityGuard;
  readonly scheduler: BurnScheduler;
  readonly rooms: Rooms;
  readonly outbox: Outbox;
  clock(): number;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  assertOpen(): void;
  destroyOverdue(): Promise<void>;
  enqueueDirect(to: string, content: Content, messageId: string | null): void;
  emit(event: EngineEvent): void;
}

export class Conversations {
  constructor(private readonly d: ConversationsDeps) {}

  conversationViewOf(id: string): ConversationView {
    const c = this.d.store.conversations.require(id);
    return conversationView(
      this.d.book,
      c,
      c.kind === 'room' ? (roomState(this.d.store, id)?.left ?? false) : false,
    );
  }

  /**
   * A conversation by its id (a room's id, or a contact's account id), or a contact's direct
   * conversation by username. A typed name never reaches a room; a room request is not reachable.
   */
  private async conversationFor(target: string, createDirect: boolean): Promise<string> {
    const byId = this.d.store.conversations.get(target);
    if (byId && byId.requestFrom === null) return byId.id;
    if (!createDirect) {
      const contact = UUID_RE.test(target)
        ? this.d.store.contacts.get(target)
        : this.d.store.contacts.byUsername(target);
      const direct = contact && this.d.store.conversations.directWith(contact.accountId);
      if (!direct) throw new WispError('NotFound', 'no conversation with that name');
      return direct.id;
    }
    const contact = await this.d.guard.find(target);
    return directConversation(this.d.store, contact.accountId, this.d.clock()).id;
  }

  async conversations(): Promise<ConversationView[]> {
    this.d.assertOpen();
    await this.d.destroyOverdue();
    return this.d.store.conversations.list().map((c) => this.conversationViewOf(c.id));
  }

  async messages(withName: string): Promise<MessageView[]> {
    this.d.assertOpen();
    await this.d.destroyOverdue();
    let id: string;
    try {
      id = await this.conversationFor(withName, false);
    } catch (error) {
      // A known contact we have not talked to yet simply has no messages.
      const known = UUID_RE.test(withName)
        ? this.d.store.contacts.get(withName)
        : this.d.store.contacts.byUsername(withName);
      if (known && isWispError(error, 'NotFound')) return [];
      throw error;
    }
    return this.d.store.messages.all(id).map((m) => messageView(this.d.book, m));
  }

  /** Paging, previews, search and delete-for-me for the UI (core/engine/queries.ts). */
  get queries(): EngineQueries {
    this.d.assertOpen();
    return new EngineQueries({
      store: this.d.store,
      book: this.d.book,
      settle: () => this.d.destroyOverdue(),
      exclusive: (work) => this.d.serial(work),
      deleted: (id, conversationId) => {
        this.d.scheduler.cancel(id);
        this.d.emit({ type: 'message.destroyed', id, conversationId, reason: 'deleted' });
      },
    });
  }

  async setConversationTimers(conversation: string, timers: ConversationTimers): Promise<ConversationView> {
    this.d.assertOpen();
    const t = validateTimers({ expireAfterMs: timers.expireAfterMs, burnAfterMs: timers.burnAfterMs });
    const id = await this.conversationFor(conversation, true);
    const c = this.d.store.conversations.require(id);
    if (c.kind === 'room') this.d.rooms.requireAdmin(id);
    let notice: Message | undefined;
    await this.d.serial(async () => {
      const now = this.d.clock();
      this.d.store.transaction(() => {
        this.d.store.conversations.setDefaultTimers(id, t);
        const content: Content = {
          v: 1,
          type: 'timers',
          id: newContentId(),
          sentAt: now,
          roomId: c.kind === 'room' ? id : null,
          ...t,
          ...(c.kind === 'room' ? { epoch: this.d.rooms.nextEpoch(id) } : {}),
        };
        for (const to of this.peersOf(id)) this.d.enqueueDirect(to, content, null);
        notice = this.d.store.messages.insert(
          timerNotice({
            id: content.id,
            conversationId: id,
            senderId: this.d.accountId,
            outgoing: true,
            timers: t,
            now,
          }),
          now,
        );
      });
    });
    const view = this.conversationViewOf(id);
    this.d.emit({ type: 'conversation.changed', conversation: view });
    if (notice) this.d.emit({ type: 'message.added', message: messageView(this.d.book, notice) });
    await this.d.outbox.tryFlush();
    return view;
  }

  peersOf(conversationId: string): string[] {
    const c = this.d.store.conversations.require(conversationId);
    if (c.kind === 'direct' && c.peerId !== null) return [c.peerId];
    return this.d.store.conversations
      .members(conversationId)
      .map((m) => m.accountId)
      .filter((id) => id !== this.d.accountId);
  }

  async receiptSettings(): Promise<ReceiptSettings> {
    return (
      this.d.store.settings.get<ReceiptSettings>(RECEIPTS_KEY) ?? {
        deliveryReceipts: true,
        readReceipts: true,
      }
    );
  }

  async setReceiptSettings(settings: Partial<ReceiptSettings>): Promise<ReceiptSettings> {
    const next = { ...(await this.receiptSettings()), ...settings };
    this.d.store.settings.set(RECEIPTS_KEY, next);
    return next;
  }

  async markSeen(id: string): Promise<MessageView> {
    this.d.assertOpen();
    await this.d.destroyOverdue();
    const before = this.d.store.messages.get(id);
    if (!before) throw new WispError('NotFound', 'no such message (it may have been destroyed)');
    if (before.outgoing) return messageView(this.d.book, before);
    const now = this.d.clock();
    const after = await this.d.serial(async () =>
      this.d.store.transaction(() => {
        const m = this.d.store.messages.markSeen(id, now)!;
        const settings = this.d.store.settings.get<ReceiptSettings>(RECEIPTS_KEY);
        if (before.seenAt === null && settings?.readReceipts !== false) {
          this.d.enqueueDirect(m.senderId, readReceipt([id], now), null);
        }
        return m;
      }),
    );
    this.d.scheduler.schedule(id, after.destroyAt);
    const view = messageView(this.d.book, after);
    this.d.emit({ type: 'message.updated', message: view });
    // Sends the read receipt now if there is one (a relay that is down keeps it in the outbox).
    if (before.seenAt === null) await this.d.outbox.tryFlush();
    return view;
  }

  /**
   * `markSeen` for many messages in one store transaction (a scroll through unread messages sees
   * dozens a second). Per id it does what `markSeen` does, at the same instant for all: a first
   * sighting starts the burn countdown and queues a read receipt (one receipt per sender, listing
   * that sender's messages, if read receipts are on); an own message is returned unchanged. An id
   * with no stored message (destroyed since the reader saw it) is skipped, not refused: one message
   * that burned or expired in the meantime must not keep the others unseen. Views come back in
   * the order asked, each id once.
   */
  async markSeenMany(ids: readonly string[]): Promise<MessageView[]> {
    this.d.assertOpen();
    await this.d.destroyOverdue();
    const unique = [...new Set(ids)];
    const now = this.d.clock();
    const { marked, firstSightings } = await this.d.serial(async () =>
      this.d.store.transaction(() => {
        const settings = this.d.store.settings.get<ReceiptSettings>(RECEIPTS_KEY);
        const receipts = new Map<string, string[]>();
        const marked: Message[] = [];
        let firstSightings = 0;
        for (const id of unique) {
          const before = this.d.store.messages.get(id);
          if (!before) continue;
          if (before.outgoing) {
            marked.push(before);
            continue;
          }
          marked.push(this.d.store.messages.markSeen(id, now)!);
          if (before.seenAt !== null) continue;
          firstSightings += 1;
          if (settings?.readReceipts !== false) {
            receipts.set(before.senderId, [...(receipts.get(before.senderId) ?? []), id]);
          }
        }
        for (const [senderId, messageIds] of receipts) {
          this.d.enqueueDirect(senderId, readReceipt(messageIds, now), null);
        }
        return { marked, firstSightings };
      }),
    );
    const views = marked.map((m) => {
      const view = messageView(this.d.book, m);
      if (!m.outgoing) {
        this.d.scheduler.schedule(m.id, m.destroyAt);
        this.d.emit({ type: 'message.updated', message: view });
      }
      return view;
    });
    if (firstSightings > 0) await this.d.outbox.tryFlush();
    return views;
  }
}

/** The read receipt telling a sender we saw `messageIds` at `now` (pairwise, never to a room). */
function readReceipt(messageIds: string[], now: number): Content {
  return { v: 1, type: 'receipt', id: newContentId(), sentAt: now, roomId: null, kind: 'read', messageIds };
}
