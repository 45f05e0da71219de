// Public API of the messaging engine: the one object main/, the CLI and the test harness drive.
// Sketch committed first so callers can code against it; bodies land behind it.
import type {
  ContactView,
  ConversationTimers,
  ConversationView,
  EngineListener,
  MessageView,
  ReceiptSettings,
  RoomRequestView,
  SafetyNumberView,
} from '../../common/engine';
import type { ExportOptions, ExportResult } from '../backup';
import type { KeyStore, KeyStoreChoice } from '../vault';
import type { EngineQueries } from './queries';
import type { AttachmentSource, TransferProgress } from './attachments';
export type { AttachmentSource, TransferProgress } from './attachments';

/** Injected time source: tests move it to prove the clock-skew bound. */
export type Clock = () => number;

/** The keystore handed to core/profile (keychain or passphrase); opaque to the engine. */
export type EngineKeystore = KeyStore | KeyStoreChoice;

export interface EngineCreateOptions {
  profileDir: string;
  keystore: EngineKeystore;
  /** ws:// or wss:// URL of the relay. */
  relayUrl: string;
  /** SOCKS5 proxy (socks5h://HOST:PORT) for every relay connection, registration included. */
  proxy?: string | null;
  username?: string;
  clock?: Clock;
}

export interface EngineOpenOptions {
  profileDir: string;
  keystore: EngineKeystore;
  clock?: Clock;
  /** Use this relay address instead of the one stored at init (e.g. a relay that moved). */
  relayUrl?: string;
  /** SOCKS5 proxy (socks5h://HOST:PORT) for every relay connection; none: direct. */
  proxy?: string | null;
}

export interface SendOptions {
  /** Expiration timer; undefined takes the conversation default, null turns it off. */
  expireAfterMs?: number | null;
  /** Burn-on-read timer; undefined takes the conversation default, null turns it off. */
  burnAfterMs?: number | null;
  /** A file to attach: a path (streamed) or bytes with a name (the app); encrypted, uploaded. */
  file?: AttachmentSource;
  /** Upload progress of the attachment (ciphertext bytes sent, of the total). */
  onProgress?: TransferProgress;
  /**
   * The user confirmed sending although the identity behind the recipient changed (a name now held
   * by another account, a key differing from the pinned one, an unacknowledged change). Without it
   * such a send fails with IdentityChanged and nothing is sent.
   */
  acceptIdentityChange?: boolean;
}

/** A backup export of the open profile: everything core/backup needs except the store itself. */
export type EngineExportOptions = Omit<ExportOptions, 'store' | 'attachmentsDir'>;

export interface SyncOptions {
  /** Keep receiving for this long after the queue drains (0: return once drained). */
  waitMs?: number;
}

export interface EngineApi {
  readonly accountId: string;
  readonly username: string | null;

  /** Keeps a live connection open (app mode); the CLI uses sync() instead. */
  connect(): Promise<void>;
  /**
   * Sends every relay connection through this SOCKS5 proxy from now on (null: directly); open
   * connections reconnect on the new route. A bad address is InvalidInput and changes nothing.
   */
  setProxy(proxy: string | null): void;
  /** Sets (or with null releases) our username at the relay. */
  setUsername(username: string | null): Promise<void>;
  /** Resolves a username at the relay and stores it as a contact. */
  lookup(username: string): Promise<ContactView>;
  /**
   * A direct message: `to` is a username or a contact's account id, never a room. Stopped with
   * IdentityChanged when the identity behind it changed, unless options.acceptIdentityChange.
   */
  sendText(to: string, text: string, options?: SendOptions): Promise<MessageView>;
  /** A room message, the room named by its id only. */
  sendToRoom(roomId: string, text: string, options?: SendOptions): Promise<MessageView>;
  /** Rooms from people who are not contacts, waiting for accept or decline. */
  roomRequests(): Promise<RoomRequestView[]>;
  acceptRoomRequest(roomId: string): Promise<ConversationView>;
  declineRoomRequest(roomId: string): Promise<void>;
  /** Sends the outbox, receives pending envelopes; returns the messages that were new. */
  sync(options?: SyncOptions): Promise<MessageView[]>;
  /** Received messages no sync() has returned yet (e.g. pushed while a send had the connection). */
  unreportedMessages(): Promise<MessageView[]>;
  conversations(): Promise<ConversationView[]>;
  /** Paging before a cursor, previews and search, for the UI (core/engine/queries.ts). */
  readonly queries: EngineQueries;
  /** Stored messages (and notices), oldest first. `withName` is a username or a conversation id. */
  messages(withName: string): Promise<MessageView[]>;
  /** Marks a received message seen now: starts its burn countdown, may send a read receipt. */
  markSeen(id: string): Promise<MessageView>;
  /** `markSeen` for up to a batch of ids in one store transaction; ids of destroyed messages are skipped. */
  markSeenMany(ids: readonly string[]): Promise<MessageView[]>;
  contacts(): Promise<ContactView[]>;
  safetyNumber(name: string): Promise<SafetyNumberView>;
  setVerified(name: string, verified: boolean): Promise<ContactView>;
  createRoom(name: string, members: string[]): Promise<ConversationView>;
  addRoomMembers(roomId: string, members: string[]): Promise<ConversationView>;
  removeRoomMember(roomId: string, member: string): Promise<ConversationView>;
  renameRoom(roomId: string, name: string): Promise<ConversationView>;
  /** A non-admin may only leave; the last admin leaving hands the room to the longest-standing member. */
  leaveRoom(roomId: string): Promise<void>;
  /** Admins only: make a member an admin. */
  promoteRoomMember(roomId: string, member: string): Promise<ConversationView>;
  /** Admins only: make an admin a plain member (a room keeps at least one admin). */
  demoteRoomMember(roomId: string, member: string): Promise<ConversationView>;
  /** Sets the conversation default and tells every member with a control message. */
  setConversationTimers(conversation: string, timers: ConversationTimers): Promise<ConversationView>;
  receiptSettings(): Promise<ReceiptSettings>;
  setReceiptSettings(settings: Partial<ReceiptSettings>): Promise<ReceiptSettings>;
  /** Decrypts a received attachment into `outPath` (a path the caller chose). */
  saveAttachment(
    messageId: string,
    attachmentId: string,
    outPath: string,
    onProgress?: TransferProgress,
  ): Promise<void>;
  /**
   * An attachment's plaintext in memory (fetched into the encrypted store first if need be), for a
   * preview: refused with PayloadTooLarge above `maxBytes`; no plaintext is written anywhere.
   */
  readAttachment(
    messageId: string,
    attachmentId: string,
    maxBytes: number,
    onProgress?: TransferProgress,
  ): Promise<Buffer>;
  /** Writes an encrypted backup of this profile (docs/BACKUP.md). */
  exportBackup(options: EngineExportOptions): Promise<ExportResult>;
  /** Who this profile is: the relay in use and our own half of every safety number. */
  selfInfo(): { accountId: string; username: string | null; relayUrl: string; safetyDigits: string };
  /** Moves the database key to another key store (core/profile changeKeyStore), then rekeys. */
  changeKeyStore(next: KeyStore, current?: KeyStore): Promise<void>;
  /**
   * Unregisters the account at the relay (account.delete), then closes and shreds the profile
   * (key, keychain entry, files). Nothing is wiped when the relay did not confirm the deletion.
   */
  deleteAccount(): Promise<void>;
  /** Subscribes to the event stream; returns the unsubscribe function. */
  on(listener: EngineListener): () => void;
  close(): Promise<void>;
}

export { Engine } from './engine';
export { EngineQueries } from './queries';
