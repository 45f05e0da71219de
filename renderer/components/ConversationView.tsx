// One conversation: its messages oldest first with timer badges, and the composer. Pure: the
// container decides what "seen" means and passes `messageRef` to watch each message's visibility.
// New messages scroll into view when the reader was already at the bottom (or sent them).
import { useLayoutEffect, useRef, type ReactNode, type Ref } from 'react';
import type { MessageView } from '../../common/engine';
import { Composer, type ComposerTimers } from './Composer';
import { ErrorNote } from './ErrorNote';
import { MessageBubble } from './MessageBubble';

export interface ConversationViewProps {
  title: string;
  messages: MessageView[];
  /** Ids of messages playing their burn-away. */
  burning: ReadonlySet<string>;
  expiredUnread: number;
  now: number;
  defaultTimers: ComposerTimers;
  sending: boolean;
  error: { message: string; recovery?: string | undefined } | null;
  onSend: (text: string, timers: ComposerTimers) => void;
  messageRef?: (message: MessageView) => Ref<HTMLLIElement> | undefined;
  /** Rooms: name the sender on each incoming message (default true). */
  showSenders?: boolean;
  /** Direct conversations: the user marked the contact's safety number as compared. */
  verified?: boolean;
  /** Direct conversations: opens the safety number. */
  onShowSafetyNumber?: () => void;
  /** The contact's identity key changed since it was verified or first seen. */
  identityChanged?: boolean;
  /** Shown between the header and the messages (the safety number panel). */
  children?: ReactNode;
}

/** How close to the bottom (px) still counts as "reading the newest messages". */
const STICK_TO_BOTTOM_PX = 48;

/** Keeps a scrolling list pinned to its end as items arrive, unless the reader scrolled up. */
function useStickToBottom(count: number, lastOutgoing: boolean) {
  const list = useRef<HTMLOListElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const element = list.current;
    if (element === null) return;
    if (atBottom.current || lastOutgoing) element.scrollTop = element.scrollHeight;
  }, [count, lastOutgoing]);
  const onScroll = () => {
    const element = list.current;
    if (element === null) return;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight <= STICK_TO_BOTTOM_PX;
  };
  return { list, onScroll };
}

export function ConversationView(props: ConversationViewProps) {
  const { title, messages, burning, expiredUnread, now, defaultTimers, sending, error, onSend, messageRef } =
    props;
  const { onShowSafetyNumber, identityChanged = false, showSenders = true, verified, children } = props;
  const last = messages[messages.length - 1];
  const { list, onScroll } = useStickToBottom(messages.length, last?.outgoing ?? false);
  return (
    <section className="conversation" aria-label={`Conversation with ${title}`}>
      <header>
        <h2>{title}</h2>
        {verified !== undefined && (
          <span className={verified ? 'trust verified' : 'trust'}>
            {verified ? 'Verified' : 'Not verified'}
          </span>
        )}
        {onShowSafetyNumber && (
          <button type="button" className="secondary" onClick={onShowSafetyNumber}>
            Safety number
          </button>
        )}
      </header>
      {identityChanged && (
        <p className="warning" role="alert">
          {title}&apos;s identity key changed. This can mean a new device, or someone in the middle: check the
          safety number.
        </p>
      )}
      {children}
      {expiredUnread > 0 && (
        <p className="notice">
          {expiredUnread === 1 ? 'One message' : `${expiredUnread} messages`} expired before you could read
          {expiredUnread === 1 ? ' it' : ' them'}.
        </p>
      )}
      {/* Only arrivals are announced: the ticking countdowns would otherwise be read every second. */}
      <ol
        className="messages"
        aria-label="Messages"
        aria-live="polite"
        aria-relevant="additions"
        ref={list}
        onScroll={onScroll}
        tabIndex={0}
      >
        {messages.map((m) => (
          <MessageBubble
            key={m.id}
            message={m}
            now={now}
            burning={burning.has(m.id)}
            showSender={showSenders}
            ref={messageRef?.(m)}
          />
        ))}
      </ol>
      {messages.length === 0 && (
        <p className="empty">
          No messages yet. Choose how long each message lives below: it can expire for everyone, or burn soon
          after it is read.
        </p>
      )}
      <ErrorNote error={error} />
      <Composer key={title} initialTimers={defaultTimers} busy={sending} onSend={onSend} />
    </section>
  );
}
