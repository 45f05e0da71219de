// View models the engine hands to its callers (the IPC services, the CLI, the test harness).
// Pure data: no keys, no rows, no Node types, so they cross IPC and JSON unchanged.

/** Where a message is in its life. Outgoing: pending → sent → delivered → read (or failed). */
export type MessageState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'received';

export interface AttachmentView {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  /** True once the ciphertext was fetched, verified and stored (encrypted) on this device. */
  downloaded: boolean;
}

export interface MessageView {
  id: string;
  conversationId: string;
  /** Username of the sender (or their account id when they have none); own messages carry our name. */
  from: string;
  /** Account id (UUID) of the sender. */
  fromAccountId: string;
  outgoing: boolean;
  text: string;
  /** Sender's clock, ms since the epoch. */
  sentAt: number;
  /** This device's clock at arrival; null on our own messages. */
  receivedAt: number | null;
  expireAfterMs: number | null;
  burnAfterMs: number | null;
  /** Expiration deadline (bounded by receivedAt on the recipient); null when the timer is off. */
  expiresAt: number | null;
  /** Burn deadline; null until seen (recipient) or when burn-on-read is off. */
  burnAt: number | null;
  seenAt: number | null;
  state: MessageState;
  attachments: AttachmentView[];
  /**
   * A name the sender supplied that the relay has not confirmed for this account (shown apart,
   * marked unconfirmed); absent or null when `from` is a confirmed username.
   */
  fromNameHint?: string | null;
  /**
   * Set on a notice (a row that is not a message: a timer or room change). Renderers word it with
   * common/notices.ts `noticeText`; `text` holds that same sentence for the CLI and JSON readers.
   */
  notice?: Notice;
}

/**
 * Someone a notice names, as the engine knows them when it reads the row (so a name confirmed
 * later shows in old notices too). Worded by common/notices.ts: "you", the confirmed username,
 * else "an unknown member" with the name another member gave — never the account id.
 */
export interface NoticeParty {
  accountId: string;
  /** The username our own relay lookup confirmed (ours for ourselves); null when none. */
  username: string | null;
  /** A name a peer supplied for this account, unconfirmed; null when `username` is set. */
  nameHint: string | null;
  /** The app's own account. */
  isSelf: boolean;
}

/** One conversation notice, as data. `actor` is who made the change. */
export type Notice =
  | { kind: 'timersChanged'; actor: NoticeParty; timers: ConversationTimers }
  | { kind: 'created'; actor: NoticeParty }
  | { kind: 'memberAdded'; actor: NoticeParty; subject: NoticeParty }
  | { kind: 'memberRemoved'; actor: NoticeParty; subject: NoticeParty }
  | { kind: 'left'; actor: NoticeParty }
  | { kind: 'promoted'; actor: NoticeParty; subject: NoticeParty }
  | { kind: 'demoted'; actor: NoticeParty; subject: NoticeParty }
  | { kind: 'renamed'; actor: NoticeParty; name: string }
  /** A room change this version cannot word (a stored row from a newer or broken writer). */
  | { kind: 'roomChanged'; actor: NoticeParty };

export type NoticeKind = Notice['kind'];

export interface ConversationTimers {
  expireAfterMs: number | null;
  burnAfterMs: number | null;
}

export type ConversationKind = 'direct' | 'room';

export interface ConversationView {
  id: string;
  kind: ConversationKind;
  /** Contact's username for direct conversations, the room name for rooms. */
  title: string;
  /** Usernames (or account ids) of the other members. */
  members: string[];
  defaultTimers: ConversationTimers;
  lastMessageAt: number | null;
  unreadCount: number;
  /** Messages that arrived already expired and were never stored. */
  expiredUnreadCount: number;
  /** Rooms only: true once we left or were removed. */
  left: boolean;
  /** Rooms only: the admins (usernames or account ids; ourselves as our own username). */
  admins?: string[];
  /** Rooms only: whether we are an admin (admins change the room; members may only leave). */
  isAdmin?: boolean;
}

export interface ContactView {
  accountId: string;
  username: string | null;
  verified: boolean;
  /** Set when the contact's identity key changed since we first saw it; cleared by re-verifying. */
  identityChanged: boolean;
  /** A name a peer supplied (e.g. in a room's member list): unconfirmed, never the username. */
  nameHint: string | null;
  addedAt: number;
}

/** A room from someone who is not a contact: not a conversation until the user accepts it. */
export interface RoomRequestView {
  id: string;
  name: string;
  /** Account id of who invited us. */
  fromAccountId: string;
  /** Their confirmed username, or their account id. */
  from: string;
  /** A name they or another member supplied, unconfirmed. */
  fromNameHint: string | null;
  /** The other members: confirmed usernames or account ids. */
  members: string[];
  receivedAt: number;
}

export interface SafetyNumberView {
  accountId: string;
  username: string | null;
  /** 60 digits, as libsignal's displayable fingerprint. */
  digits: string;
  /** Base64 of the scannable fingerprint, for a QR code. */
  scannable: string;
  verified: boolean;
  identityChanged: boolean;
}

export type ConnectionState = 'offline' | 'connecting' | 'online';

export interface ReceiptSettings {
  deliveryReceipts: boolean;
  readReceipts: boolean;
}
