// Connects the conversation list and the open conversation to the engine: loads them, follows
// engine events (new, updated and destroyed messages), reports messages as seen, sends text. A send
// stopped because the recipient's identity changed opens the safety-number-changed dialog; rooms
// from non-contacts wait in the invitations banner.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  ContactView,
  ConversationTimers,
  ConversationView as Conversation,
  MessageView,
  RoomRequestView,
  SafetyNumberView,
} from '../../common/engine';
import { isWispError } from '../../common/errors';
import type { MessagePreview, SearchHit, WispClient } from '../../common/ipc';
import type { ComposerTimers } from '../components/Composer';
import { ConversationList } from '../components/ConversationList';
import { ErrorNote } from '../components/ErrorNote';
import { IdentityChangedDialog } from '../components/IdentityChangedDialog';
import { RoomRequestBanner } from '../components/RoomRequestBanner';
import { NewConversationForm } from '../components/NewConversationForm';
import { SafetyNumberPanel } from '../components/SafetyNumberPanel';
import { SearchResults } from '../components/SearchResults';
import { LinkConfirm } from '../components/LinkConfirm';
import { MessageActions } from '../components/MessageActions';
import { useBatched, useDebounced, useNow, useSeenTracker } from '../lib/hooks';
import { useSeenMarker } from '../lib/seenMarker';
import { useShortcuts } from '../lib/shortcuts';
import { sortByActivity } from '../components/ConversationList';
import { Search } from 'lucide-react';
import { asUiError, type UiError } from '../lib/uiError';
import { useAttachments } from '../lib/attachmentsView';
import { RoomConversationView } from '../components/RoomConversationView';
import { NewRoomLauncher, useRoomDetails } from './RoomsContainer';
import type { OpenRequests, OpenTarget } from '../lib/navigation';

/** How long the burn-away plays before a destroyed message leaves the DOM. */
const BURN_ANIMATION_MS = 700;
/** Messages in the first page read from the engine: little to render before the first paint. */
const PAGE_SIZE = 100;
/**
 * Messages per older page (the IPC's most): each page loaded costs the scroll one heavier frame
 * (rows and offsets recomputed), so fewer, larger pages keep those frames rare.
 */
const OLDER_PAGE_SIZE = 200;
/** A burst of events (a sync of 500 messages) refreshes the list and the search once, not 500 times. */
const REFRESH_DELAY_MS = 150;

export interface MessengerContainerProps {
  client: WispClient;
  appDefaultTimers: ConversationTimers;
  /** Conversations other screens ask for (People, the quick switcher). */
  opens?: OpenRequests;
}

type Selection = { kind: 'conversation'; id: string } | { kind: 'draft'; username: string } | null;

export { asUiError };

