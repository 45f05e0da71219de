// A room notice (created, added, removed, left, renamed, promoted, demoted) as a centred line in the
// message list. The engine writes the sentence with the actor's name first; our own changes read
// "You …", as in Signal. Rendered as text, like every message.
import type { Ref } from 'react';
import type { MessageView } from '../../common/engine';

export function roomNoticeText(message: MessageView): string {
  return message.outgoing && message.text.startsWith(`${message.from} `)
    ? `You${message.text.slice(message.from.length)}`
    : message.text;
}

export interface RoomNoticeRowProps {
  message: MessageView;
  ref?: Ref<HTMLLIElement> | undefined;
  index?: number | undefined;
}

export function RoomNoticeRow({ message, ref, index }: RoomNoticeRowProps) {
  return (
    <li className="message notice-row room-notice" ref={ref} data-index={index} data-message-id={message.id}>
      {roomNoticeText(message)}
    </li>
  );
}
