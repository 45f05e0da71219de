// Connects the conversation list and the open conversation to the engine: loads them, follows
// engine events (new, updated and destroyed messages), reports messages as seen, sends text. A send
// stopped because the recipient's identity changed opens the safety-number-changed dialog; rooms
// from non-contacts wait in the invitations banner.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type {
  ContactView,
  ConversationTimers,
  ConversationView as Conversation,
  MessageView,
  RoomRequestView,
  SafetyNumberView,
} from '../../common/engine';
import { isWispError } from '../../common/errors';
import type { WispClient } from '../../common/ipc';
import type { ComposerTimers } from '../components/Composer';
import { ConversationList } from '../components/ConversationList';
import { ConversationView } from '../components/ConversationView';
import { ErrorNote } from '../components/ErrorNote';
import { IdentityChangedDialog } from '../components/IdentityChangedDialog';
import { RoomRequestBanner } from '../components/RoomRequestBanner';
import { NewConversationForm } from '../components/NewConversationForm';
import { SafetyNumberPanel } from '../components/SafetyNumberPanel';
import { useNow, useSeenTracker } from '../lib/hooks';
import { asUiError, type UiError } from '../lib/uiError';

/** How long the burn-away plays before a destroyed message leaves the DOM. */
const BURN_ANIMATION_MS = 700;

export interface MessengerContainerProps {
  client: WispClient;
  appDefaultTimers: ConversationTimers;
}

type Selection = { kind: 'conversation'; id: string } | { kind: 'draft'; username: string } | null;

export { asUiError };