export function MessengerContainer({ client, appDefaultTimers, opens }: MessengerContainerProps) {
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [selection, setSelection] = useState<Selection>(null);
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const loadingOlder = useRef(false);
  const [burning, setBurning] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; recovery?: string | undefined } | null>(null);
  const [contacts, setContacts] = useState<ContactView[]>([]);
  const [safety, setSafety] = useState<SafetyNumberView | null>(null);
  const [lookupError, setLookupError] = useState<UiError | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [requests, setRequests] = useState<RoomRequestView[]>([]);
  /** A send the engine stopped because the recipient's identity changed: waits for the user's choice. */
  const [stopped, setStopped] = useState<{ text: string; timers: ComposerTimers; file?: File | null } | null>(
    null,
  );
  const attachments = useAttachments(client);
  const [previews, setPreviews] = useState<ReadonlyMap<string, MessagePreview>>(new Map());
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [pendingLink, setPendingLink] = useState<string | null>(null);
  const now = useNow();

  // The list, its previews and unread counts, re-read after anything that may change them.
  const refreshList = useDebounced(REFRESH_DELAY_MS, () => {
    Promise.all([client.conversations.list(), client.messages.previews()]).then(
      ([list, latest]) => {
        setConversations(list);
        setPreviews(new Map(latest.map((p) => [p.conversationId, p])));
      },
      (e: unknown) => setError(asUiError(e)),
    );
  });
  const searching = query.trim().length > 0;
  const runSearch = useDebounced(REFRESH_DELAY_MS, () => {
    const q = query.trim();
    if (q === '') return;
    client.messages.search({ query: q }).then(
      (found) => setHits(found),
      (e: unknown) => setError(asUiError(e)),
    );
  });
  useEffect(() => {
    if (searching) runSearch();
  }, [query, searching, runSearch]);

  const selectedId = selection?.kind === 'conversation' ? selection.id : null;
  const selected = conversations.find((c) => c.id === selectedId) ?? null;

  useEffect(() => {
    let live = true;
    refreshList();
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
  }, [client, refreshList]);

  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    loadingOlder.current = false;
    client.conversations.messages({ conversationId: selectedId, limit: PAGE_SIZE }).then(
      (page) => {
        if (!live) return;
        // For bench/ui.bench.ts: the moment the page's data arrived, before React renders it.
        performance.mark('wisp:messages-data');
        setMessages(page.messages);
        setHasMore(page.hasMore);
      },
      (e: unknown) => live && setError(asUiError(e)),
    );
    return () => {
      live = false;
    };
  }, [client, selectedId]);

  // Added and updated messages of the open conversation are applied in batches: a fast scroll
  // through unread messages marks dozens seen a second (an update event and a markSeen reply
  // each), and one re-render of the whole list per message would cost the scroll its frames.
  // Replies only replace; events also append what is new, in arrival order.
  const applyMessages = useBatched((items: { message: MessageView; append: boolean }[]) => {
    const byId = new Map<string, { message: MessageView; append: boolean }>();
    for (const item of items) {
      if (item.message.conversationId !== selectedId) continue;
      const seen = byId.get(item.message.id);
      byId.set(item.message.id, { message: item.message, append: item.append || seen?.append === true });
    }
    if (byId.size === 0) return;
    setMessages((list) => {
      const fresh = new Map(byId);
      const next = list.map((m) => {
        const item = fresh.get(m.id);
        if (item === undefined) return m;
        fresh.delete(m.id);
        return item.message;
      });
      for (const item of fresh.values()) if (item.append) next.push(item.message);
      return next;
    });
  });
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
            refreshList();
            if (searching) runSearch();
            if (event.message.conversationId !== selectedId) break;
            applyMessages({ message: event.message, append: true });
            break;
          case 'expired-unread':
            refreshList();
            break;
          case 'message.destroyed':
            // Gone from search at once, and the list's preview moves to the message before it.
            setHits((list) => list.filter((h) => h.messageId !== event.id));
            refreshList();
            if (searching) runSearch();
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
    [client, selectedId, refreshList, runSearch, searching, applyMessages],
  );

  const oldestId = messages[0]?.id;
  const loadOlder = useCallback(() => {
    if (selectedId === null || oldestId === undefined || loadingOlder.current) return;
    loadingOlder.current = true;
    const conversationId = selectedId;
    client.conversations.messages({ conversationId, before: oldestId, limit: OLDER_PAGE_SIZE }).then(
      (page) => {
        loadingOlder.current = false;
        setMessages((list) => {
          // Dropped if the reader switched conversations meanwhile, or a newer load already added them.
          if (list[0]?.conversationId !== conversationId) return list;
          const known = new Set(list.map((m) => m.id));
          return [...page.messages.filter((m) => !known.has(m.id)), ...list];
        });
        setHasMore(page.hasMore);
      },
      (e: unknown) => {
        loadingOlder.current = false;
        setError(asUiError(e));
      },
    );
  }, [client, selectedId, oldestId]);

  // Seen ids go to the engine in 50 ms batches (one markSeenMany each), like the replies above.
  const markSeen = useSeenMarker(
    (messageIds) => client.conversations.markSeenMany({ messageIds }),
    (marked) => {
      for (const message of marked) applyMessages({ message, append: false });
      refreshList();
    },
    (e: unknown) => setError(asUiError(e)),
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

  async function send(
    text: string,
    timers: ComposerTimers,
    acceptIdentityChange = false,
    file: File | null = null,
  ) {
    if (selection === null) return;
    setBusy(true);
    setError(null);
    try {
      const to = selection.kind === 'conversation' ? selection.id : selection.username;
      const input = { to, text, ...timers, ...(acceptIdentityChange ? { acceptIdentityChange: true } : {}) };
      const sent =
        file === null ? await client.conversations.sendText(input) : await attachments.send(file, input);
      setStopped(null);
      setMessages((list) => (list.some((m) => m.id === sent.id) ? list : [...list, sent]));
      if (selection.kind === 'draft') {
        setConversations(await client.conversations.list());
        setSelection({ kind: 'conversation', id: sent.conversationId });
      }
    } catch (e) {
      // Nothing was sent: the user decides in the dialog (send anyway, or verify first).
      if (isWispError(e, 'IdentityChanged')) setStopped({ text, timers, file });
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

  const renderActions = useCallback(
    (message: MessageView) => (
      <MessageActions
        message={message}
        onCopy={(m) => {
          navigator.clipboard?.writeText(m.text).catch((e: unknown) => setError(asUiError(e)));
        }}
        onDelete={(m) => {
          client.messages.deleteForMe({ messageId: m.id }).catch((e: unknown) => setError(asUiError(e)));
        }}
        onRetry={(m) => {
          client.messages.retry({ messageId: m.id }).then(
            (sent) => setMessages((list) => (list.some((x) => x.id === sent.id) ? list : [...list, sent])),
            (e: unknown) => setError(asUiError(e)),
          );
        }}
      />
    ),
    [client],
  );

  function openLink(url: string) {
    setPendingLink(null);
    client.app.openExternal({ url }).catch((e: unknown) => setError(asUiError(e)));
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

  const titles = useMemo(() => new Map(conversations.map((c) => [c.id, c.title])), [conversations]);
  function select(id: string) {
    if (id !== selectedId) {
      setMessages([]);
      setHasMore(false);
    }
    setSelection({ kind: 'conversation', id });
    setSafety(null);
  }

  const searchBox = useRef<HTMLInputElement>(null);
  const step = (by: number) => {
    const order = sortByActivity(conversations);
    if (order.length === 0) return;
    const at = order.findIndex((c) => c.id === selectedId);
    const next = order[(at + by + order.length) % order.length]!;
    select(next.id);
  };
  useShortcuts({
    'mod+f': () => searchBox.current?.focus(),
    // After a frame: from another tab the app shows Chats first (App.tsx), then the field can take focus.
    'mod+n': () =>
      requestAnimationFrame(() =>
        document.querySelector<HTMLInputElement>('.chats-tab .new-conversation input')?.focus(),
      ),
    'alt+arrowdown': () => step(1),
    'alt+arrowup': () => step(-1),
    escape:
      pendingLink !== null
        ? () => setPendingLink(null)
        : safety !== null
          ? () => setSafety(null)
          : searching
            ? () => setQuery('')
            : undefined,
  });

  // People and the quick switcher open conversations here (their own lookups already ran).
  const openTarget = (target: OpenTarget) => {
    if (target.kind === 'conversation') select(target.id);
    else if (target.kind === 'username') void startConversation(target.username);
    else {
      const { contact } = target;
      setContacts((list) => [...list.filter((c) => c.accountId !== contact.accountId), contact]);
      if (conversations.some((c) => c.id === contact.accountId)) select(contact.accountId);
      else {
        setMessages([]);
        setSelection({ kind: 'draft', username: contact.username ?? contact.accountId });
        setSafety(null);
      }
    }
  };
  const latestOpen = useRef(openTarget);
  useEffect(() => {
    latestOpen.current = openTarget;
  });
  useEffect(() => opens?.subscribe((target) => latestOpen.current(target)), [opens]);

  const title =
    selection === null ? null : selection.kind === 'draft' ? selection.username : (selected?.title ?? '');
  const isDirect = selection?.kind === 'draft' || selected?.kind === 'direct';
  const contact = isDirect && title !== null ? contacts.find((c) => c.username === title) : undefined;
  const roomDetails = useRoomDetails(client, selected?.kind === 'room' ? selected : null, contacts);
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
        <NewRoomLauncher
          client={client}
          contacts={contacts}
          onCreated={(created) => {
            setConversations((list) => [...list.filter((c) => c.id !== created.id), created]);
            select(created.id);
          }}
        />
        <label className="search">
          <Search size={15} aria-hidden="true" />
          <span className="visually-hidden">Search conversations and messages</span>
          <input
            ref={searchBox}
            type="search"
            placeholder="Search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setQuery('');
            }}
          />
        </label>
        {searching ? (
          <SearchResults
            query={query}
            conversations={conversations}
            hits={searching ? hits : []}
            titles={titles}
            now={now}
            onOpen={(id) => {
              select(id);
              setQuery('');
            }}
          />
        ) : (
          <ConversationList
            conversations={conversations}
            previews={previews}
            selectedId={selectedId}
            now={now}
            onSelect={select}
          />
        )}
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
            onSendAnyway={() => void send(stopped.text, stopped.timers, true, stopped.file ?? null)}
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
          <RoomConversationView
            room={roomDetails.screen}
            key={title}
            title={title}
            identityChanged={contact?.identityChanged ?? false}
            showSenders={!isDirect}
            headerExtra={roomDetails.headerExtra}
            {...(isDirect && contact !== undefined ? { verified: contact.verified } : {})}
            {...(isDirect ? { onShowSafetyNumber: () => void showSafetyNumber(title) } : {})}
            messages={messages}
            hasMore={hasMore}
            onLoadOlder={loadOlder}
            burning={burning}
            expiredUnread={selected?.expiredUnreadCount ?? 0}
            now={now}
            defaultTimers={defaultTimers}
            sending={busy}
            error={error}
            onSend={(text, timers, file) => void send(text, timers, false, file ?? null)}
            messageRef={messageRef}
            renderActions={renderActions}
            renderAttachments={attachments.renderAttachments}
            uploading={attachments.uploading}
            onOpenLink={setPendingLink}
          >
            {roomDetails.panel}
            {safety !== null && (safety.username === title || safety.accountId === contact?.accountId) && (
              <SafetyNumberPanel
                safety={safety}
                busy={busy}
                onVerify={(v) => void verify(title, v)}
                onClose={() => setSafety(null)}
              />
            )}
          </RoomConversationView>
        )}
      </main>
      {pendingLink !== null && (
        <LinkConfirm
          url={pendingLink}
          onOpen={() => openLink(pendingLink)}
          onCancel={() => setPendingLink(null)}
        />
      )}
    </div>
  );
}
