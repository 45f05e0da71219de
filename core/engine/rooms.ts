// Room operations of the engine: create, add, remove, rename, leave, promote and demote — each by
// the room's id, each an admin change (but leave) under the next room epoch carrying the full member
// list and roles: a creation sealed once for all under our new sender key, the others pairwise to
// every member. What members do with them is in roomIntake.ts.
import { randomUUID } from 'node:crypto';
import type { ConversationView, EngineEvent } from '../../common/engine';
import type { Content, RoomMember } from '../../common/content';
import { WispError } from '../../common/errors';
import { loggerFor } from '../log';
import type { Message, Store } from '../store';
import type { IdentityGuard } from './identityGuard';
import { newContentId } from './ids';
import { roomNotice } from './notices';
import { b64, senderKeyDistribution, type SignalStores } from './signalCrypto';
import { messageView } from './views';

const log = loggerFor('engine');

export const MAX_ROOM_MEMBERS = 500;

/** Our per-room engine state, kept in settings under ROOM_KEY. */
export interface RoomState {
  distributionId: string;
  /** Members who hold our current sender key. */
  sharedWith: string[];
  left: boolean;
  /** The room epoch of the last admin change applied or made (roomIntake.ts). */
  epoch?: number;
}

export const ROOM_KEY = (id: string): string => `engine.room.${id}`;

export function roomState(store: Store, id: string): RoomState | undefined {
  return store.settings.get<RoomState>(ROOM_KEY(id));
}

export function ensureRoomState(store: Store, roomId: string): RoomState {
  const state = roomState(store, roomId);
  if (state) return state;
  const fresh: RoomState = { distributionId: randomUUID(), sharedWith: [], left: false };
  store.settings.set(ROOM_KEY(roomId), fresh);
  return fresh;
}

/** A member left or was removed: our next room message goes out under a new sender key. */
export function rotateSenderKey(store: Store, roomId: string): void {
  const state = ensureRoomState(store, roomId);
  store.settings.set(ROOM_KEY(roomId), { ...state, distributionId: randomUUID(), sharedWith: [] });
}

/** What room operations need from the engine. */
export interface RoomsDeps {
  readonly store: Store;
  readonly accountId: string;
  readonly usernameValue: string | null;
  readonly guard: IdentityGuard;
  readonly signal: SignalStores;
  clock(): number;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  assertOpen(): void;
  peersOf(conversationId: string): string[];
  isMember(roomId: string, accountId: string): boolean;
  encode(content: Content): Uint8Array;
  enqueueDirect(to: string, content: Content, messageId: string | null): void;
  ensureSessions(accountIds: readonly string[]): Promise<void>;
  tryFlush(): Promise<void>;
  emit(event: EngineEvent): void;
  conversationViewOf(id: string): ConversationView;
  roomState(id: string): RoomState | undefined;
  ensureRoomState(roomId: string): RoomState;
  rotateSenderKey(roomId: string): void;
}

export class Rooms {
  constructor(private readonly d: RoomsDeps) {}

  private memberList(roomId: string): RoomMember[] {
    return this.d.store.conversations.members(roomId).map((m) => ({
      accountId: m.accountId,
      username:
        m.accountId === this.d.accountId
          ? this.d.usernameValue
          : (this.d.store.contacts.get(m.accountId)?.username ?? null),
      role: m.role,
    }));
  }

  /** The user reached out to these contacts (their rooms are conversations): one commit for all. */
  private markAdded(accountIds: readonly string[]): void {
    this.d.store.transaction(() => {
      for (const id of accountIds) this.d.store.contacts.markAdded(id);
    });
  }

  /** The epoch an admin change goes out under: one past the last, recorded at once. */
  nextEpoch(roomId: string): number {
    const state = this.d.ensureRoomState(roomId);
    const epoch = (state.epoch ?? 0) + 1;
    this.d.store.settings.set(ROOM_KEY(roomId), { ...state, epoch });
    return epoch;
  }

