// The list of conversations, newest activity first: each with its last message (never the text of
// an unread burn-on-read message: the engine withholds it), when it was, the conversation's
// default timers at a glance, and unread and expired-unread counts. A notice previews in the words
// of its row in the conversation (common/notices.ts).
import { Flame, Timer } from 'lucide-react';
import type { ConversationView } from '../../common/engine';
import type { MessagePreview } from '../../common/ipc';
import { noticeText } from '../../common/notices';
import { formatDuration, formatListTime, formatShortDuration } from '../lib/format';

export interface ConversationListProps {
  conversations: ConversationView[];
  /** The newest message of each conversation, by conversation id. */
  previews: ReadonlyMap<string, MessagePreview>;
  selectedId: string | null;
  onSelect: (id: string) => void;
  now: number;
  /** Shown instead of the list when it is empty (differs while searching). */
  emptyText?: string;
}

export function previewText(preview: MessagePreview | undefined): string {
  if (preview === undefined) return 'No messages';
  // A notice reads as its row does ("You left", "bob added you"): it names who, so no "You:".
  if (preview.notice !== null) return noticeText(preview.notice);
  const who = preview.outgoing ? 'You: ' : '';
  if (preview.text === null) return `${who}Burn-on-read message — open to read`;
  if (preview.text === '' && preview.attachments > 0) return `${who}Attachment`;
  return `${who}${preview.text}`;
}

export function sortByActivity(conversations: readonly ConversationView[]): ConversationView[] {
  return [...conversations].sort((a, b) => (b.lastMessageAt ?? 0) - (a.lastMessageAt ?? 0));
}

export function ConversationList(props: ConversationListProps) {
  const { conversations, previews, selectedId, onSelect, now } = props;
  if (conversations.length === 0) {
    return (
      <p className="empty">
        {props.emptyText ??
          'No conversations yet. Type a username above to start one; its messages can expire or burn.'}
      </p>
    );
  }
  return (
    <ul className="conversation-list" aria-label="Conversations">
      {sortByActivity(conversations).map((c) => {
        const preview = previews.get(c.id);
        const { expireAfterMs, burnAfterMs } = c.defaultTimers;
        return (
          <li key={c.id}>
            <button
              type="button"
              className={c.id === selectedId ? 'selected' : undefined}
              aria-current={c.id === selectedId ? 'true' : undefined}
              onClick={() => onSelect(c.id)}
            >
              <span className="row">
                <span className="title">{c.title}</span>
                {c.lastMessageAt !== null && (
                  <time className="when" dateTime={new Date(c.lastMessageAt).toISOString()}>
                    {formatListTime(c.lastMessageAt, now)}
                  </time>
                )}
              </span>
              <span className="row">
                <span className="preview">{previewText(preview)}</span>
                {expireAfterMs !== null && (
                  <span
                    className="default-timer"
                    title={`New messages expire after ${formatDuration(expireAfterMs)}`}
                  >
                    <Timer size={13} aria-hidden="true" />
                    <span className="visually-hidden">expires after </span>
                    {formatShortDuration(expireAfterMs)}
                  </span>
                )}
                {burnAfterMs !== null && (
                  <span
                    className="default-timer burn"
                    title={`New messages burn ${formatDuration(burnAfterMs)} after reading`}
                  >
                    <Flame size={13} aria-hidden="true" />
                    <span className="visually-hidden">burns after </span>
                    {formatShortDuration(burnAfterMs)}
                  </span>
                )}
                {c.unreadCount > 0 && (
                  <span className="unread">
                    {c.unreadCount}
                    <span className="visually-hidden"> unread</span>
                  </span>
                )}
              </span>
              {c.expiredUnreadCount > 0 && (
                <span className="expired-unread">{c.expiredUnreadCount} expired unread</span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
