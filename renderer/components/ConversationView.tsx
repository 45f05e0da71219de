// One conversation: its messages oldest first with timer badges, and the composer. Pure: the
// container decides what "seen" means and passes `messageRef` to watch each message's visibility.
import type { ReactNode, Ref } from 'react';
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
  /** Direct conversations: opens the safety number. */
  onShowSafetyNumber?: () => void;
  /** The contact's identity key changed since it was verified or first seen. */
  identityChanged?: boolean;
  /** Shown between the header and the messages (the safety number panel). */
  children?: ReactNode;
}

export function ConversationView(props: ConversationViewProps) {
  const { title, messages, burning, expiredUnread, now, defaultTimers, sending, error, onSend, messageRef } =
    props;
  const { onShowSafetyNumber, identityChanged = false, children } = props;
  return (
    <section className="conversation" aria-label={`Conversation with ${title}`}>
      <header>
        <h2>{title}</h2>
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
      <ol className="messages" aria-live="polite">
        {messages.map((m) => (
          <MessageBubble key={m.id} message={m} now={now} burning={burning.has(m.id)} ref={messageRef?.(m)} />
        ))}
      </ol>
      {messages.length === 0 && (
        <p className="empty">No messages. Whatever you send here can destroy itself.</p>
      )}
      <ErrorNote error={error} />
      <Composer key={title} initialTimers={defaultTimers} busy={sending} onSend={onSend} />
    </section>
  );
}
