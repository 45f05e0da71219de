// The `conversations` service: the list, one conversation's messages a page at a time, sending text
// with per-message timers, marking messages seen (which starts their burn countdowns).
import { z } from 'zod';
import { method, noInput, type ServiceInterface } from './contract';
import {
  BurnAfterMs,
  ConversationTimersSchema,
  ConversationViewSchema,
  ExpireAfterMs,
  Id,
  MessageViewSchema,
  RoomRequestViewSchema,
  Username,
} from './views';

/** PRODUCT.md does not cap text; 64 KiB keeps one IPC call from carrying a novel. */
export const MAX_TEXT_LENGTH = 65_536;
export const MAX_PAGE = 200;
/** The most ids one `markSeenMany` takes (a page's worth; the renderer sends what it saw in 50 ms). */
export const MAX_SEEN_BATCH = 200;

export const MessagesPageInput = z.object({
  conversationId: Id,
  /** Return messages sent strictly before this message (exclusive cursor); absent = newest page. */
  before: Id.optional(),
  limit: z.number().int().min(1).max(MAX_PAGE).default(50),
});

export const MessagesPage = z.object({
  /** Oldest first. */
  messages: z.array(MessageViewSchema),
  hasMore: z.boolean(),
});
export type MessagesPage = z.infer<typeof MessagesPage>;

export const SendTextInput = z
  .object({
    /** A conversation id, or a username to start a direct conversation. */
    to: z.union([Id, Username]),
    text: z.string().min(1).max(MAX_TEXT_LENGTH),
    /**
     * The user chose "Send anyway" in the safety-number-changed dialog. Without it a send to someone
     * whose identity changed fails with IdentityChanged and nothing is sent.
     */
    acceptIdentityChange: z.boolean().optional(),
    /** Absent: the conversation default; null: this timer off for this message. */
    expireAfterMs: ExpireAfterMs.optional(),
    burnAfterMs: BurnAfterMs.optional(),
  })
  .refine((i) => i.burnAfterMs == null || i.expireAfterMs == null || i.burnAfterMs <= i.expireAfterMs, {
    message: 'burn-on-read can never be longer than expiration',
    path: ['burnAfterMs'],
  });
export type SendTextInput = z.infer<typeof SendTextInput>;

export const conversationsSpec = {
  list: method(noInput, z.array(ConversationViewSchema)),
  messages: method(MessagesPageInput, MessagesPage),
  sendText: method(SendTextInput, MessageViewSchema),
  markSeen: method(z.object({ messageId: Id }), MessageViewSchema),
  /**
   * `markSeen` for 1–200 ids in one engine transaction; the views come back in the order asked,
   * each id once. An id whose message is gone (burned or expired since it was seen) is skipped.
   */
  markSeenMany: method(
    z.object({ messageIds: z.array(Id).min(1).max(MAX_SEEN_BATCH) }),
    z.array(MessageViewSchema),
  ),
  setTimers: method(
    z.object({ conversationId: Id, timers: ConversationTimersSchema }),
    ConversationViewSchema,
  ),
  /** Rooms from people who are not contacts: shown as a banner with Accept / Decline. */
  roomRequests: method(noInput, z.array(RoomRequestViewSchema)),
  acceptRoomRequest: method(z.object({ roomId: Id }), ConversationViewSchema),
  declineRoomRequest: method(z.object({ roomId: Id }), z.null()),
  /** Room admins only (every member's client ignores a non-admin's change): make a member an admin. */
  promoteRoomMember: method(
    z.object({ roomId: Id, member: z.union([Id, Username]) }),
    ConversationViewSchema,
  ),
  /** Room admins only: make an admin a plain member (a room keeps at least one admin). */
  demoteRoomMember: method(z.object({ roomId: Id, member: z.union([Id, Username]) }), ConversationViewSchema),
};

export type ConversationsService = ServiceInterface<typeof conversationsSpec>;
