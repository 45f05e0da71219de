// Room updates from peers and the room namespace (issue 9): a room id may never collide with a
// conversation or an account id; a room from someone who is not a contact is a request until the
// user accepts it; member names a peer lists are only hints; peers' timers are validated like ours.
import type { ConversationTimers } from '../../common/engine';
import type { Content } from '../../common/content';
import { isWispError } from '../../common/errors';
import { validateTimers } from '../../common/timers';
import { loggerFor } from '../log';
import type { Conversation, Store } from '../store';

const log = loggerFor('engine');

type RoomUpdate = Extract<Content, { type: 'room.update' }>;

export interface RoomIntakeContext {
  store: Store;
  selfId: string;
  ensureRoomState(roomId: string): void;
  markLeft(roomId: string): void;
  rotateSenderKey(roomId: string): void;
  /** After the commit: the room changed (a conversation) or arrived/changed as a request. */
  changed(roomId: string, isRequest: boolean): void;
}

/**
 * Why a room id from a peer is refused, or null when it is free. Direct conversations are keyed by
 * the peer's account id, so a room id equal to any account we know (ourselves, a contact, a member,
 * the sender) or to any conversation would shadow or break it.
 */
export function roomIdRefusal(
  store: Store,
  selfId: string,
  roomId: string,
  sender: string,
  memberIds: readonly string[],
): string | null {
  const id = roomId.toLowerCase();
  if (id === selfId.toLowerCase() || id === sender.toLowerCase()) return 'an account id';
  if (memberIds.some((m) => m.toLowerCase() === id)) return 'a member account id';
  if (store.contacts.get(roomId) || store.contacts.get(id)) return 'a contact account id';
  const held = store.conversations.get(roomId) ?? store.conversations.get(id);
  if (held && held.kind !== 'room') return 'a direct conversation';
  return null;
}

/**
 * The direct conversation with `peerId`, created on first use. A room that holds that id (accepted
 * before the account was known, or stored by an older version) is a squatter: it is destroyed so the
 * contact's conversation can exist.
 */
export function directConversation(store: Store, peerId: string, now: number): Conversation {
  const held = store.conversations.get(peerId);
  if (held && held.kind === 'room') {
    log.warn({}, 'destroyed a room whose id is an account id');
    store.deleteConversation(peerId);
  }
  return store.conversations.ensureDirect(peerId, now);
}

/** A peer's timer defaults, validated like our own; invalid ones are ignored (logged without content). */
export function peerTimers(t: ConversationTimers): ConversationTimers | null {
  try {
    return validateTimers({ expireAfterMs: t.expireAfterMs, burnAfterMs: t.burnAfterMs });
  } catch (error) {
    log.warn(
      { kind: isWispError(error) ? error.kind : 'Internal' },
      'ignored invalid timer defaults from a peer',
    );
    return null;
  }
}

function isMember(store: Store, roomId: string, accountId: string): boolean {
  return store.conversations.members(roomId).some((m) => m.accountId === accountId);
}

/** Member names a peer listed: hints on contacts without a confirmed username, nothing more. */
function noteMembers(ctx: RoomIntakeContext, content: RoomUpdate, now: number): void {
  for (const m of content.members) {
    if (m.accountId === ctx.selfId) continue;
    const contact = ctx.store.contacts.ensure(m.accountId, now);
    if (contact.username === null && m.username !== null)
      ctx.store.contacts.setNameHint(m.accountId, m.username);
  }
}

export function applyRoomUpdate(
  ctx: RoomIntakeContext,
  sender: string,
  content: RoomUpdate,
  now: number,
  effects: (() => void)[],
): void {
  const { store } = ctx;
  const roomId = content.roomId;
  const existing = store.conversations.get(roomId);
  if (existing && existing.kind !== 'room') return;
  const memberIds = content.members.map((m) => m.accountId);
  if (!existing) {
    // A new room: only from a member who lists us, under an id that shadows nothing.
    if (content.action !== 'create' && content.action !== 'add') return;
    if (!memberIds.includes(ctx.selfId) || !memberIds.includes(sender)) return;
    const refusal = roomIdRefusal(store, ctx.selfId, roomId, sender, memberIds);
    if (refusal !== null) {
      log.warn({ collidesWith: refusal }, 'refused a room whose id collides');
      return;
    }
    const fromContact = store.contacts.get(sender)?.added === true;
    store.conversations.createRoom(
      {
        id: roomId,
        name: content.name,
        members: memberIds,
        timers: peerTimers(content) ?? { expireAfterMs: null, burnAfterMs: null },
        requestFrom: fromContact ? null : sender,
      },
      now,
    );
    noteMembers(ctx, content, now);
    ctx.ensureRoomState(roomId);
    effects.push(() => ctx.changed(roomId, !fromContact));
    return;
  }
  // Only a member may change a room.
  if (!isMember(store, roomId, sender)) return;
  const current = store.conversations.members(roomId).map((m) => m.accountId);
  for (const id of memberIds)
    if (!current.includes(id)) store.conversations.addMember(roomId, id, 'member', now);
  for (const id of current) if (!memberIds.includes(id)) store.conversations.removeMember(roomId, id);
  store.conversations.setName(roomId, content.name);
  noteMembers(ctx, content, now);
  if (content.action === 'remove' || content.action === 'leave') {
    if (content.subject === ctx.selfId) ctx.markLeft(roomId);
    else ctx.rotateSenderKey(roomId);
  }
  effects.push(() => ctx.changed(roomId, existing.requestFrom !== null));
}
