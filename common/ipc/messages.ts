// The `messages` service: what the conversation list and the message list read beyond one page —
// the newest message of each conversation for its preview, and full-text search over message text.
// Both come from the engine after it destroyed what is due, so neither can show a burned message.
// Also the per-message actions: delete for me, and retry of a failed send.
import { z } from 'zod';
import { method, noInput, type ServiceInterface } from './contract';
import { Id, MessageViewSchema, NoticeSchema } from './views';

/** Search snippets mark matches with these two control characters; the UI turns them into <mark>. */
export const MATCH_START = '\u0002';
export const MATCH_END = '\u0003';

export const MessagePreviewSchema = z.object({
  conversationId: z.string(),
  messageId: z.string(),
  outgoing: z.boolean(),
  from: z.string(),
  sentAt: z.number().int().nonnegative(),
  /**
   * The text, or null when it must not show outside the conversation: an unread burn-on-read
   * message (seeing it in a list would be reading it without its countdown starting).
   */
  text: z.string().nullable(),
  attachments: z.number().int().nonnegative(),
  /**
   * Set when the newest row is a notice (a timer or room change): the list words it from this with
   * common/notices.ts, as the notice row does; `text` is that same sentence.
   */
  notice: NoticeSchema.nullable(),
});
export type MessagePreview = z.infer<typeof MessagePreviewSchema>;

export const SearchHitSchema = z.object({
  messageId: z.string(),
  conversationId: z.string(),
  outgoing: z.boolean(),
  from: z.string(),
  sentAt: z.number().int().nonnegative(),
  /** The matching words in context, matches between MATCH_START and MATCH_END; null as for previews. */
  snippet: z.string().nullable(),
});
export type SearchHit = z.infer<typeof SearchHitSchema>;

export const SearchInput = z.object({
  query: z.string().trim().min(1).max(200),
  limit: z.number().int().min(1).max(100).default(30),
});

export const messagesSpec = {
  previews: method(noInput, z.array(MessagePreviewSchema)),
  search: method(SearchInput, z.array(SearchHitSchema)),
  /** Destroys a message on this device only (the other side keeps theirs). */
  deleteForMe: method(z.object({ messageId: Id }), z.object({ deleted: z.literal(true) })),
  /** Sends a failed message's text again with its timers, then deletes the failed copy. */
  retry: method(z.object({ messageId: Id }), MessageViewSchema),
};

export type MessagesService = ServiceInterface<typeof messagesSpec>;
