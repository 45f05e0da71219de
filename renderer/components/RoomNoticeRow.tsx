// A room notice (created, added, removed, left, renamed, promoted, demoted) as a centred line in the
// message list. The engine writes the sentence with the actor's name first; our own changes read
// "You …" and changes to us "… you", as in Signal. Someone we hold no confirmed name of is "an
// unknown member" (with the name others gave, marked as theirs), never a raw account id. Text only.
import type { Ref } from 'react';
import type { MessageView } from '../../common/engine';
import { hasNoConfirmedName, useRoomPeople, type RoomPeople } from './RoomSenderName';

function unknownMember(hint: string | null | undefined, startsSentence: boolean): string {
  const label = startsSentence ? 'An unknown member' : 'an unknown member';
  return hint == null ? label : `${label} (says “${hint}”)`;
}

export function roomNoticeText(message: MessageView, people: RoomPeople | null = null): string {
  const { text, from } = message;
  // Not the engine's sentence shape (an older row): shown as stored.
  if (!text.startsWith(`${from} `)) return text;
  let rest = text.slice(from.length);
  const notice = message.roomNotice;
  const subject = notice?.subject ?? null;
  if (subject !== null && notice?.action !== 'rename') {
    const self = people?.self ?? null;
    // We are named by our username, or by our id when we hold none (released, or none yet).
    const selfName = [self?.username, subject].find(
      (n) => self?.accountId === subject && n != null && rest.endsWith(` ${n}`),
    );
    if (selfName != null) {
      rest = `${rest.slice(0, -selfName.length)}you`;
    } else if (rest.endsWith(` ${subject}`)) {
      rest = `${rest.slice(0, -subject.length)}${unknownMember(people?.hints?.get(subject), false)}`;
    }
  }
  const actor = message.outgoing
    ? 'You'
    : hasNoConfirmedName(message)
      ? unknownMember(message.fromNameHint, true)
      : from;
  return `${actor}${rest}`;
}

export interface RoomNoticeRowProps {
  message: MessageView;
  ref?: Ref<HTMLLIElement> | undefined;
  index?: number | undefined;
}

export function RoomNoticeRow({ message, ref, index }: RoomNoticeRowProps) {
  const people = useRoomPeople();
  return (
    <li className="message notice-row room-notice" ref={ref} data-index={index} data-message-id={message.id}>
      {roomNoticeText(message, people)}
    </li>
  );
}
