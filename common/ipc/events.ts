// Events from main to the renderer on the one event channel: the engine's own events, passed
// through unchanged, plus the app's account and settings changes. Schemas let the harness client
// check what arrives over its WebSocket just as the handlers check what leaves the page.
import { z } from 'zod';
import type { EngineEvent } from '../engine';
import { AccountStatus } from './account';
import { TransferProgressSchema, type TransferProgressView } from './attachments';
import { BackupProgressSchema, type BackupProgressView } from './backup';
import { Settings } from './settings';
import {
  ContactViewSchema,
  ConversationViewSchema,
  MessageViewSchema,
  RoomRequestViewSchema,
  Username,
} from './views';

export const EngineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message.added'), message: MessageViewSchema }),
  z.object({ type: z.literal('message.updated'), message: MessageViewSchema }),
  z.object({
    type: z.literal('message.destroyed'),
    id: z.string(),
    conversationId: z.string(),
    reason: z.enum(['expired', 'burned', 'deleted', 'left-room']),
  }),
  z.object({ type: z.literal('conversation.changed'), conversation: ConversationViewSchema }),
  z.object({ type: z.literal('contact.changed'), contact: ContactViewSchema }),
  z.object({ type: z.literal('room.request'), request: RoomRequestViewSchema }),
  z.object({ type: z.literal('room.request.settled'), id: z.string(), accepted: z.boolean() }),
  z.object({ type: z.literal('identity.changed'), contact: ContactViewSchema }),
  z.object({ type: z.literal('expired-unread'), conversationId: z.string(), count: z.number().int() }),
  z.object({ type: z.literal('session.reset'), accountId: z.string() }),
  z.object({ type: z.literal('connection.changed'), state: z.enum(['offline', 'connecting', 'online']) }),
  z.object({ type: z.literal('account.moved') }),
]) satisfies z.ZodType<EngineEvent>;

/**
 * Something the OS asked the app to open (main/openRequests.ts): a `wisp://add?username=…` link, to
 * look up and offer as a contact, or a `.wisp-backup` file (absolute path), to open the import screen.
 */
export type OpenEvent =
  { type: 'open.addContact'; username: string } | { type: 'open.backupFile'; path: string };
/** A notification of a new message as shown (desktop) or observed (harness); `id` is the message's. */
export const NotificationViewSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  title: z.string(),
  body: z.string(),
});
export type NotificationView = z.infer<typeof NotificationViewSchema>;

export type AppEvent =
  | { type: 'account.changed'; status: AccountStatus }
  | { type: 'settings.changed'; settings: Settings }
  | OpenEvent
  /** How far the backup export or import under way has come (throttled by core/backup). */
  | { type: 'backup.progress'; progress: BackupProgressView }
  | { type: 'notification.shown'; notification: NotificationView }
  | { type: 'notification.withdrawn'; id: string }
  /** Unread messages over all conversations, for the dock/taskbar badge. */
  | { type: 'badge.changed'; count: number }
  /** An attachment upload or download under way (throttled by core/services/attachmentService). */
  | { type: 'attachment.progress'; progress: TransferProgressView };

export type WispEvent = EngineEvent | AppEvent;
export type WispEventType = WispEvent['type'];

export const WispEventSchema = z.union([
  EngineEventSchema,
  z.object({ type: z.literal('account.changed'), status: AccountStatus }),
  z.object({ type: z.literal('settings.changed'), settings: Settings }),
  z.object({ type: z.literal('backup.progress'), progress: BackupProgressSchema }),
  z.object({ type: z.literal('open.addContact'), username: Username }),
  z.object({ type: z.literal('open.backupFile'), path: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('notification.shown'), notification: NotificationViewSchema }),
  z.object({ type: z.literal('notification.withdrawn'), id: z.string() }),
  z.object({ type: z.literal('badge.changed'), count: z.number().int().nonnegative() }),
  z.object({ type: z.literal('attachment.progress'), progress: TransferProgressSchema }),
]) satisfies z.ZodType<WispEvent>;

export type WispEventListener = (event: WispEvent) => void;