  /** Only admins change a room (a non-admin may only leave); every member enforces it on receipt. */
  requireAdmin(roomId: string): void {
    const me = this.d.store.conversations.members(roomId).find((m) => m.accountId === this.d.accountId);
    if (me?.role !== 'admin')
      throw new WispError('Unauthorized', 'only a room admin can change the room', {
        recovery: 'Ask an admin of the room (`wisp room list` shows them) to make the change.',
      });
  }

  private roomUpdate(
    roomId: string,
    action: 'create' | 'add' | 'remove' | 'rename' | 'leave' | 'promote' | 'demote',
    subject: string | null,
    epoch: number,
  ): Content {
    const c = this.d.store.conversations.require(roomId);
    return {
      epoch,
      v: 1,
      type: 'room.update',
      id: newContentId(),
      sentAt: this.d.clock(),
      roomId,
      action,
      name: c.name ?? 'room',
      members: this.memberList(roomId),
      subject,
      expireAfterMs: c.expireAfterMs,
      burnAfterMs: c.burnAfterMs,
    };
  }

  async createRoom(name: string, members: string[]): Promise<ConversationView> {
    this.d.assertOpen();
    if (name.trim().length === 0) throw new WispError('InvalidInput', 'a room needs a name');
    if (members.length + 1 > MAX_ROOM_MEMBERS)
      throw new WispError('InvalidInput', `a room has at most ${MAX_ROOM_MEMBERS} members`);
    const contacts = await this.d.guard.findMany(members);
    const memberIds = contacts.map((c) => c.accountId);
    this.markAdded(memberIds);
    await this.d.ensureSessions(memberIds);
    const id = randomUUID();
    const notices: Message[] = [];
    await this.d.serial(async () => {
      // The creation update lists every member (tens of kB for a full room), so it is sealed once
      // for all of them under our new sender key (one multi-recipient message) rather than sent
      // pairwise to each: the key goes first over every pairwise session, then the update.
      const distributionId = randomUUID();
      const distribution = b64(await senderKeyDistribution(this.d.accountId, distributionId, this.d.signal));
      this.d.store.transaction(() => {
        const now = this.d.clock();
        this.d.store.conversations.createRoom(
          { id, name, members: [this.d.accountId, ...memberIds], admins: [this.d.accountId] },
          now,
        );
        // The outbox sends in order: every member's key item goes out before the room item.
        this.d.store.settings.set(ROOM_KEY(id), { distributionId, sharedWith: memberIds, left: false });
        const update = this.roomUpdate(id, 'create', null, this.nextEpoch(id));
        this.keepNotice(notices, this.insertRoomNotice(id, update, this.d.accountId, true));
        if (memberIds.length === 0) return;
        for (const to of memberIds) {
          const key: Content = {
            v: 1,
            type: 'sender-key',
            id: newContentId(),
            sentAt: now,
            roomId: id,
            distributionId,
            distribution,
          };
          this.d.enqueueDirect(to, key, null);
        }
        this.d.store.outbox.enqueue(
          { messageId: null, recipientId: id, kind: 'room', payload: this.d.encode(update), expiresAt: null },
          now,
        );
      });
    });
    const view = this.d.conversationViewOf(id);
    this.d.emit({ type: 'conversation.changed', conversation: view });
    this.announce(notices);
    await this.d.tryFlush();
    return view;
  }

  /** A room by its id only: names are not unique and a typed name never reaches a room. */
  requireRoom(roomId: string): string {
    const c = this.d.store.conversations.get(roomId);
    if (!c || c.kind !== 'room' || c.requestFrom !== null) {
      throw new WispError('NotFound', 'no room with that id', {
        recovery:
          'Rooms are addressed by id: `wisp room list` shows them (`wisp room requests` the invitations).',
      });
    }
    if (this.d.roomState(c.id)?.left)
      throw new WispError('InvalidInput', 'you are no longer a member of this room');
    return c.id;
  }

