// Runtime schemas for the engine's view models (common/engine), so results are validated at the
// IPC boundary against the same shapes the engine declares; `satisfies` keeps the two in step.
import { z } from 'zod';
import type {
  AttachmentView,
  ContactView,
  ConversationTimers,
  ConversationView,
  MessageView,
  Notice,
  NoticeParty,
  ReceiptSettings,
  RoomRequestView,
  SafetyNumberView,
} from '../engine';
import { BURN_MAX_MS, BURN_MIN_MS, EXPIRE_MAX_MS, EXPIRE_MIN_MS } from '../timers';
import { USERNAME_CHARS } from '../wire/primitives';

const instant = z.number().int().nonnegative();
export const ExpireAfterMs = z.number().int().min(EXPIRE_MIN_MS).max(EXPIRE_MAX_MS).nullable();
export const BurnAfterMs = z.number().int().min(BURN_MIN_MS).max(BURN_MAX_MS).nullable();

/** Ids are opaque strings from the engine; bounded so a hostile caller cannot send megabytes. */
export const Id = z.string().min(1).max(128);
/** PRODUCT.md: usernames are 3–32 characters, case-insensitive; the relay's own rule (no dash). */
export const Username = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(USERNAME_CHARS, 'letters, digits, dot and underscore only');

export const AttachmentViewSchema = z.object({
  id: z.string(),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  downloaded: z.boolean(),
}) satisfies z.ZodType<AttachmentView>;

export const NoticePartySchema = z.object({
  accountId: z.string(),
  username: z.string().nullable(),
  nameHint: z.string().nullable(),
  isSelf: z.boolean(),
}) satisfies z.ZodType<NoticeParty>;

/** A conversation notice as data (common/engine Notice); worded by common/notices.ts only. */
export const NoticeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('timersChanged'),
    actor: NoticePartySchema,
    timers: z.object({
      expireAfterMs: z.number().int().nullable(),
      burnAfterMs: z.number().int().nullable(),
    }),
  }),
  z.object({ kind: z.literal('created'), actor: NoticePartySchema }),
  z.object({ kind: z.literal('memberAdded'), actor: NoticePartySchema, subject: NoticePartySchema }),
  z.object({ kind: z.literal('memberRemoved'), actor: NoticePartySchema, subject: NoticePartySchema }),
  z.object({ kind: z.literal('left'), actor: NoticePartySchema }),
  z.object({ kind: z.literal('promoted'), actor: NoticePartySchema, subject: NoticePartySchema }),
  z.object({ kind: z.literal('demoted'), actor: NoticePartySchema, subject: NoticePartySchema }),
  z.object({ kind: z.literal('renamed'), actor: NoticePartySchema, name: z.string() }),
  z.object({ kind: z.literal('roomChanged'), actor: NoticePartySchema }),
]) satisfies z.ZodType<Notice>;

export const MessageViewSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  from: z.string(),
  fromAccountId: z.string(),
  outgoing: z.boolean(),
  text: z.string(),
  sentAt: instant,
  receivedAt: instant.nullable(),
  expireAfterMs: z.number().int().nullable(),
  burnAfterMs: z.number().int().nullable(),
  expiresAt: instant.nullable(),
  burnAt: instant.nullable(),
  seenAt: instant.nullable(),
  state: z.enum(['pending', 'sent', 'delivered', 'read', 'failed', 'received']),
  attachments: z.array(AttachmentViewSchema),
  fromNameHint: z.string().nullable().optional(),
  notice: NoticeSchema.optional(),
}) satisfies z.ZodType<MessageView>;

export const ConversationTimersSchema = z
  .object({ expireAfterMs: ExpireAfterMs, burnAfterMs: BurnAfterMs })
  .refine((t) => t.burnAfterMs === null || t.expireAfterMs === null || t.burnAfterMs <= t.expireAfterMs, {
    message: 'burn-on-read can never be longer than expiration',
  }) satisfies z.ZodType<ConversationTimers>;

export const ConversationViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['direct', 'room']),
  title: z.string(),
  members: z.array(z.string()),
  defaultTimers: z.object({
    expireAfterMs: z.number().int().nullable(),
    burnAfterMs: z.number().int().nullable(),
  }),
  lastMessageAt: instant.nullable(),
  unreadCount: z.number().int().nonnegative(),
  expiredUnreadCount: z.number().int().nonnegative(),
  left: z.boolean(),
  admins: z.array(z.string()).optional(),
  isAdmin: z.boolean().optional(),
}) satisfies z.ZodType<ConversationView>;

export const ContactViewSchema = z.object({
  accountId: z.string(),
  username: z.string().nullable(),
  verified: z.boolean(),
  identityChanged: z.boolean(),
  nameHint: z.string().nullable(),
  addedAt: instant,
}) satisfies z.ZodType<ContactView>;

export const RoomRequestViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  fromAccountId: z.string(),
  from: z.string(),
  fromNameHint: z.string().nullable(),
  members: z.array(z.string()),
  receivedAt: instant,
}) satisfies z.ZodType<RoomRequestView>;

export const SafetyNumberViewSchema = z.object({
  accountId: z.string(),
  username: z.string().nullable(),
  digits: z.string().regex(/^\d{60}$/),
  scannable: z.string(),
  verified: z.boolean(),
  identityChanged: z.boolean(),
}) satisfies z.ZodType<SafetyNumberView>;

export const ReceiptSettingsSchema = z.object({
  deliveryReceipts: z.boolean(),
  readReceipts: z.boolean(),
}) satisfies z.ZodType<ReceiptSettings>;
