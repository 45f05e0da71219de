// Room updates from peers and the room namespace (issue 9): a room id may never collide with a
// conversation or an account id; a room from someone who is not a contact is a request until the
// user accepts it; member names a peer lists are only hints; peers' timers are validated like ours.
// Authority (issue 13): only an admin's change is applied, and only under a higher room epoch than
// the one held; a non-admin may only leave. The sender is authenticated by its sealed-sender
// session, so whoever relays a change cannot make it an admin's or roll the room back.
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
  /** The room epoch held (0 when none). */
  epoch(roomId: string): number;
  setEpoch(roomId: string, epoch: number): void;
  /** Records an applied change as a notice in the room. */
  notice(roomId: string, content: RoomUpdate, sender: string): void;
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

export function isRoomAdmin(store: Store, roomId: string, accountId: string): boolean {
  return store.conversations.members(roomId).some((m) => m.accountId === accountId && m.role === 'admin');
}

/** A room left without admins gets its longest-standing member (first joined) as admin. */
function keepAnAdmin(store: Store, roomId: string): void {
  const members = store.conversations.members(roomId);
  if (members.length > 0 && !members.some((m) => m.role === 'admin'))
    store.conversations.setRole(roomId, members[0]!.accountId, 'admin');
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
    // The inviter must be an admin of the room it invites us to (older senders list no roles:
    // then the inviter alone is taken as admin).
    const listed = content.members.filter((m) => m.role === 'admin').map((m) => m.accountId);
    const admins = listed.length > 0 ? listed : [sender];
    if (!admins.includes(sender)) {
      log.warn({ action: content.action }, 'ignored a room invitation from a non-admin');
      return;
    }
    const fromContact = store.contacts.get(sender)?.added === true;
    store.conversations.createRoom(
      {
        id: roomId,
        name: content.name,
        members: memberIds,
        admins,
        timers: peerTimers(content) ?? { expireAfterMs: null, burnAfterMs: null },
        requestFrom: fromContact ? null : sender,
      },
      now,
    );
    noteMembers(ctx, content, now);
    ctx.ensureRoomState(roomId);
    ctx.setEpoch(roomId, content.epoch ?? 0);
    ctx.notice(roomId, content, sender);
    effects.push(() => ctx.changed(roomId, !fromContact));
    return;
  }
  // Only a member may change a room.
  if (!isMember(store, roomId, sender)) return;
  const held = ctx.epoch(roomId);
  const epoch = content.epoch ?? 0;
  if (!isRoomAdmin(store, roomId, sender)) {
    // A member may only leave, under the epoch it holds (a leave older than a re-add is stale).
    if (content.action !== 'leave' || content.subject !== sender) {
      log.warn({ action: content.action }, 'ignored a room change from a non-admin');
      return;
    }
    if (epoch < held) {
      log.warn({ action: content.action }, 'ignored a stale room change');
      return;
    }
    store.conversations.removeMember(roomId, sender);
    keepAnAdmin(store, roomId);
    ctx.rotateSenderKey(roomId);
    ctx.notice(roomId, content, sender);
    effects.push(() => ctx.changed(roomId, existing.requestFrom !== null));
    return;
  }
  if (epoch <= held) {
    log.warn({ action: content.action }, 'ignored a stale or replayed room change');
    return;
  }
  if (content.action === 'leave' && content.subject !== sender) {
    log.warn({ action: content.action }, 'ignored a leave for someone else');
    return;
  }
  const roles = new Map(
    content.members.map((m) => [m.accountId, m.role === 'admin' ? 'admin' : 'member'] as const),
  );
  if (![...roles.values()].includes('admin') && content.action !== 'leave') {
    log.warn({ action: content.action }, 'ignored a room change that leaves no admin');
    return;
  }
  const current = store.conversations.members(roomId);
  for (const [id, role] of roles) {
    const was = current.find((m) => m.accountId === id);
    if (!was) store.conversations.addMember(roomId, id, role, now);
    else if (was.role !== role) store.conversations.setRole(roomId, id, role);
  }
  for (const m of current) if (!roles.has(m.accountId)) store.conversations.removeMember(roomId, m.accountId);
  keepAnAdmin(store, roomId);
  store.conversations.setName(roomId, content.name);
  ctx.setEpoch(roomId, epoch);
  noteMembers(ctx, content, now);
  if (content.action === 'remove' || content.action === 'leave') {
    if (content.subject === ctx.selfId) ctx.markLeft(roomId);
    else ctx.rotateSenderKey(roomId);
  }
  ctx.notice(roomId, content, sender);
  effects.push(() => ctx.changed(roomId, existing.requestFrom !== null));
}
