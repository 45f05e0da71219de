// Search over conversations (by name) and message text (the engine's full-text index). Snippets
// come with their matches between two control characters; they become <mark> around text nodes,
// never HTML. A hit whose message is destroyed disappears (the container drops it and searches again).
import { MATCH_END, MATCH_START, type SearchHit } from '../../common/ipc';
import type { ConversationView } from '../../common/engine';
import { formatListTime } from '../lib/format';

export interface SearchResultsProps {
  query: string;
  conversations: ConversationView[];
  hits: SearchHit[];
  /** Conversation titles by id, for naming where a hit is. */
  titles: ReadonlyMap<string, string>;
  now: number;
  onOpen: (conversationId: string) => void;
}

/** Splits a marked snippet into runs, marking the matches. */
export function snippetParts(snippet: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  let match = false;
  let run = '';
  for (const ch of snippet) {
    if (ch === MATCH_START || ch === MATCH_END) {
      if (run !== '') parts.push({ text: run, match });
      run = '';
      match = ch === MATCH_START;
    } else {
      run += ch;
    }
  }
  if (run !== '') parts.push({ text: run, match });
  return parts;
}

export function SearchResults({ query, conversations, hits, titles, now, onOpen }: SearchResultsProps) {
  const needle = query.trim().toLowerCase();
  const named = conversations.filter((c) => c.title.toLowerCase().includes(needle));
  return (
    <div className="search-results">
      <h2 className="section-title">Conversations</h2>
      {named.length === 0 ? (
        <p className="empty">No conversation is named like that.</p>
      ) : (
        <ul aria-label="Matching conversations">
          {named.map((c) => (
            <li key={c.id}>
              <button type="button" onClick={() => onOpen(c.id)}>
                {c.title}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h2 className="section-title">Messages</h2>
      {hits.length === 0 ? (
        <p className="empty">
          No message here says that. Burned and expired messages are gone from search too.
        </p>
      ) : (
        <ul aria-label="Matching messages">
          {hits.map((hit) => (
            <li key={hit.messageId}>
              <button type="button" className="hit" onClick={() => onOpen(hit.conversationId)}>
                <span className="row">
                  <span className="title">{titles.get(hit.conversationId) ?? 'Conversation'}</span>
                  <time className="when" dateTime={new Date(hit.sentAt).toISOString()}>
                    {formatListTime(hit.sentAt, now)}
                  </time>
                </span>
                <span className="preview">
                  {hit.outgoing ? 'You: ' : ''}
                  {hit.snippet === null
                    ? 'Burn-on-read message — open to read'
                    : snippetParts(hit.snippet).map((part, i) =>
                        part.match ? <mark key={i}>{part.text}</mark> : part.text,
                      )}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
