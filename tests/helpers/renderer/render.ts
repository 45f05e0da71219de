// Shared fixtures of the renderer and notification tests: a fixed clock and a received message view.
import type { MessageView } from '../../../common/engine';

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
