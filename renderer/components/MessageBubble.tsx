// One message. Its text is rendered as a React text node, never as HTML (STYLE.md item 6): a
// message cannot inject markup or script into the page.
import type { Ref } from 'react';
import type { MessageView } from '../../common/engine';
import { formatTime } from '../lib/format';
import { TimerBadge } from './TimerBadge';

export interface MessageBubbleProps {
  message: MessageView;
  now: number;
  /** Set while the message plays its burn-away before it is removed. */
  burning?: boolean;
  ref?: Ref<HTMLLIElement>;
}

export function MessageBubble({ message, now, burning = false, ref }: MessageBubbleProps) {
  const classes = ['message', message.outgoing ? 'outgoing' : 'incoming', burning ? 'burning' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <li className={classes} ref={ref} data-message-id={message.id}>
      {!message.outgoing && <span className="sender">{message.from}</span>}
      <p className="text">{message.text}</p>
      <span className="meta">
        <time dateTime={new Date(message.sentAt).toISOString()}>{formatTime(message.sentAt)}</time>
        {message.outgoing && <span className="state">{message.state}</span>}
        <TimerBadge
          expiresAt={message.expiresAt}
          burnAt={message.burnAt}
          burnAfterMs={message.burnAfterMs}
          now={now}
        />
      </span>
    </li>
  );
}
