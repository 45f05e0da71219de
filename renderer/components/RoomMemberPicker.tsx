// Choosing room members: contacts to tick, and usernames typed in for people not yet known (the
// engine looks them up at the relay when the room is created or grown). Pure: the chosen list is
// the parent's state; each entry is a username, or an account id for a contact without one.
import { X } from 'lucide-react';
import { useId, useState } from 'react';
import type { ContactView } from '../../common/engine';
import { USERNAME_PATTERN } from '../lib/username';

export interface RoomMemberPickerProps {
  /** Contacts that may be picked (the caller leaves out current members). */
  contacts: ContactView[];
  selected: string[];
  onChange: (selected: string[]) => void;
  disabled?: boolean;
  /** The group's caption (default "Members"). */
  legend?: string;
}

/** What a contact is picked by: its confirmed username, else its account id. */
export function contactRef(c: ContactView): string {
  return c.username ?? c.accountId;
}

export function RoomMemberPicker(props: RoomMemberPickerProps) {
  const { contacts, selected, onChange, disabled = false, legend = 'Members' } = props;
  const typedId = useId();
  const [typed, setTyped] = useState('');
  const chosen = new Set(selected.map((s) => s.toLowerCase()));
  const known = new Set(contacts.map((c) => contactRef(c).toLowerCase()));
  const extra = selected.filter((s) => !known.has(s.toLowerCase()));
  const name = typed.trim();
  const valid = USERNAME_PATTERN.test(name) && !chosen.has(name.toLowerCase());

  function toggle(ref: string, on: boolean) {
    onChange(on ? [...selected, ref] : selected.filter((s) => s.toLowerCase() !== ref.toLowerCase()));
  }
  function addTyped() {
    if (!valid) return;
    onChange([...selected, name]);
    setTyped('');
  }
  return (
    <fieldset className="room-picker" disabled={disabled}>
      <legend>{legend}</legend>
      {contacts.length > 0 && (
        <ul className="room-picker-contacts" aria-label="Contacts">
          {[...contacts]
            .sort((a, b) => contactRef(a).localeCompare(contactRef(b)))
            .map((c) => (
              <li key={c.accountId}>
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.has(contactRef(c).toLowerCase())}
                    onChange={(e) => toggle(contactRef(c), e.target.checked)}
                  />
                  <span>{c.username ?? 'Unknown name'}</span>
                  {c.nameHint !== null && <span className="hint"> (says “{c.nameHint}”, unconfirmed)</span>}
                </label>
              </li>
            ))}
        </ul>
      )}
      <div className="room-picker-typed">
        <label htmlFor={typedId}>Add by username</label>
        <input
          id={typedId}
          value={typed}
          maxLength={32}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setTyped(e.target.value)}
          onKeyDown={(e) => {
            // Enter adds the name instead of submitting the surrounding form half-filled.
            if (e.key === 'Enter') {
              e.preventDefault();
              addTyped();
            }
          }}
        />
        <button type="button" className="secondary" disabled={!valid} onClick={addTyped}>
          Add
        </button>
      </div>
      {extra.length > 0 && (
        <ul className="room-picker-chips" aria-label="Usernames to add">
          {extra.map((s) => (
            <li key={s}>
              <span>{s}</span>
              <button
                type="button"
                className="icon"
                aria-label={`Remove ${s}`}
                onClick={() => toggle(s, false)}
              >
                <X size={14} aria-hidden="true" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="hint" aria-live="polite">
        {selected.length === 0 ? 'No one chosen yet.' : `${selected.length} chosen, plus you.`}
      </p>
    </fieldset>
  );
}
