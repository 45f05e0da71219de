// The store's typed records: what repositories take and return (camelCase, times in ms since the epoch).

export type ConversationKind = 'direct' | 'room';
export type MessageKind = 'text' | 'attachment' | 'system';
/** outgoing: sending → sent (→ failed); incoming: received. Receipts are separate flags. */
export type MessageState = 'sending' | 'sent' | 'failed' | 'received';

export interface LocalIdentity {
  readonly accountId: string;
  readonly deviceId: number;
  readonly username: string | null;
  /** Serialized libsignal IdentityKeyPair. */
  readonly identityKeyPair: Buffer;
  readonly registrationId: number;
  readonly relayUrl: string;
  /** The relay's sealed-sender trust root public key, once known. */
  readonly trustRoot: Buffer | null;
  readonly createdAt: number;
}

export interface Contact {
  readonly accountId: string;
  readonly username: string | null;
  /** Serialized libsignal PublicKey, null until the first session. */
  readonly identityKey: Buffer | null;
  readonly verified: boolean;
  /** Set when a different identity key replaced the one we had; cleared when the user acknowledges. */
  readonly identityChanged: boolean;
  /** A name a peer supplied (room member list, unconfirmed sender name): shown apart, never resolved. */
  readonly nameHint: string | null;
  /** The user reached out to this contact (lookup, a message they sent, a room they made, verify). */
  readonly added: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Conversation {
  readonly id: string;
  readonly kind: ConversationKind;
  /** The contact's account id for a direct conversation; null for a room. */
  readonly peerId: string | null;
  readonly name: string | null;
  readonly expireAfterMs: number | null;
  readonly burnAfterMs: number | null;
  readonly lastMessageAt: number | null;
  readonly unreadCount: number;
  /** Messages that expired before they were seen (including ones that arrived already expired). */
  readonly expiredUnreadCount: number;
  /** Rooms only: the account that invited us while not a contact; non-null until the user accepts. */
  readonly requestFrom: string | null;
  readonly createdAt: number;
}

export interface ConversationMember {
  readonly accountId: string;
  readonly role: 'admin' | 'member';
  readonly joinedAt: number;
}

export interface NewMessage {
  readonly id: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly outgoing: boolean;
  readonly kind: MessageKind;
  readonly body: string | null;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly expireAfterMs: number | null;
  readonly burnAfterMs: number | null;
  /** Already bounded by the caller (min of sentAt and receivedAt based deadlines for incoming). */
  readonly expiresAt: number | null;
  readonly seenAt?: number | null;
  /** Set at insert for the sender's own copy (its burn starts at sending). */
  readonly burnAt?: number | null;
  readonly state: MessageState;
}

export interface Message extends Required<NewMessage> {
  readonly seenAt: number | null;
  readonly burnAt: number | null;
  /** The earliest of expiresAt and burnAt, computed by the database. */
  readonly destroyAt: number | null;
  readonly delivered: boolean;
  readonly read: boolean;
}

export interface NewAttachment {
  readonly id: string;
  readonly messageId: string;
  readonly fileName: string | null;
  readonly mime: string;
  readonly size: number;
  readonly blobId?: string | null;
  readonly remoteKey?: Uint8Array | null;
  readonly digest?: Uint8Array | null;
}

export interface Attachment {
  readonly id: string;
  readonly messageId: string;
  readonly fileName: string | null;
  readonly mime: string;
  readonly size: number;
  /** File name under the profile's attachments/ folder, or null when not stored locally. */
  readonly localPath: string | null;
  readonly blobId: string | null;
  readonly remoteKey: Buffer | null;
  readonly digest: Buffer | null;
  readonly createdAt: number;
}

export interface OutboxItem {
  readonly id: number;
  readonly messageId: string | null;
  readonly recipientId: string;
  readonly kind: string;
  readonly payload: Buffer;
  readonly expiresAt: number | null;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly createdAt: number;
}

export interface SearchHit {
  readonly messageId: string;
  readonly conversationId: string;
  readonly sentAt: number;
  /** The body with matches wrapped in the given markers; plain text, never HTML. */
  readonly snippet: string;
}
