// Shared fixtures of the renderer and notification tests: a fixed clock, a received message view,
// and notices (the people they name, the notice row's message and the list's preview of it).
import type { MessageView, Notice, NoticeParty } from '../../../common/engine';
import type { MessagePreview } from '../../../common/ipc';
import { noticeText } from '../../../common/notices';

/** The fixed "now" the renderer tests render against. */
export const NOW = 1_700_000_000_000;

/** A received, unseen message from bob without timers, sent 5 s before NOW; `overrides` change any field. */
export function messageView(overrides: Partial<MessageView> = {}): MessageView {
  return {
    id: 'm1',
    conversationId: 'c1',
    from: 'bob',
    fromAccountId: '00000000-0000-4000-8000-000000000000',
    outgoing: false,
    text: 'hello',
    sentAt: NOW - 5_000,
    receivedAt: NOW - 4_000,
    expireAfterMs: null,
    burnAfterMs: null,
    expiresAt: null,
    burnAt: null,
    seenAt: null,
    state: 'received',
    attachments: [],
    ...overrides,
  };
}

/** Someone a notice names: a confirmed username by default; `overrides` make them us or unknown. */
export function noticeParty(accountId: string, overrides: Partial<NoticeParty> = {}): NoticeParty {
  return { accountId, username: null, nameHint: null, isSelf: false, ...overrides };
}

/** The message view of a notice row, as the engine sends it (its `text` the formatter's sentence). */
export function noticeMessage(notice: Notice, overrides: Partial<MessageView> = {}): MessageView {
  return messageView({
    fromAccountId: notice.actor.accountId,
    outgoing: notice.actor.isSelf,
    state: notice.actor.isSelf ? 'sent' : 'received',
    seenAt: NOW - 4_000,
    text: noticeText(notice),
    notice,
    ...overrides,
  });
}

/** The conversation list's preview of the same notice. */
export function noticePreview(notice: Notice, conversationId = 'c1'): MessagePreview {
  return {
    conversationId,
    messageId: 'm1',
    outgoing: notice.actor.isSelf,
    from: notice.actor.username ?? notice.actor.accountId,
    sentAt: NOW - 5_000,
    text: noticeText(notice),
    attachments: 0,
    notice,
  };
}
