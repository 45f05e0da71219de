// Room requests (issue 9): a new room from someone the user has not reached out to waits, unseen,
// until the user accepts it (it becomes a conversation, its held messages are shown) or declines it.
import type { ConversationView, EngineEvent, RoomRequestView } from '../../common/engine';
import { WispError } from '../../common/errors';
import type { Store } from '../store';
import { roomIdRefusal } from './roomIntake';
import { ROOM_KEY, type Rooms } from './rooms';
import { messageView, roomRequestView, type NameBook } from './views';

/** What room requests need from the engine. */
export interface RoomRequestsDeps {
  readonly store: Store;
  readonly accountId: string;
  readonly book: NameBook;
  readonly rooms: Rooms;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  assertOpen(): void;
  relayMode(): 'command' | 'live';
  emit(event: EngineEvent): void;
}

export class RoomRequests {
  constructor(private readonly d: RoomRequestsDeps) {}

  /** Rooms from people who are not contacts, waiting to be accepted or declined. */
  async roomRequests(): Promise<RoomRequestView[]> {
    this.d.assertOpen();
    return this.d.store.conversations.requests().map((c) => roomRequestView(this.d.book, c));
  }

  private requireRequest(roomId: string): string {
    const c = this.d.store.conversations.get(roomId);
    if (!c || c.kind !== 'room' || c.requestFrom === null) {
      throw new WispError('NotFound', 'no room request with that id', {
        recovery: '`wisp room requests` lists the rooms waiting for an answer.',
      });
    }
    return c.id;
  }

  /**
   * The user accepts a room request: it becomes a conversation, and the messages it held are
   * reported (next sync) and shown. Refused if its id now collides with a known account.
   */
  async acceptRoomRequest(roomId: string): Promise<ConversationView> {
    this.d.assertOpen();
    const id = this.requireRequest(roomId);
    const held = await this.d.serial(async () =>
      this.d.store.transaction(() => {
        const c = this.d.store.conversations.require(id);
        const members = this.d.store.conversations.members(id).map((m) => m.accountId);
        if (roomIdRefusal(this.d.store, this.d.accountId, id, c.requestFrom ?? '', members) !== null) {
          throw new WispError('InvalidInput', 'this room uses the id of an account and cannot be joined', {
            recovery: 'Decline it (`wisp room decline --room ID`).',
          });
        }
        this.d.store.conversations.acceptRequest(id);
        const messages = this.d.store.messages.all(id).filter((m) => !m.outgoing);
        // Notices (the invitation itself, timer changes) are shown, never reported by sync.
        if (this.d.relayMode() === 'command')
          for (const m of messages) if (m.kind !== 'system') this.d.store.unreported.add(m.id);
        return messages;
      }),
    );
    this.d.emit({ type: 'room.request.settled', id, accepted: true });
    const view = this.d.rooms.roomChanged(id);
    for (const m of held) this.d.emit({ type: 'message.added', message: messageView(this.d.book, m) });
    return view;
  }

  /** The user declines a room request: the room and everything it held are destroyed, silently. */
  async declineRoomRequest(roomId: string): Promise<void> {
    this.d.assertOpen();
    const id = this.requireRequest(roomId);
    await this.d.serial(async () =>
      this.d.store.transaction(() => {
        this.d.store.deleteConversation(id);
        this.d.store.settings.delete(ROOM_KEY(id));
      }),
    );
    this.d.emit({ type: 'room.request.settled', id, accepted: false });
  }
}
