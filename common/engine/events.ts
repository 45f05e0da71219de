// Events the engine emits (PRODUCT.md: the UI follows the engine, never polls it). main/ forwards
// them over IPC and the test harness forwards them to the browser, so they are plain JSON.
import type { ConnectionState, ContactView, ConversationView, MessageView, RoomRequestView } from './views';

/** Why a message left this device. */
export type DestroyReason = 'expired' | 'burned' | 'deleted' | 'left-room';

export type EngineEvent =
  | { type: 'message.added'; message: MessageView }
  | { type: 'message.updated'; message: MessageView }
  | { type: 'message.destroyed'; id: string; conversationId: string; reason: DestroyReason }
  | { type: 'conversation.changed'; conversation: ConversationView }
  | { type: 'contact.changed'; contact: ContactView }
  /** A room from someone who is not a contact arrived (or changed): a request to accept or decline. */
  | { type: 'room.request'; request: RoomRequestView }
  /** The user accepted or declined a room request: it left the request list. */
  | { type: 'room.request.settled'; id: string; accepted: boolean }
  /** A contact's identity key changed: shown loudly; the contact is no longer verified. */
  | { type: 'identity.changed'; contact: ContactView }
  /** Messages arrived already expired and were dropped unseen. */
  | { type: 'expired-unread'; conversationId: string; count: number }
  /** A session was re-established (e.g. after a restored backup or undecryptable traffic). */
  | { type: 'session.reset'; accountId: string }
  | { type: 'connection.changed'; state: ConnectionState }
  /** The relay moved the account to a newer device (close code 4009): every later call fails. */
  | { type: 'account.moved' };

export type EngineEventType = EngineEvent['type'];

export type EngineEventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;

export type EngineListener = (event: EngineEvent) => void;
