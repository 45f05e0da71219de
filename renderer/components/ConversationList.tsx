// The list of conversations, newest activity first, with unread and expired-unread counts.
import type { ConversationView } from '../../common/engine';

export interface ConversationListProps {
  conversations: ConversationView[];
  selectedId: string | null;
  onSelect: (id: string) => void;
}

export function ConversationList({ conversations, selectedId, onSelect }: ConversationListProps) {
  if (conversations.length === 0) {
    return <p className="empty">No conversations yet. Start one with a username.</p>;
  }
  const sorted = [...conversations].sort((a, b) => (b.lastMessageAt ?? 0) - (a.lastMessageAt ?? 0));
  return (
    <ul className="conversation-list" aria-label="Conversations">
      {sorted.map((c) => (
        <li key={c.id}>
          <button
            type="button"
            className={c.id === selectedId ? 'selected' : undefined}
            aria-current={c.id === selectedId ? 'true' : undefined}
            onClick={() => onSelect(c.id)}
          >
            <span className="title">{c.title}</span>
            {c.unreadCount > 0 && (
              <span className="unread" aria-label={`${c.unreadCount} unread`}>
                {c.unreadCount}
              </span>
            )}
            {c.expiredUnreadCount > 0 && (
              <span className="expired-unread">{c.expiredUnreadCount} expired unread</span>
            )}
          </button>
        </li>
      ))}
    </ul>
  );
}