  async addRoomMembers(roomIdOrName: string, members: string[]): Promise<ConversationView> {
    this.d.assertOpen();
    const roomId = this.requireRoom(roomIdOrName);
    this.requireAdmin(roomId);
    if (this.d.peersOf(roomId).length + members.length + 1 > MAX_ROOM_MEMBERS) {
      throw new WispError('InvalidInput', `a room has at most ${MAX_ROOM_MEMBERS} members`);
    }
    const contacts = await this.d.guard.findMany(members);
    this.markAdded(contacts.map((c) => c.accountId));
    await this.d.ensureSessions(contacts.map((c) => c.accountId));
    const notices: Message[] = [];
    await this.d.serial(async () =>
      this.d.store.transaction(() => {
        for (const c of contacts)
          this.d.store.conversations.addMember(roomId, c.accountId, 'member', this.d.clock());
        for (const c of contacts) {
          const update = this.roomUpdate(roomId, 'add', c.accountId, this.nextEpoch(roomId));
          this.keepNotice(notices, this.insertRoomNotice(roomId, update, this.d.accountId, true));
          for (const to of this.d.peersOf(roomId)) this.d.enqueueDirect(to, update, null);
        }
      }),
    );
    return this.roomChangedAndFlush(roomId, notices);
  }

  async removeRoomMember(roomIdOrName: string, member: string): Promise<ConversationView> {
    this.d.assertOpen();
    const roomId = this.requireRoom(roomIdOrName);
    this.requireAdmin(roomId);
    const contact = await this.d.guard.find(member);
    if (!this.d.isMember(roomId, contact.accountId))
      throw new WispError('NotFound', 'that contact is not a member of this room');
    const notices: Message[] = [];
    await this.d.serial(async () =>
      this.d.store.transaction(() => {
        const before = this.d.peersOf(roomId);
        this.d.store.conversations.removeMember(roomId, contact.accountId);
        this.ensureAnAdmin(roomId);
        const update = this.roomUpdate(roomId, 'remove', contact.accountId, this.nextEpoch(roomId));
        this.keepNotice(notices, this.insertRoomNotice(roomId, update, this.d.accountId, true));
        for (const to of before) this.d.enqueueDirect(to, update, null);
        this.d.rotateSenderKey(roomId);
      }),
    );
    return this.roomChangedAndFlush(roomId, notices);
  }

  async renameRoom(roomIdOrName: string, name: string): Promise<ConversationView> {
    this.d.assertOpen();
    const roomId = this.requireRoom(roomIdOrName);
    if (name.trim().length === 0) throw new WispError('InvalidInput', 'a room needs a name');
    this.requireAdmin(roomId);
    const notices: Message[] = [];
    await this.d.serial(async () =>
      this.d.store.transaction(() => {
        this.d.store.conversations.setName(roomId, name);
        const update = this.roomUpdate(roomId, 'rename', null, this.nextEpoch(roomId));
        this.keepNotice(notices, this.insertRoomNotice(roomId, update, this.d.accountId, true));
        for (const to of this.d.peersOf(roomId)) this.d.enqueueDirect(to, update, null);
      }),
    );
    return this.roomChangedAndFlush(roomId, notices);
  }

  async leaveRoom(roomIdOrName: string): Promise<void> {
    this.d.assertOpen();
    const roomId = this.requireRoom(roomIdOrName);
    const notices: Message[] = [];
    await this.d.serial(async () =>
      this.d.store.transaction(() => {
        const peers = this.d.peersOf(roomId);
        const wasAdmin = this.d.store.conversations
          .members(roomId)
          .some((m) => m.accountId === this.d.accountId && m.role === 'admin');
        this.d.store.conversations.removeMember(roomId, this.d.accountId);
        // The last admin leaving hands the room to the longest-standing member (an admin change);
        // a member's leave carries the epoch it holds and changes nothing but its own membership.
        const handedOver = wasAdmin && this.ensureAnAdmin(roomId);
        const epoch = wasAdmin ? this.nextEpoch(roomId) : (this.d.ensureRoomState(roomId).epoch ?? 0);
        const update = this.roomUpdate(roomId, 'leave', this.d.accountId, epoch);
        if (handedOver) log.info({}, 'the last admin left: the longest-standing member is admin now');
        this.keepNotice(notices, this.insertRoomNotice(roomId, update, this.d.accountId, true));
        for (const to of peers) this.d.enqueueDirect(to, update, null);
        this.d.store.settings.set(ROOM_KEY(roomId), { ...this.d.ensureRoomState(roomId), left: true });
      }),
    );
    this.roomChanged(roomId);
    this.announce(notices);
    await this.d.tryFlush();
  }

