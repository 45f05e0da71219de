// One message. Its text is rendered as a React text node, never as HTML (STYLE.md item 6): a
// message cannot inject markup or script into the page. A destroyed message stays for its short
// burn-away, says "burned" instead of its timer, and hides its text from assistive technology.
import type { Ref } from 'react';
import type { MessageView } from '../../common/engine';
import { formatTime } from '../lib/format';
import { TimerBadge } from './TimerBadge';

export interface MessageBubbleProps {
  message: MessageView;
  now: number;
  /** Set while the message plays its burn-away before it is removed. */
  burning?: boolean;
  /** Rooms name the sender on every incoming message; a 1:1 conversation's title already does. */
  showSender?: boolean;
  ref?: Ref<HTMLLIElement>;
}

const STATE_LABELS: Record<MessageView['state'], string> = {
  pending: 'sending…',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'not sent',
  received: '',
};

export function MessageBubble({ message, now, burning = false, showSender = true, ref }: MessageBubbleProps) {
  if (message.notice !== undefined) {
    // A conversation notice (a timer change), not a message: a centred line, who and what.
    return (
      <li className="message notice-row" ref={ref} data-message-id={message.id}>
        {message.outgoing ? 'You' : message.from}: {message.text}
      </li>
    );
  }
  const classes = ['message', message.outgoing ? 'outgoing' : 'incoming', burning ? 'burning' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <li className={classes} ref={ref} data-message-id={message.id} aria-busy={burning || undefined}>
      {!message.outgoing && showSender && (
        <span className="sender">
          {message.from}
          {/* A name the sender claimed that the relay did not confirm: shown apart, never as the name. */}
          {message.fromNameHint != null && (
            <span className="hint"> (says “{message.fromNameHint}”, unconfirmed)</span>
          )}
        </span>
      )}
      <p className="text" aria-hidden={burning || undefined}>
        {message.text}
      </p>
      <span className="meta">
        <time dateTime={new Date(message.sentAt).toISOString()}>{formatTime(message.sentAt, now)}</time>
        {message.outgoing && message.state !== 'received' && (
          <span className="state">{STATE_LABELS[message.state]}</span>
        )}
        {burning ? (
          <span className="burned-note">burned</span>
        ) : (
          <TimerBadge
            expiresAt={message.expiresAt}
            burnAt={message.burnAt}
            burnAfterMs={message.burnAfterMs}
            now={now}
          />
        )}
      </span>
    </li>
  );
}
