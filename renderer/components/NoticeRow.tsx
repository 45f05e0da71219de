// A notice (a timer change; a room created, added, removed, left, renamed, promoted, demoted) as a
// centred line in the message list, worded from the engine's structured notice by
// common/notices.ts, the same words the conversation list previews. Rendered as a text node only:
// names and room names others chose never become markup.
import type { Ref } from 'react';
import type { Notice } from '../../common/engine';
import { noticeText } from '../../common/notices';

export interface NoticeRowProps {
  /** The row's message id (the list finds rows by it). */
  id: string;
  notice: Notice;
  ref?: Ref<HTMLLIElement> | undefined;
  index?: number | undefined;
}

export function NoticeRow({ id, notice, ref, index }: NoticeRowProps) {
  // Room changes keep their own class (styles, tests); a timer change is a plain notice row.
  const className = notice.kind === 'timersChanged' ? 'message notice-row' : 'message notice-row room-notice';
  return (
    <li className={className} ref={ref} data-index={index} data-message-id={id}>
      {noticeText(notice)}
    </li>
  );
}
