// Store records → the view models the engine hands out (common/engine). The only place that
// decides how a row looks to the UI and the CLI.
import type {
  AttachmentView,
  ContactView,
  ConversationView,
  MessageState,
  MessageView,
  Notice,
  NoticeParty,
  RoomRequestView,
} from '../../common/engine';
import { noticeText } from '../../common/notices';
import { noticeOf } from './notices';
import type { Attachment, Contact, Conversation, Message, Store } from '../store';

export function messageState(m: Message): MessageState {
  if (!m.outgoing) return 'received';
  if (m.state === 'sending') return 'pending';
  if (m.state === 'failed') return 'failed';
  if (m.read) return 'read';
  if (m.delivered) return 'delivered';
  return 'sent';
}

export function attachmentView(a: Attachment): AttachmentView {
  return {
    id: a.id,
    fileName: a.fileName ?? 'file',
    contentType: a.mime,
    size: a.size,
    downloaded: a.localPath !== null,
  };
}

export interface NameBook {
  selfId: string;
  selfName: string | null;
  store: Store;
}

export function nameOf(book: NameBook, accountId: string): string {
  if (accountId === book.selfId) return book.selfName ?? accountId;
  return book.store.contacts.get(accountId)?.username ?? accountId;
}

/**
 * Someone a notice names, as we know them now: our own account, a username our relay lookup
 * confirmed, or the unconfirmed name another member gave. common/notices.ts words it.
 */
export function noticePartyOf(book: NameBook, accountId: string): NoticeParty {
  if (accountId === book.selfId) return { accountId, username: book.selfName, nameHint: null, isSelf: true };
  const c = book.store.contacts.get(accountId);
  return { accountId, username: c?.username ?? null, nameHint: nameHintOf(book, accountId), isSelf: false };
}

/** The notice a stored row carries (notices.ts), its people named as we know them now. */
export function noticeViewOf(book: NameBook, m: Message): Notice | null {
  return noticeOf(m, (id) => noticePartyOf(book, id));
}

/** A name a peer supplied for an account that has no confirmed username (shown apart, unconfirmed). */
export function nameHintOf(book: NameBook, accountId: string): string | null {
  if (accountId === book.selfId) return null;
  const c = book.store.contacts.get(accountId);
  return c && c.username === null ? c.nameHint : null;
}

export function messageView(book: NameBook, m: Message): MessageView {
  const notice = noticeViewOf(book, m);
  if (notice) {
    return {
      id: m.id,
      conversationId: m.conversationId,
      from: nameOf(book, m.senderId),
      fromAccountId: m.senderId,
      fromNameHint: nameHintOf(book, m.senderId),
      outgoing: m.outgoing,
      text: noticeText(notice),
      sentAt: m.sentAt,
      receivedAt: m.outgoing ? null : m.receivedAt,
      expireAfterMs: null,
      burnAfterMs: null,
      expiresAt: null,
      burnAt: null,
      seenAt: m.seenAt,
      state: m.outgoing ? 'sent' : 'received',
      attachments: [],
      notice,
    };
  }
  return {
    id: m.id,
    conversationId: m.conversationId,
    from: nameOf(book, m.senderId),
    fromAccountId: m.senderId,
    fromNameHint: nameHintOf(book, m.senderId),
    outgoing: m.outgoing,
    text: m.body ?? '',
    sentAt: m.sentAt,
    receivedAt: m.outgoing ? null : m.receivedAt,
    expireAfterMs: m.expireAfterMs,
    burnAfterMs: m.burnAfterMs,
    expiresAt: m.expiresAt,
    burnAt: m.burnAt,
    seenAt: m.seenAt,
    state: messageState(m),
    attachments: book.store.attachments.forMessage(m.id).map(attachmentView),
  };
}

export function contactView(c: Contact): ContactView {
  return {
    accountId: c.accountId,
    username: c.username,
    verified: c.verified,
    identityChanged: c.identityChanged,
    nameHint: c.username === null ? c.nameHint : null,
    addedAt: c.createdAt,
  };
}

export function roomRequestView(book: NameBook, c: Conversation): RoomRequestView {
  const from = c.requestFrom ?? '';
  return {
    id: c.id,
    name: c.name ?? 'room',
    fromAccountId: from,
    from: nameOf(book, from),
    fromNameHint: nameHintOf(book, from),
    members: book.store.conversations
      .members(c.id)
      .map((m) => m.accountId)
      .filter((id) => id !== book.selfId && id !== from)
      .map((id) => nameOf(book, id)),
    receivedAt: c.createdAt,
  };
}

export function conversationView(book: NameBook, c: Conversation, left: boolean): ConversationView {
  const all = book.store.conversations.members(c.id);
  const members = all.map((m) => m.accountId).filter((id) => id !== book.selfId);
  const peers = c.kind === 'direct' && c.peerId !== null ? [c.peerId] : members;
  return {
    id: c.id,
    kind: c.kind,
    title: c.kind === 'direct' && c.peerId !== null ? nameOf(book, c.peerId) : (c.name ?? 'room'),
    members: peers.map((id) => nameOf(book, id)),
    defaultTimers: { expireAfterMs: c.expireAfterMs, burnAfterMs: c.burnAfterMs },
    lastMessageAt: c.lastMessageAt,
    unreadCount: c.unreadCount,
    expiredUnreadCount: c.expiredUnreadCount,
    left,
    ...(c.kind === 'room'
      ? {
          admins: all.filter((m) => m.role === 'admin').map((m) => nameOf(book, m.accountId)),
          isAdmin: all.some((m) => m.accountId === book.selfId && m.role === 'admin'),
        }
      : {}),
  };
}
