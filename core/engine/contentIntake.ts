// Applies decrypted content inside the inbox transaction: text, timers, receipts, room updates and
// session resets, each checked against who sent it (roomIntake.ts holds the room rules). Events wait
// in `effects` and run after the commit.
import { randomUUID } from 'node:crypto';
import type { ConversationView, EngineEvent, ReceiptSettings } from '../../common/engine';
import type { Content } from '../../common/content';
import { expiresAtFor, isArrivedExpired } from '../../common/timers';
import { loggerFor } from '../log';
import type { Store } from '../store';
import { attachmentRow } from './attachments';
import type { BurnScheduler } from './burnScheduler';
import type { DeliveryKeys } from './deliveryKeys';
import { newContentId } from './ids';
import { timerNotice } from './notices';
import { applyRoomUpdate, directConversation, isRoomAdmin, peerTimers } from './roomIntake';
import { ROOM_KEY, type Rooms, type RoomState } from './rooms';
import { messageView, roomRequestView, type NameBook } from './views';

const log = loggerFor('engine');

/** Where the user's receipt settings are kept (settings repository). */
export const RECEIPTS_KEY = 'engine.receipts';

/** What applying content needs from the engine. */
export interface ContentIntakeDeps {
  readonly store: Store;
  readonly accountId: string;
  readonly book: NameBook;
  readonly scheduler: BurnScheduler;
  readonly deliveryKeys: DeliveryKeys;
  relayMode(): 'command' | 'live';
  emit(event: EngineEvent): void;
  conversationViewOf(id: string): ConversationView;
  roomState(id: string): RoomState | undefined;
  ensureRoomState(roomId: string): RoomState;
  rotateSenderKey(roomId: string): void;
  enqueueDirect(to: string, content: Content, messageId: string | null): void;
  insertRoomNotice: Rooms['insertRoomNotice'];
}

export class ContentIntake {
  constructor(private readonly d: ContentIntakeDeps) {}

  /** Applies decrypted content inside the inbox transaction; `effects` run after the commit (events). */
  apply(sender: string, content: Content, now: number, effects: (() => void)[]): void {
    // The sender of any content is a contact from now on (their identity was saved by the session).
    this.d.store.contacts.ensure(sender, now);
    // Their consent to hear from us without identity (deliveryKeys.ts); a newer key replaces.
    if (content.deliveryKey !== undefined) this.d.deliveryKeys.accept(sender, content.deliveryKey);
    switch (content.type) {
      case 'text':
        return this.applyText(sender, content, now, effects);
      case 'timers':
        return this.applyTimers(sender, content, now, effects);
      case 'receipt': {
        for (const id of content.messageIds) {
          const m = this.d.store.messages.get(id);
          // Only someone the message went to can acknowledge it: the peer, or a room member.
          if (!m || !m.outgoing) continue;
          if (m.conversationId !== sender && !this.isMember(m.conversationId, sender)) continue;
          if (content.kind === 'read') this.d.store.messages.markRead(id);
          else this.d.store.messages.markDelivered(id);
          effects.push(() => {
            const fresh = this.d.store.messages.get(id);
            if (fresh) this.d.emit({ type: 'message.updated', message: messageView(this.d.book, fresh) });
          });
        }
        return;
      }
      case 'sender-key':
        // Processed into the buffered sender-key store before this transaction (see receive()).
        return;
      case 'room.update':
        return this.applyRoomUpdate(sender, content, now, effects);
      case 'session.reset':
        effects.push(() => this.d.emit({ type: 'session.reset', accountId: sender }));
        return;
      case 'delivery-key':
        // The sender lets us reach them without identity (deliveryKeys.ts); a newer key replaces.
        this.d.deliveryKeys.accept(sender, content.key);
        return;
    }
  }

  /** A peer's new conversation defaults: validated like ours, and shown as a notice in the conversation. */
  private applyTimers(
    sender: string,
    content: Extract<Content, { type: 'timers' }>,
    now: number,
    effects: (() => void)[],
  ): void {
    if (content.roomId !== null) {
      const room = this.d.store.conversations.get(content.roomId);
      if (!room || room.kind !== 'room' || !this.isMember(content.roomId, sender)) return;
      // A room's timers are an admin change, ordered by the room epoch like membership.
      if (!isRoomAdmin(this.d.store, content.roomId, sender)) {
        log.warn({ action: 'timers' }, 'ignored a room change from a non-admin');
        return;
      }
      const held = this.d.roomState(content.roomId)?.epoch ?? 0;
      if ((content.epoch ?? 0) <= held) {
        log.warn({ action: 'timers' }, 'ignored a stale or replayed room change');
        return;
      }
      this.d.store.settings.set(ROOM_KEY(content.roomId), {
        ...this.d.ensureRoomState(content.roomId),
        epoch: content.epoch,
      });
    }
    const timers = peerTimers(content);
    if (timers === null) return;
    const conversationId = content.roomId ?? directConversation(this.d.store, sender, now).id;
    this.d.store.conversations.setDefaultTimers(conversationId, timers);
    const notice = this.d.store.messages.has(content.id)
      ? undefined
      : this.d.store.messages.insert(
          timerNotice({ id: content.id, conversationId, senderId: sender, outgoing: false, timers, now }),
          now,
        );
    const isRequest = this.d.store.conversations.get(conversationId)?.requestFrom != null;
    if (isRequest) return;
    effects.push(() => {
      this.d.emit({ type: 'conversation.changed', conversation: this.d.conversationViewOf(conversationId) });
      if (notice) this.d.emit({ type: 'message.added', message: messageView(this.d.book, notice) });
    });
  }

