// End-to-end encrypted content: what travels inside libsignal ciphertext, never seen by the relay.
// Every decrypted payload is parsed with these schemas before the engine acts on it.
import { z } from 'zod';
import { BURN_MAX_MS, BURN_MIN_MS, EXPIRE_MAX_MS, EXPIRE_MIN_MS } from '../timers';

export const CONTENT_VERSION = 1;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'uuid');
const instant = z.number().int().nonnegative();
const expireAfter = z.number().int().min(EXPIRE_MIN_MS).max(EXPIRE_MAX_MS).nullable();
const burnAfter = z.number().int().min(BURN_MIN_MS).max(BURN_MAX_MS).nullable();

/** Where to fetch an attachment's ciphertext and how to open it; key and digest never leave E2E. */
export const AttachmentPointer = z.object({
  id: uuid,
  /** Relay blob id. */
  blobId: z.string().min(1).max(128),
  fileName: z.string().max(255),
  contentType: z.string().max(255),
  /** Plaintext size in bytes. */
  size: z.number().int().nonnegative(),
  /** Per-file key (base64). */
  key: base64,
  /** Digest of the ciphertext (base64), checked before anything is decrypted. */
  digest: base64,
});
export type AttachmentPointer = z.infer<typeof AttachmentPointer>;

const common = {
  v: z.literal(CONTENT_VERSION),
  /** Message id, chosen by the sender, the same on every device. */
  id: uuid,
  /** Sender's clock; the recipient bounds deadlines by its own arrival time. */
  sentAt: instant,
  /** Set when the content belongs to a room. */
  roomId: uuid.nullable(),
  /**
   * The username the sender claims. Sealed sender hides it from the relay, so the recipient learns
   * it here, and accepts it only after the relay confirms that the name maps to the sender.
   */
  senderName: z.string().min(3).max(32).nullable().optional(),
  /**
   * The sender's delivery key (32 bytes, base64), carried by a message with which the sender
   * reaches out to recipients who do not hold it yet (docs/PROTOCOL.md, "Sends without identity").
   */
  deliveryKey: base64.length(44).optional(),
};

export const TextContent = z.object({
  ...common,
  type: z.literal('text'),
  text: z.string().max(64 * 1024),
  expireAfterMs: expireAfter,
  burnAfterMs: burnAfter,
  attachments: z.array(AttachmentPointer).max(32),
});
export type TextContent = z.infer<typeof TextContent>;

/** See RoomUpdateContent.epoch. */
const roomEpoch = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A conversation's default timers, sent so every member sees the same defaults. */
export const TimersContent = z.object({
  ...common,
  type: z.literal('timers'),
  expireAfterMs: expireAfter,
  burnAfterMs: burnAfter,
  /** Rooms: the admin's room epoch for this change (RoomUpdateContent.epoch). */
  epoch: roomEpoch.optional(),
});
export type TimersContent = z.infer<typeof TimersContent>;

export const ReceiptContent = z.object({
  ...common,
  type: z.literal('receipt'),
  kind: z.enum(['delivery', 'read']),
  messageIds: z.array(uuid).min(1).max(1000),
});
export type ReceiptContent = z.infer<typeof ReceiptContent>;

export const RoomMember = z.object({
  accountId: uuid,
  username: z.string().min(1).max(64).nullable(),
  /** Admins change the room; members may only leave. Absent (older senders) means member. */
  role: z.enum(['admin', 'member']).optional(),
});
export type RoomMember = z.infer<typeof RoomMember>;

/**
 * Room state from a member: the full member list and name, so a late or reordered update still
 * converges. `action` says what changed, for the UI and for key rotation.
 */
export const RoomUpdateContent = z.object({
  ...common,
  roomId: uuid,
  type: z.literal('room.update'),
  action: z.enum(['create', 'add', 'remove', 'rename', 'leave', 'promote', 'demote']),
  name: z.string().min(1).max(128),
  members: z.array(RoomMember).min(1).max(500),
  /** The member added/removed/leaving/promoted/demoted, when the action has one. */
  subject: uuid.nullable(),
  /**
   * The room epoch: every admin change carries the previous one plus one, and members apply only
   * a higher epoch than they hold, so a relay that reorders or replays pairwise envelopes cannot
   * roll the room back. A member's own leave carries the epoch it holds.
   */
  epoch: roomEpoch.optional(),
  expireAfterMs: expireAfter,
  burnAfterMs: burnAfter,
});
export type RoomUpdateContent = z.infer<typeof RoomUpdateContent>;

/** The sender's current sender-key distribution for a room, sent over the pairwise session. */
export const SenderKeyContent = z.object({
  ...common,
  roomId: uuid,
  type: z.literal('sender-key'),
  distributionId: uuid,
  /** Serialized SenderKeyDistributionMessage (base64). */
  distribution: base64,
});
export type SenderKeyContent = z.infer<typeof SenderKeyContent>;

/** Tells the peer we started a fresh session (after a restore or undecryptable traffic). */
export const SessionResetContent = z.object({
  ...common,
  type: z.literal('session.reset'),
});
export type SessionResetContent = z.infer<typeof SessionResetContent>;

/**
 * The sender's delivery key: with it the recipient may send to the sender over a connection that
 * never authenticated (docs/PROTOCOL.md, "Sealed sends"). Sent when the sender reaches out to the
 * recipient, and again to every remaining contact after a rotation.
 */
export const DeliveryKeyContent = z.object({
  ...common,
  type: z.literal('delivery-key'),
  /** 32 random bytes, base64. */
  key: base64.length(44),
});
export type DeliveryKeyContent = z.infer<typeof DeliveryKeyContent>;

export const Content = z.discriminatedUnion('type', [
  TextContent,
  TimersContent,
  ReceiptContent,
  RoomUpdateContent,
  SenderKeyContent,
  SessionResetContent,
  DeliveryKeyContent,
]);
export type Content = z.infer<typeof Content>;
export type ContentType = Content['type'];
