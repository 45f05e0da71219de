// People: every contact, a confirmed username apart from a name someone else supplied (a room's
// member list), verified and changed-identity badges, and from each one the conversation or the
// safety number. Starting a conversation by username is the form at the top.
import type { ReactNode } from 'react';
import { MessageSquare, ShieldAlert, ShieldCheck } from 'lucide-react';
import type { ContactView } from '../../common/engine';
import type { UiError } from '../lib/uiError';
import { NewConversationForm } from './NewConversationForm';

export interface PeopleViewProps {
  contacts: readonly ContactView[];
  busy: boolean;
  lookupError: UiError | null;
  /** Remounts the username form (clears it) after a successful start. */
  formKey: number;
  onStart: (username: string) => void;
  onMessage: (contact: ContactView) => void;
  onSafetyNumber: (contact: ContactView) => void;
  /** The safety-number panel of the contact it is open for, shown under that contact's row. */
  safetyFor: string | null;
  safetyPanel?: ReactNode;
}

/** The name a person reads: the username their own lookup confirmed, else the hint, else the id. */
export function contactName(contact: ContactView): { name: string; confirmed: boolean } {
  if (contact.username !== null) return { name: contact.username, confirmed: true };
  if (contact.nameHint !== null) return { name: contact.nameHint, confirmed: false };
  return { name: `${contact.accountId.slice(0, 8)}…`, confirmed: false };
}

export function sortContacts(contacts: readonly ContactView[]): ContactView[] {
  return [...contacts].sort((a, b) =>
    contactName(a).name.localeCompare(contactName(b).name, undefined, { sensitivity: 'base' }),
  );
}

export function PeopleView(props: PeopleViewProps) {
  const { contacts, busy, onMessage, onSafetyNumber } = props;
  const sorted = sortContacts(contacts);
  return (
    <section className="people" aria-labelledby="people-title">
      <h2 id="people-title">People</h2>
      <NewConversationForm
        key={props.formKey}
        busy={busy}
        error={props.lookupError}
        onStart={props.onStart}
      />
      {sorted.length === 0 ? (
        <div className="empty people-empty">
          <p>No contacts yet.</p>
          <p>
            Type someone&apos;s username above to find them. Wisp has no phone numbers and no address book: a
            person becomes a contact when you look them up or when they write to you.
          </p>
        </div>
      ) : (
        <ul className="contact-list" aria-label="Contacts">
          {sorted.map((contact) => {
            const { name, confirmed } = contactName(contact);
            return (
              <li key={contact.accountId} className="contact">
                <div className="contact-row">
                  <div className="contact-name">
                    <span className={confirmed ? 'name' : 'name unconfirmed'}>{name}</span>
                    {!confirmed && (
                      <span className="name-hint-note">
                        {contact.nameHint !== null
                          ? 'Name given by someone else, not confirmed'
                          : 'No name known'}
                      </span>
                    )}
                  </div>
                  {contact.identityChanged ? (
                    <span className="identity-changed-badge">
                      <ShieldAlert size={14} aria-hidden="true" />
                      Safety number changed
                    </span>
                  ) : contact.verified ? (
                    <span className="verified-badge">
                      <ShieldCheck size={14} aria-hidden="true" />
                      Verified
                    </span>
                  ) : null}
                  <div className="contact-actions">
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Message ${name}`}
                      disabled={busy}
                      onClick={() => onMessage(contact)}
                    >
                      <MessageSquare size={15} aria-hidden="true" />
                      Message
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Safety number with ${name}`}
                      aria-expanded={props.safetyFor === contact.accountId}
                      onClick={() => onSafetyNumber(contact)}
                    >
                      <ShieldCheck size={15} aria-hidden="true" />
                      Safety number
                    </button>
                  </div>
                </div>
                {props.safetyFor === contact.accountId && props.safetyPanel}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