  /** Makes a member an admin (admins only). */
  async promoteRoomMember(roomId: string, member: string): Promise<ConversationView> {
    return this.setRoomRole(roomId, member, 'admin');
  }

  /** Makes an admin a plain member (admins only; a room keeps at least one admin). */
  async demoteRoomMember(roomId: string, member: string): Promise<ConversationView> {
    return this.setRoomRole(roomId, member, 'member');
  }

  private async setRoomRole(
    roomIdOrName: string,
    member: string,
    role: 'admin' | 'member',
  ): Promise<ConversationView> {
    this.d.assertOpen();
    const id = this.requireRoom(roomIdOrName);
    this.requireAdmin(id);
    const accountId =
      member === this.d.usernameValue ? this.d.accountId : (await this.d.guard.find(member)).accountId;
    const current = this.d.store.conversations.members(id).find((m) => m.accountId === accountId);
    if (!current) throw new WispError('NotFound', 'that contact is not a member of this room');
    const admins = this.d.store.conversations.members(id).filter((m) => m.role === 'admin');
    if (role === 'member' && current.role === 'admin' && admins.length === 1)
      throw new WispError('InvalidInput', 'a room needs an admin: promote someone else first');
    if (current.role === role) return this.d.conversationViewOf(id);
    const notices: Message[] = [];
    await this.d.serial(async () =>
      this.d.store.transaction(() => {
        this.d.store.conversations.setRole(id, accountId, role);
        const update = this.roomUpdate(
          id,
          role === 'admin' ? 'promote' : 'demote',
          accountId,
          this.nextEpoch(id),
        );
        this.keepNotice(notices, this.insertRoomNotice(id, update, this.d.accountId, true));
        for (const to of this.d.peersOf(id)) this.d.enqueueDirect(to, update, null);
      }),
    );
    return this.roomChangedAndFlush(id, notices);
  }

  /** A room left without admins gets the longest-standing member as admin; true if so. */
  private ensureAnAdmin(roomId: string): boolean {
    const members = this.d.store.conversations.members(roomId);
    if (members.length === 0 || members.some((m) => m.role === 'admin')) return false;
    this.d.store.conversations.setRole(roomId, members[0]!.accountId, 'admin');
    return true;
  }

  /** A membership change recorded as a notice in the room (names only, never content). */
  insertRoomNotice(roomId: string, update: Content, sender: string, outgoing: boolean): Message | undefined {
    if (update.type !== 'room.update' || this.d.store.messages.has(update.id)) return undefined;
    const now = this.d.clock();
    return this.d.store.messages.insert(
      roomNotice({
        id: update.id,
        conversationId: roomId,
        senderId: sender,
        outgoing,
        action: update.action,
        subject: update.subject,
        name: update.name,
        now,
      }),
      now,
    );
  }

  private keepNotice(into: Message[], notice: Message | undefined): void {
    if (notice !== undefined) into.push(notice);
  }

  /** After the commit: the notices our own change wrote reach the open conversation like messages. */
  announce(notices: readonly Message[]): void {
    const book = { selfId: this.d.accountId, selfName: this.d.usernameValue, store: this.d.store };
    for (const m of notices) this.d.emit({ type: 'message.added', message: messageView(book, m) });
  }

  private async roomChangedAndFlush(
    roomId: string,
    notices: readonly Message[] = [],
  ): Promise<ConversationView> {
    const view = this.roomChanged(roomId);
    this.announce(notices);
    await this.d.tryFlush();
    return view;
  }

  roomChanged(roomId: string): ConversationView {
    const view = this.d.conversationViewOf(roomId);
    this.d.emit({ type: 'conversation.changed', conversation: view });
    return view;
  }
}