export function MessengerContainer({ client, appDefaultTimers }: MessengerContainerProps) {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [selection, setSelection] = useState<Selection>(null);
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [burning, setBurning] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; recovery?: string | undefined } | null>(null);
  const [contacts, setContacts] = useState<ContactView[]>([]);
  const [safety, setSafety] = useState<SafetyNumberView | null>(null);
  const [lookupError, setLookupError] = useState<UiError | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [requests, setRequests] = useState<RoomRequestView[]>([]);
  /** A send the engine stopped because the recipient's identity changed: waits for the user's choice. */
  const [stopped, setStopped] = useState<{ text: string; timers: ComposerTimers } | null>(null);
  const now = useNow();

  const selectedId = selection?.kind === 'conversation' ? selection.id : null;
  const selected = conversations.find((c) => c.id === selectedId) ?? null;

  useEffect(() => {
    let live = true;
    client.conversations.list().then(
      (list) => live && setConversations(list),
      (e: unknown) => live && setError(asUiError(e)),
    );
    client.contacts.list().then(
      (list) => live && setContacts(list),
      (e: unknown) => live && setError(asUiError(e)),
    );
    client.conversations.roomRequests().then(
      (list) => live && setRequests(list),
      (e: unknown) => live && setError(asUiError(e)),
    );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    client.conversations.messages({ conversationId: selectedId, limit: 200 }).then(
      (page) => live && setMessages(page.messages),
      (e: unknown) => live && setError(asUiError(e)),
    );
    return () => {
      live = false;
    };
  }, [client, selectedId]);

  useEffect(
    () =>
      client.onEvent((event) => {
        switch (event.type) {
          case 'conversation.changed':
            setConversations((list) => [
              ...list.filter((c) => c.id !== event.conversation.id),
              event.conversation,
            ]);
            break;
          case 'contact.changed':
          case 'identity.changed':
            setContacts((list) => [
              ...list.filter((c) => c.accountId !== event.contact.accountId),
              event.contact,
            ]);
            break;
          case 'room.request':
            setRequests((list) => [...list.filter((r) => r.id !== event.request.id), event.request]);
            break;
          case 'room.request.settled':
            setRequests((list) => list.filter((r) => r.id !== event.id));
            break;
          case 'message.added':
          case 'message.updated':
            if (event.message.conversationId !== selectedId) break;
            setMessages((list) =>
              list.some((m) => m.id === event.message.id)
                ? list.map((m) => (m.id === event.message.id ? event.message : m))
                : [...list, event.message],
            );
            break;
          case 'message.destroyed':
            setBurning((set) => new Set(set).add(event.id));
            setTimeout(() => {
              setMessages((list) => list.filter((m) => m.id !== event.id));
              setBurning((set) => {
                const next = new Set(set);
                next.delete(event.id);
                return next;
              });
            }, BURN_ANIMATION_MS);
            break;
          default:
            break;
        }
      }),
    [client, selectedId],
  );

  const markSeen = useCallback(
    (id: string) => {
      client.conversations.markSeen({ messageId: id }).then(
        (updated) => setMessages((list) => list.map((m) => (m.id === id ? updated : m))),
        (e: unknown) => setError(asUiError(e)),
      );
    },
    [client],
  );
  const watch = useSeenTracker(markSeen);
  const messageRef = useCallback(
    (m: MessageView) => (!m.outgoing && m.seenAt === null ? watch(m.id) : undefined),
    [watch],
  );

  async function startConversation(username: string) {
    setBusy(true);
    setLookupError(null);
    try {
      const contact = await client.contacts.lookup({ username });
      setContacts((list) => [...list.filter((c) => c.accountId !== contact.accountId), contact]);
      const name = contact.username ?? username;
      const existing = conversations.find((c) => c.kind === 'direct' && c.title === name);
      if (existing) {
        setSelection({ kind: 'conversation', id: existing.id });
      } else {
        setMessages([]);
        setSelection({ kind: 'draft', username: name });
      }
      setSafety(null);
      setFormKey((k) => k + 1);
    } catch (e) {
      if (isWispError(e, 'IdentityChanged')) {
        // The name now belongs to someone else than the contact we know: a draft addressed to the
        // name, so the first send meets the safety-number-changed dialog before anything goes out.
        setMessages([]);
        setSelection({ kind: 'draft', username });
        setSafety(null);
        setFormKey((k) => k + 1);
      } else {
        setLookupError(asUiError(e));
      }
    } finally {
      setBusy(false);
    }
  }

  async function send(text: string, timers: ComposerTimers, acceptIdentityChange = false) {
    if (selection === null) return;
    setBusy(true);
    setError(null);
    try {
      const to = selection.kind === 'conversation' ? selection.id : selection.username;
      const sent = await client.conversations.sendText({
        to,
        text,
        ...timers,
        ...(acceptIdentityChange ? { acceptIdentityChange: true } : {}),
      });
      setStopped(null);
      setMessages((list) => (list.some((m) => m.id === sent.id) ? list : [...list, sent]));
      if (selection.kind === 'draft') {
        setConversations(await client.conversations.list());
        setSelection({ kind: 'conversation', id: sent.conversationId });
      }
    } catch (e) {
      // Nothing was sent: the user decides in the dialog (send anyway, or verify first).
      if (isWispError(e, 'IdentityChanged')) setStopped({ text, timers });
      else setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  }

  async function settleRequest(roomId: string, accept: boolean) {
    setBusy(true);
    setError(null);
    try {
      if (accept) {
        const room = await client.conversations.acceptRoomRequest({ roomId });
        setConversations((list) => [...list.filter((c) => c.id !== room.id), room]);
      } else {
        await client.conversations.declineRoomRequest({ roomId });
      }
      setRequests((list) => list.filter((r) => r.id !== roomId));
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  }

  async function showSafetyNumber(contact: string) {
    setError(null);
    try {
      setSafety(await client.contacts.safetyNumber({ contact }));
    } catch (e) {
      setError(asUiError(e));
    }
  }

  async function verify(contact: string, verified: boolean) {
    setBusy(true);
    try {
      const updated = await client.contacts.setVerified({ contact, verified });
      setContacts((list) => [...list.filter((c) => c.accountId !== updated.accountId), updated]);
      setSafety(await client.contacts.safetyNumber({ contact }));
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  }

  const title =
    selection === null ? null : selection.kind === 'draft' ? selection.username : (selected?.title ?? '');
  const isDirect = selection?.kind === 'draft' || selected?.kind === 'direct';
  const contact = isDirect && title !== null ? contacts.find((c) => c.username === title) : undefined;
  const defaultTimers = useMemo(
    () => selected?.defaultTimers ?? appDefaultTimers,
    [selected, appDefaultTimers],
  );

  return (
    <div className="messenger">
      <aside className="sidebar" aria-label="Chats">
        <NewConversationForm
          key={formKey}
          busy={busy}
          error={lookupError}
          onStart={(u) => void startConversation(u)}
        />
        <ConversationList
          conversations={conversations}
          selectedId={selectedId}
          onSelect={(id) => {
            if (id !== selectedId) setMessages([]);
            setSelection({ kind: 'conversation', id });
            setSafety(null);
          }}
        />
      </aside>
      <main className="pane">
        <RoomRequestBanner
          requests={requests}
          busy={busy}
          onAccept={(id) => void settleRequest(id, true)}
          onDecline={(id) => void settleRequest(id, false)}
        />
        {stopped !== null && title !== null && (
          <IdentityChangedDialog
            name={title}
            busy={busy}
            onSendAnyway={() => void send(stopped.text, stopped.timers, true)}
            onVerify={() => {
              setStopped(null);
              void showSafetyNumber(contact?.accountId ?? title);
            }}
            onCancel={() => setStopped(null)}
          />
        )}
        {title === null ? (
          <>
            <p className="empty">Pick a conversation, or start one with a username.</p>
            <ErrorNote error={error} />
          </>
        ) : (
          <ConversationView
            key={title}
            title={title}
            identityChanged={contact?.identityChanged ?? false}
            showSenders={!isDirect}
            {...(isDirect && contact !== undefined ? { verified: contact.verified } : {})}
            {...(isDirect ? { onShowSafetyNumber: () => void showSafetyNumber(title) } : {})}
            messages={messages}
            burning={burning}
            expiredUnread={selected?.expiredUnreadCount ?? 0}
            now={now}
            defaultTimers={defaultTimers}
            sending={busy}
            error={error}
            onSend={(text, timers) => void send(text, timers)}
            messageRef={messageRef}
          >
            {safety !== null && (safety.username === title || safety.accountId === contact?.accountId) && (
              <SafetyNumberPanel
                safety={safety}
                busy={busy}
                onVerify={(v) => void verify(title, v)}
                onClose={() => setSafety(null)}
              />
            )}
          </ConversationView>
        )}
      </main>
    </div>
  );
}
