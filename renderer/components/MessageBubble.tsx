// One message. Its text is rendered as React text nodes, never as HTML (STYLE.md item 6): a
// message cannot inject markup or script into the page. https links become buttons that ask the
// container to open them (after a confirmation showing the whole URL); nothing opens on its own.
// A destroyed message stays for its short burn-away, says "burned" instead of its timer, and
// hides its text from assistive technology.
import { AlertCircle, Check, CheckCheck, Clock } from 'lucide-react';
import { memo, useState, type ReactNode, type Ref } from 'react';
import type { MessageView } from '../../common/engine';
import { formatTime } from '../lib/format';
import { ActionIconsShown } from './MessageActions';
import { NoticeRow } from './NoticeRow';
import { RoomSenderName } from './RoomSenderName';
import { TimerBadge } from './TimerBadge';

export interface MessageBubbleProps {
  message: MessageView;
  now: number;
  /** Set while the message plays its burn-away before it is removed. */
  burning?: boolean;
  /**
   * Rooms name the sender on the first incoming message of each run from one sender (MessageList
   * decides); a 1:1 conversation's title already says who it is.
   */
  showSender?: boolean;
  ref?: Ref<HTMLLIElement>;
  /** Row index in a virtualized list (read by its measurements). */
  index?: number;
  /** Per-message controls (copy, delete for me, retry); a stable function so the bubble can memo. */
  renderActions?: ((message: MessageView) => ReactNode) | undefined;
  /** The message's files and previews (AttachmentList); not rendered while the message burns. */
  renderAttachments?: ((message: MessageView) => ReactNode) | undefined;
  /** Asks to open an https link found in the text; without it links stay plain text. */
  onOpenLink?: ((url: string) => void) | undefined;
}

const STATE_LABELS: Record<MessageView['state'], string> = {
  pending: 'sending…',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'not sent',
  received: '',
};

const STATE_ICONS: Partial<Record<MessageView['state'], typeof Check>> = {
  pending: Clock,
  sent: Check,
  delivered: CheckCheck,
  read: CheckCheck,
  failed: AlertCircle,
};

const LINK = /https:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/g;

/** The text split into plain runs and https links; every part becomes a text node. */
export function linkParts(text: string): { text: string; link: boolean }[] {
  const parts: { text: string; link: boolean }[] = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    if (match.index > at) parts.push({ text: text.slice(at, match.index), link: false });
    parts.push({ text: match[0], link: true });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), link: false });
  return parts;
}

/**
 * Whether the clock moved in a way this bubble shows: its countdown (a running timer) or its stamp
 * (which names the date once the day it was sent is no longer today).
 */
function clockShows(message: MessageView, before: number, after: number): boolean {
  if (message.expiresAt !== null || message.burnAt !== null) return true;
  return new Date(before).toDateString() !== new Date(after).toDateString();
}

/**
 * Props equal for rendering: the same everything, and a clock tick only where it shows. The row
 * index is left out: a page loaded above shifts every index, and MessageList sets the `data-index`
 * of rendered rows itself rather than render them all again.
 */
function sameBubble(a: MessageBubbleProps, b: MessageBubbleProps): boolean {
  for (const key of Object.keys(b) as (keyof MessageBubbleProps)[]) {
    if (key !== 'now' && key !== 'index' && a[key] !== b[key]) return false;
  }
  if (Object.keys(a).length !== Object.keys(b).length) return false;
  return a.now === b.now || !clockShows(b.message, a.now, b.now);
}

/**
 * Memoized: a scroll re-renders the virtualized list on every frame, and a bubble whose props did
 * not change need not render again. The clock ticks every second; only bubbles with a running
 * timer (or all of them, at midnight) show it, so the others skip the tick too.
 */
export const MessageBubble = memo(function MessageBubble(props: MessageBubbleProps) {
  const { message, now, burning = false, showSender = true, ref, index, renderActions, onOpenLink } = props;
  const { renderAttachments } = props;
  // Set once the pointer or focus comes into the bubble, when its actions become visible.
  const [active, setActive] = useState(false);
  if (message.notice !== undefined)
    return <NoticeRow id={message.id} notice={message.notice} ref={ref} index={index} />;
  const classes = [
    'message',
    message.outgoing ? 'outgoing' : 'incoming',
    burning ? 'burning' : '',
    message.state === 'failed' ? 'failed' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const StateIcon = STATE_ICONS[message.state];
  return (
    <li
      className={classes}
      ref={ref}
      data-index={index}
      data-message-id={message.id}
      aria-busy={burning || undefined}
      onPointerEnter={active ? undefined : () => setActive(true)}
      onFocus={active ? undefined : () => setActive(true)}
    >
      {!message.outgoing && showSender && <RoomSenderName message={message} />}
      {!burning && message.attachments.length > 0 && renderAttachments?.(message)}
      <p className="text" aria-hidden={burning || undefined}>
        {onOpenLink === undefined
          ? message.text
          : linkParts(message.text).map((part, i) =>
              part.link ? (
                <button key={i} type="button" className="link" onClick={() => onOpenLink(part.text)}>
                  {part.text}
                </button>
              ) : (
                part.text
              ),
            )}
      </p>
      <span className="meta">
        <time dateTime={new Date(message.sentAt).toISOString()}>{formatTime(message.sentAt, now)}</time>
        {message.outgoing && message.state !== 'received' && (
          <span className={`state state-${message.state}`}>
            {StateIcon && <StateIcon size={14} aria-hidden="true" />}
            {STATE_LABELS[message.state]}
          </span>
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
        <ActionIconsShown value={active}>{renderActions?.(message)}</ActionIconsShown>
      </span>
    </li>
  );
}, sameBubble);
