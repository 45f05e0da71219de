// Notices render from the engine's structured value, never by re-reading its text: the notice row
// in the message list and the conversation list's preview word the same Notice the same way, name
// us "you", someone unconfirmed "an unknown member (says …)", never an account id, and keep a
// hostile name or room name as inert text in both.
import { cleanup, render, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationView, Notice } from '../../common/engine';
import { ConversationList } from '../../renderer/components/ConversationList';
import { MessageBubble } from '../../renderer/components/MessageBubble';
import { NOW, noticeMessage, noticeParty, noticePreview } from '../helpers/renderer/render';

afterEach(cleanup);

const ids = {
  me: '11111111-1111-4111-8111-111111111111',
  bob: '22222222-2222-4222-8222-222222222222',
  carol: '33333333-3333-4333-8333-333333333333',
};
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const me = noticeParty(ids.me, { username: 'me', isSelf: true });
const bob = noticeParty(ids.bob, { username: 'bob' });
const carolHinted = noticeParty(ids.carol, { nameHint: 'carol' });
const unknown = noticeParty(ids.carol);

function room(id: string): ConversationView {
  return {
    id,
    kind: 'room',
    title: 'club',
    members: ['bob'],
    defaultTimers: { expireAfterMs: null, burnAfterMs: null },
    lastMessageAt: NOW,
    unreadCount: 0,
    expiredUnreadCount: 0,
    left: false,
  };
}

/**
 * The notice row's text and the list preview's text for one Notice. Both views carry a decoy in
 * `text`, so a renderer that read the engine's sentence instead of the structure would show it.
 */
function rowAndPreview(notice: Notice): { row: HTMLElement; preview: HTMLElement; container: HTMLElement } {
  const { container } = render(
    <>
      <ol>
        <MessageBubble message={noticeMessage(notice, { text: 'DECOY row text' })} now={NOW} />
      </ol>
      <ConversationList
        conversations={[room('r1')]}
        previews={new Map([['r1', { ...noticePreview(notice, 'r1'), text: 'DECOY preview text' }]])}
        selectedId={null}
        onSelect={() => undefined}
        now={NOW}
      />
    </>,
  );
  const row = container.querySelector<HTMLElement>('li.notice-row')!;
  const list = within(container).getByRole('list', { name: 'Conversations' });
  const preview = list.querySelector<HTMLElement>('.preview')!;
  return { row, preview, container };
}

describe('a notice, in its row and in the list preview', () => {
  const cases: [string, Notice, string][] = [
    ['created', { kind: 'created', actor: bob }, 'bob created the room'],
    ['added us', { kind: 'memberAdded', actor: bob, subject: me }, 'bob added you'],
    ['we added', { kind: 'memberAdded', actor: me, subject: bob }, 'You added bob'],
    [
      'removed',
      { kind: 'memberRemoved', actor: bob, subject: carolHinted },
      'bob removed an unknown member (says “carol”)',
    ],
    ['we left', { kind: 'left', actor: me }, 'You left'],
    ['unknown left', { kind: 'left', actor: unknown }, 'An unknown member left'],
    ['promoted', { kind: 'promoted', actor: me, subject: bob }, 'You made bob an admin'],
    ['demoted', { kind: 'demoted', actor: bob, subject: me }, 'bob removed you as an admin'],
    ['stepped down', { kind: 'demoted', actor: bob, subject: bob }, 'bob stepped down as an admin'],
    [
      'renamed',
      { kind: 'renamed', actor: carolHinted, name: 'book club' },
      'An unknown member (says “carol”) renamed the room to book club',
    ],
    [
      'timers set',
      { kind: 'timersChanged', actor: bob, timers: { expireAfterMs: 3_600_000, burnAfterMs: 60_000 } },
      'bob set disappearing messages: messages expire after 1 h, burn 1 min after reading',
    ],
    [
      'timers off',
      { kind: 'timersChanged', actor: me, timers: { expireAfterMs: null, burnAfterMs: null } },
      'You turned off disappearing messages',
    ],
    ['an unworded change', { kind: 'roomChanged', actor: bob }, 'bob changed the room'],
  ];

  it.each(cases)(
    '%s: both read the same sentence, from the structure, never an account id',
    (_, notice, text) => {
      const { row, preview } = rowAndPreview(notice);
      expect(row.textContent).toBe(text);
      expect(preview.textContent).toBe(text);
      expect(UUID.test(row.textContent ?? '')).toBe(false);
      expect(UUID.test(preview.textContent ?? '')).toBe(false);
    },
  );

  it('a room change is a room-notice row, a timer change a plain notice row; neither is a bubble', () => {
    const { row } = rowAndPreview({ kind: 'left', actor: bob });
    expect(row.className).toBe('message notice-row room-notice');
    cleanup();
    const timers = rowAndPreview({
      kind: 'timersChanged',
      actor: bob,
      timers: { expireAfterMs: 60_000, burnAfterMs: null },
    }).row;
    expect(timers.className).toBe('message notice-row');
    expect(timers.querySelector('.text, .timer-badge, .sender')).toBeNull();
  });

  it('keeps a hostile name, hint and room name as inert text in the row and the preview', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const notices: Notice[] = [
      {
        kind: 'memberAdded',
        actor: noticeParty(ids.bob, { nameHint: hostile }),
        subject: noticeParty(ids.carol, { username: hostile }),
      },
      { kind: 'renamed', actor: bob, name: hostile },
    ];
    for (const notice of notices) {
      const { row, preview, container } = rowAndPreview(notice);
      expect(row.textContent).toContain(hostile);
      expect(preview.textContent).toContain(hostile);
      expect(container.querySelector('img')).toBeNull();
      cleanup();
    }
    const { row } = rowAndPreview(notices[0]!);
    expect(row.textContent).toBe(`An unknown member (says “${hostile}”) added ${hostile}`);
  });
});