  isMember(roomId: string, accountId: string): boolean {
    return this.d.store.conversations.members(roomId).some((m) => m.accountId === accountId);
  }

  private applyText(
    sender: string,
    content: Extract<Content, { type: 'text' }>,
    now: number,
    effects: (() => void)[],
  ): void {
    let conversationId: string;
    // A room request holds its messages unseen: no receipt, no report, no event until accepted.
    let held = false;
    if (content.roomId !== null) {
      const room = this.d.store.conversations.get(content.roomId);
      if (!room || room.kind !== 'room' || !this.isMember(content.roomId, sender)) return;
      conversationId = content.roomId;
      held = room.requestFrom !== null;
    } else {
      conversationId = directConversation(this.d.store, sender, now).id;
    }
    // A resend after a crash on the sender's side carries the same id: store it once.
    if (this.d.store.messages.has(content.id)) return;
    const timers = { sentAt: content.sentAt, receivedAt: now, expireAfterMs: content.expireAfterMs };
    if (isArrivedExpired(timers)) {
      // Never stored, never shown: only counted.
      this.d.store.conversations.noteExpiredUnread(conversationId, 1);
      effects.push(() => this.d.emit({ type: 'expired-unread', conversationId, count: 1 }));
      return;
    }
    const message = this.d.store.messages.insert(
      {
        id: content.id,
        conversationId,
        senderId: sender,
        outgoing: false,
        kind: content.attachments.length > 0 ? 'attachment' : 'text',
        body: content.text,
        sentAt: content.sentAt,
        receivedAt: now,
        expireAfterMs: content.expireAfterMs,
        burnAfterMs: content.burnAfterMs,
        // Bounded by our arrival time: a sender clock running ahead cannot lengthen the life.
        expiresAt: expiresAtFor(timers),
        state: 'received',
      },
      now,
    );
    for (const a of content.attachments) {
      // A local id: an id chosen by the sender could collide with another stored attachment.
      this.d.store.attachments.add(attachmentRow(a, randomUUID(), content.id), now);
    }
    if (held) {
      effects.push(() => this.d.scheduler.schedule(message.id, message.destroyAt));
      return;
    }
    const settings = this.d.store.settings.get<ReceiptSettings>(RECEIPTS_KEY);
    // Room messages too: the receipt goes pairwise to the sender only.
    if (settings?.deliveryReceipts !== false) {
      this.d.enqueueDirect(
        sender,
        {
          v: 1,
          type: 'receipt',
          id: newContentId(),
          sentAt: now,
          roomId: null,
          kind: 'delivery',
          messageIds: [content.id],
        },
        null,
      );
    }
    if (this.d.relayMode() === 'command') {
      // In the same transaction as the message, so a crash cannot lose the "new" mark.
      this.d.store.unreported.add(message.id);
    }
    effects.push(() => {
      this.d.scheduler.schedule(message.id, message.destroyAt);
      const view = messageView(this.d.book, message);
      this.d.emit({ type: 'message.added', message: view });
    });
  }

  private applyRoomUpdate(
    sender: string,
    content: Extract<Content, { type: 'room.update' }>,
    now: number,
    effects: (() => void)[],
  ): void {
    applyRoomUpdate(
      {
        store: this.d.store,
        selfId: this.d.accountId,
        ensureRoomState: (id) => this.d.ensureRoomState(id),
        markLeft: (id) =>
          this.d.store.settings.set(ROOM_KEY(id), { ...this.d.ensureRoomState(id), left: true }),
        rotateSenderKey: (id) => this.d.rotateSenderKey(id),
        epoch: (id) => this.d.roomState(id)?.epoch ?? 0,
        setEpoch: (id, epoch) =>
          this.d.store.settings.set(ROOM_KEY(id), { ...this.d.ensureRoomState(id), epoch }),
        notice: (id, update, from) => {
          const notice = this.d.insertRoomNotice(id, update, from, from === this.d.accountId);
          // Shown live in the open room, like a message, once the change is committed.
          if (notice)
            effects.push(() =>
              this.d.emit({ type: 'message.added', message: messageView(this.d.book, notice) }),
            );
        },
        changed: (id, isRequest) => {
          const c = this.d.store.conversations.get(id);
          if (!c) return;
          if (isRequest) this.d.emit({ type: 'room.request', request: roomRequestView(this.d.book, c) });
          else this.d.emit({ type: 'conversation.changed', conversation: this.d.conversationViewOf(id) });
        },
      },
      sender,
      content,
      now,
      effects,
    );
  }
}
