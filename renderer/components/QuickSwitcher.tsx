// The quick switcher (Ctrl/Cmd+K): a modal combobox over conversations and contacts, filtered by
// name as you type. Arrow keys move, Enter opens, Escape closes. With no match, Enter offers to
// look the typed username up, so the palette is also the fastest way to start a conversation.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Hash, Search, ShieldCheck, UserRound } from 'lucide-react';
import type { ContactView, ConversationView } from '../../common/engine';
import { sortByActivity } from './ConversationList';
import { Dialog } from './Dialog';
import { contactName } from './PeopleView';
import { USERNAME_RULE } from '../lib/username';

export interface SwitcherItem {
  /** A conversation id, a contact's account id, or the typed username for a lookup. */
  id: string;
  kind: 'conversation' | 'room' | 'contact' | 'lookup';
  label: string;
  /** A second line: "Room", "Contact, no conversation yet", "Unconfirmed name". */
  detail?: string;
  verified?: boolean;
}

export interface QuickSwitcherProps {
  items: readonly SwitcherItem[];
  onChoose: (item: SwitcherItem) => void;
  onClose: () => void;
}

/** What the relay accepts as a username (common/ipc Username): offered for a lookup when nothing matches. */
const USERNAME_RE = /^[A-Za-z0-9._-]{3,32}$/;
const MAX_SHOWN = 50;

/** Case-insensitive substring match; names that start with the query come first, order kept otherwise. */
export function filterSwitcher(items: readonly SwitcherItem[], query: string): SwitcherItem[] {
  const q = query.trim().toLowerCase();
  if (q === '') return items.slice(0, MAX_SHOWN);
  const starts: SwitcherItem[] = [];
  const contains: SwitcherItem[] = [];
  for (const item of items) {
    const label = item.label.toLowerCase();
    if (label.startsWith(q)) starts.push(item);
    else if (label.includes(q)) contains.push(item);
  }
  const found = [...starts, ...contains].slice(0, MAX_SHOWN);
  if (found.length === 0 && USERNAME_RE.test(query.trim())) {
    return [
      {
        id: query.trim(),
        kind: 'lookup',
        label: query.trim(),
        detail: 'Look up this username and message them',
      },
    ];
  }
  return found;
}

/** Conversations by latest activity, then contacts who have no conversation yet, by name. */
export function switcherItems(
  conversations: readonly ConversationView[],
  contacts: readonly ContactView[],
): SwitcherItem[] {
  const byId = new Map(contacts.map((c) => [c.accountId, c]));
  const items: SwitcherItem[] = sortByActivity(conversations).map((c) => {
    const contact = c.kind === 'direct' ? byId.get(c.id) : undefined;
    return {
      id: c.id,
      kind: c.kind === 'room' ? ('room' as const) : ('conversation' as const),
      label: c.title,
      ...(c.kind === 'room' ? { detail: 'Room' } : {}),
      ...(contact?.verified === true ? { verified: true } : {}),
    };
  });
  const withConversation = new Set(conversations.map((c) => c.id));
  const rest = contacts
    .filter((c) => !withConversation.has(c.accountId))
    .map((c) => ({ contact: c, ...contactName(c) }))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
  for (const { contact, name, confirmed } of rest) {
    items.push({
      id: contact.accountId,
      kind: 'contact',
      label: name,
      detail: confirmed ? 'Contact, no conversation yet' : 'Unconfirmed name, no conversation yet',
      ...(contact.verified ? { verified: true } : {}),
    });
  }
  return items;
}

function ItemIcon({ item }: { item: SwitcherItem }) {
  if (item.kind === 'room') return <Hash size={16} aria-hidden="true" />;
  if (item.kind === 'lookup') return <Search size={16} aria-hidden="true" />;
  return <UserRound size={16} aria-hidden="true" />;
}

export function QuickSwitcher({ items, onChoose, onClose }: QuickSwitcherProps) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const shown = useMemo(() => filterSwitcher(items, query), [items, query]);
  const current = Math.min(active, Math.max(shown.length - 1, 0));
  const optionId = (i: number) => `${listId}-option-${i}`;

  useEffect(() => {
    document.getElementById(optionId(current))?.scrollIntoView?.({ block: 'nearest' });
  });

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (shown.length === 0) return;
      const by = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current + by + shown.length) % shown.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const chosen = shown[current];
      if (chosen !== undefined) onChoose(chosen);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    } else if (event.key === 'Tab') {
      // The dialog holds one control: focus stays in it while it is open.
      event.preventDefault();
    }
  }

  return (
    // The Dialog sends focus back where it was when the switcher closes (WAI-ARIA dialog pattern).
    <Dialog title="Quick switcher" titleHidden className="switcher" initialFocus={input} onClose={onClose}>
      <label className="switcher-field">
        <Search size={16} aria-hidden="true" />
        <span className="visually-hidden">Find a conversation or contact</span>
        <input
          ref={input}
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={shown.length > 0 ? optionId(current) : undefined}
          placeholder="Find a conversation or contact"
          autoComplete="off"
          spellCheck={false}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
        />
      </label>
      <ul id={listId} role="listbox" aria-label="Conversations and contacts" className="switcher-list">
        {shown.map((item, i) => (
          <li
            key={`${item.kind}:${item.id}`}
            id={optionId(i)}
            role="option"
            aria-selected={i === current}
            className={i === current ? 'switcher-option active' : 'switcher-option'}
            onMouseMove={() => setActive(i)}
            onClick={() => onChoose(item)}
          >
            <ItemIcon item={item} />
            <span className="switcher-label">{item.label}</span>
            {item.verified === true && (
              <span className="verified-badge">
                <ShieldCheck size={14} aria-hidden="true" />
                Verified
              </span>
            )}
            {item.detail !== undefined && <span className="switcher-detail">{item.detail}</span>}
          </li>
        ))}
      </ul>
      {shown.length === 0 && (
        <p className="empty switcher-empty" role="status">
          {query.trim() === ''
            ? 'No conversations or contacts yet. Type a username to look someone up.'
            : `Nothing matches “${query.trim()}”. A username is ${USERNAME_RULE}.`}
        </p>
      )}
      <p className="hint switcher-keys" aria-hidden="true">
        ↑↓ to move · Enter to open · Esc to close
      </p>
    </Dialog>
  );
}
