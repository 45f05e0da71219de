// The `rooms` service: creating a room with its first members, adding and removing members,
// renaming, leaving, and the member list with roles. Promote, demote and the room's timers are
// conversation calls (conversations.ts). Every change is refused by the engine unless we are an
// admin of the room (leaving excepted), and every member's client enforces the same on receipt.
import { z } from 'zod';
import { method, type ServiceInterface } from './contract';
import { ConversationViewSchema, Id, Username } from './views';

/** PRODUCT.md: a room holds at most 500 members, ourselves included. */
export const MAX_ROOM_MEMBERS = 500;
export const MAX_ROOM_NAME = 100;

/** A room's name: trimmed, not empty, one line of printable text (no control characters). */
export const RoomName = z
  .string()
  .trim()
  .min(1, 'a room needs a name')
  .max(MAX_ROOM_NAME, `a room name has at most ${MAX_ROOM_NAME} characters`)
  .regex(/^[^\p{Cc}\p{Cf}\u2028\u2029]+$/u, 'a room name is one line of text without control characters');

/** An account id as the engine issues them (a UUID). */
const AccountId = z.string().uuid();

/** A member named by a username the relay will resolve, or by an account id we already hold. */
export const MemberRef = z.union([Username, AccountId]);

const MemberList = z
  .array(MemberRef)
  .min(1, 'name at least one member')
  .max(MAX_ROOM_MEMBERS - 1, `a room has at most ${MAX_ROOM_MEMBERS} members`)
  .refine((list) => new Set(list.map((m) => m.toLowerCase())).size === list.length, {
    message: 'a member is named twice',
  });

/** One member of a room as the member list shows it. */
export const RoomMemberViewSchema = z.object({
  accountId: z.string(),
  /** The username our own relay lookup confirmed; null when we hold none. */
  username: z.string().nullable(),
  /** A name another member listed for this account, never confirmed by us (shown as a hint). */
  nameHint: z.string().nullable(),
  role: z.enum(['admin', 'member']),
  /** This member is the app's user. */
  self: z.boolean(),
});
export type RoomMemberView = z.infer<typeof RoomMemberViewSchema>;

export const CreateRoomInput = z.object({ name: RoomName, members: MemberList });
export type CreateRoomInput = z.infer<typeof CreateRoomInput>;

export const roomsSpec = {
  /** A new room with us as its only admin; every member is looked up at the relay first. */
  create: method(CreateRoomInput, ConversationViewSchema),
  addMembers: method(z.object({ roomId: Id, members: MemberList }), ConversationViewSchema),
  removeMember: method(z.object({ roomId: Id, member: MemberRef }), ConversationViewSchema),
  rename: method(z.object({ roomId: Id, name: RoomName }), ConversationViewSchema),
  /** Anyone may leave; the room stays in the list, read-only. */
  leave: method(z.object({ roomId: Id }), z.null()),
  /** The members in joining order, with roles and names (confirmed or hinted). */
  members: method(z.object({ roomId: Id }), z.array(RoomMemberViewSchema)),
};

export type RoomsService = ServiceInterface<typeof roomsSpec>;
