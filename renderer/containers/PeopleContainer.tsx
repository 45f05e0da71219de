// Connects People to the engine: the contact list (kept current by contact and identity events),
// looking a username up, and a contact's safety number with the verified switch.
import { useEffect, useState } from 'react';
import type { ContactView, SafetyNumberView } from '../../common/engine';
import type { WispClient } from '../../common/ipc';
import { ErrorNote } from '../components/ErrorNote';
import { PeopleView } from '../components/PeopleView';
import { SafetyNumberPanel } from '../components/SafetyNumberPanel';
import { asUiError, type UiError } from '../lib/uiError';

export interface PeopleContainerProps {
  client: WispClient;
  /** Opens the contact's conversation (or a draft to them) in Chats. */
  onMessage: (contact: ContactView) => void;
}

export function PeopleContainer({ client, onMessage }: PeopleContainerProps) {
  const [contacts, setContacts] = useState<ContactView[]>([]);
  const [busy, setBusy] = useState(false);
  const [lookupError, setLookupError] = useState<UiError | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [safety, setSafety] = useState<SafetyNumberView | null>(null);

  const upsert = (contact: ContactView) =>
    setContacts((list) => [...list.filter((c) => c.accountId !== contact.accountId), contact]);

  useEffect(() => {
    let live = true;
    client.contacts.list().then(
      (list) => live && setContacts(list),
      (e: unknown) => live && setError(asUiError(e)),
    );
    const unsubscribe = client.onEvent((event) => {
      if (event.type === 'contact.changed' || event.type === 'identity.changed') upsert(event.contact);
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [client]);

  async function start(username: string) {
    setBusy(true);
    setLookupError(null);
    try {
      const contact = await client.contacts.lookup({ username });
      upsert(contact);
      setFormKey((k) => k + 1);
      onMessage(contact);
    } catch (e) {
      setLookupError(asUiError(e));
    } finally {
      setBusy(false);
    }
  }

  async function showSafety(contact: ContactView) {
    if (safety?.accountId === contact.accountId) {
      setSafety(null);
      return;
    }
    setError(null);
    try {
      setSafety(await client.contacts.safetyNumber({ contact: contact.accountId }));
    } catch (e) {
      setError(asUiError(e));
    }
  }

  async function verify(accountId: string, verified: boolean) {
    setBusy(true);
    try {
      upsert(await client.contacts.setVerified({ contact: accountId, verified }));
      setSafety(await client.contacts.safetyNumber({ contact: accountId }));
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="people-tab">
      <ErrorNote error={error} />
      <PeopleView
        contacts={contacts}
        busy={busy}
        lookupError={lookupError}
        formKey={formKey}
        onStart={(u) => void start(u)}
        onMessage={onMessage}
        onSafetyNumber={(c) => void showSafety(c)}
        safetyFor={safety?.accountId ?? null}
        safetyPanel={
          safety !== null && (
            <SafetyNumberPanel
              safety={safety}
              busy={busy}
              onVerify={(v) => void verify(safety.accountId, v)}
              onClose={() => setSafety(null)}
            />
          )
        }
      />
    </div>
  );
}
