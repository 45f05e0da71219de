// The room screens in jsdom: who sees which control in the members panel (admins manage, everyone
// may leave, nobody removes themselves, the last admin cannot step down), sender colours (stable per
// account, readable in both themes on the incoming bubble), room notices and names as text,
// and the member picker and New room dialog handing back exactly what was chosen.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ContactView, ConversationView } from '../../common/engine';
import type { RoomMemberView } from '../../common/ipc';
import { MessageBubble } from '../../renderer/components/MessageBubble';
import { RoomConversationView } from '../../renderer/components/RoomConversationView';
import { RoomCreateDialog } from '../../renderer/components/RoomCreateDialog';
import { RoomMembersPanel, roomPermissions } from '../../renderer/components/RoomMembersPanel';
import { RoomSenderColours } from '../../renderer/components/RoomSenderName';
import {
  INCOMING_BUBBLE,
  assignSenderColours,
  SENDER_COLOURS,
  contrastRatio,
  senderColour,
  senderColourIndex,
} from '../../renderer/lib/senderColours';
import { NOW, messageView, noticeMessage, noticeParty } from '../helpers/renderer/render';

afterEach(cleanup);

const ids = {
  me: '11111111-1111-4111-8111-111111111111',
  bob: '22222222-2222-4222-8222-222222222222',
  carol: '33333333-3333-4333-8333-333333333333',
};

function room(overrides: Partial<ConversationView> = {}): ConversationView {
  return {
    id: 'r1',
    kind: 'room',
    title: 'club',
    members: ['bob', 'carol'],
    defaultTimers: { expireAfterMs: null, burnAfterMs: null },
    lastMessageAt: null,
    unreadCount: 0,
    expiredUnreadCount: 0,
    left: false,
    admins: ['me'],
    isAdmin: true,
    ...overrides,
  };
}

function member(name: keyof typeof ids, overrides: Partial<RoomMemberView> = {}): RoomMemberView {
  return {
    accountId: ids[name],
    username: name === 'me' ? 'me' : name,
    nameHint: null,
    role: 'member',
    self: name === 'me',
    ...overrides,
  };
}

function contact(username: string | null, accountId: string, nameHint: string | null = null): ContactView {
  return { accountId, username, verified: false, identityChanged: false, nameHint, addedAt: NOW };
}

function panel(r: ConversationView, members: RoomMemberView[], contacts: ContactView[] = []) {
  const handlers = {
    onRename: vi.fn(),
    onSetTimers: vi.fn(),
    onAdd: vi.fn(),
    onRemove: vi.fn(),
    onPromote: vi.fn(),
    onDemote: vi.fn(),
    onLeave: vi.fn(),
    onClose: vi.fn(),
  };
  render(
    <RoomMembersPanel
      room={r}
      members={members}
      contacts={contacts}
      busy={false}
      error={null}
      {...handlers}
    />,
  );
  return handlers;
}

describe('RoomMembersPanel role rules', () => {
  it('gives an admin rename, room timers, add, and remove/promote for others, never removing themselves', () => {
    const h = panel(
      room(),
      [member('me', { role: 'admin' }), member('bob'), member('carol')],
      [contact('dave', '44444444-4444-4444-8444-444444444444'), contact('bob', ids.bob)],
    );
    expect(screen.getByLabelText('Room name')).toBeTruthy();
    expect(screen.getByLabelText('Room messages expire')).toBeTruthy();
    expect(screen.getByLabelText('Room messages burn after reading')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Remove bob from the room' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Make admin: carol' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Remove You/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Make admin: You' })).toBeNull();
    // The add picker offers contacts not in the room only.
    const picker = screen.getByRole('list', { name: 'Contacts' });
    expect(within(picker).getByLabelText('dave')).toBeTruthy();
    expect(within(picker).queryByLabelText('bob')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Remove bob from the room' }));
    expect(h.onRemove).toHaveBeenCalledWith(expect.objectContaining({ accountId: ids.bob }));
    fireEvent.click(screen.getByRole('button', { name: 'Make admin: carol' }));
    expect(h.onPromote).toHaveBeenCalledWith(expect.objectContaining({ accountId: ids.carol }));
    fireEvent.change(screen.getByLabelText('Room messages expire'), { target: { value: '3600000' } });
    expect(h.onSetTimers).toHaveBeenCalledWith({ expireAfterMs: 3_600_000, burnAfterMs: null });
  });

  it('keeps the only admin from stepping down, and lets one of two admins do so', () => {
    panel(room(), [member('me', { role: 'admin' }), member('bob')]);
    expect(screen.queryByRole('button', { name: /Step down|Remove admin/ })).toBeNull();
    cleanup();
    const h = panel(room(), [member('me', { role: 'admin' }), member('bob', { role: 'admin' })]);
    fireEvent.click(screen.getByRole('button', { name: 'Step down as admin' }));
    expect(h.onDemote).toHaveBeenCalledWith(expect.objectContaining({ self: true }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove admin: bob' }));
    expect(h.onDemote).toHaveBeenLastCalledWith(expect.objectContaining({ accountId: ids.bob }));
  });

  it('shows a member who is not an admin the list and Leave, and no admin control at all', () => {
    const h = panel(room({ isAdmin: false, admins: ['bob'] }), [
      member('me'),
      member('bob', { role: 'admin' }),
      member('carol'),
    ]);
    expect(screen.getAllByRole('listitem')).toHaveLength(3);
    expect(screen.queryByLabelText('Room name')).toBeNull();
    expect(screen.queryByLabelText(/Room messages/)).toBeNull();
    expect(screen.queryByRole('button', { name: /Remove|admin|Add|Rename/ })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Leave room' }));
    expect(h.onLeave).toHaveBeenCalledTimes(1);
  });

  it('offers nothing but the list once we left, even if we had been an admin', () => {
    expect(roomPermissions(room({ left: true }))).toEqual({
      manage: false,
      remove: false,
      promote: false,
      demote: false,
      leave: false,
    });
    panel(room({ left: true }), [member('bob', { role: 'admin' })]);
    expect(screen.queryByRole('button', { name: /Leave|Remove|admin|Rename/ })).toBeNull();
    expect(screen.getByText(/You left this room/)).toBeTruthy();
  });

  it('shows a name only another member vouched for as an unconfirmed hint, as text', () => {
    panel(room(), [
      member('me', { role: 'admin' }),
      member('bob', { username: null, nameHint: '<img src=x onerror=alert(1)>' }),
    ]);
    const row = screen.getAllByRole('listitem')[1]!;
    expect(row.textContent).toContain('Unknown member (says “<img src=x onerror=alert(1)>”, unconfirmed)');
    expect(row.querySelector('img')).toBeNull();
    expect(screen.getByRole('button', { name: 'Remove Unknown member from the room' })).toBeTruthy();
  });
});

describe('sender colours', () => {
  it('keeps every palette colour at 4.5:1 or more against the incoming bubble in both themes', () => {
    // The real page is checked too: axe's color-contrast rule and the computed colours in rooms.spec.ts.
    const { dark, light } = INCOMING_BUBBLE;
    for (const c of SENDER_COLOURS) {
      expect(contrastRatio(c.dark, dark), c.dark).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(c.light, light), c.light).toBeGreaterThanOrEqual(4.5);
    }
    // The ratio itself is right: black on white is 21:1, a colour on itself 1:1.
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio(dark, dark)).toBe(1);
  });

  it('picks the same colour for an account every time, and spreads accounts over the whole palette', () => {
    // Fixed values: a change of the hash would recolour every sender on every device.
    expect([senderColourIndex(ids.bob), senderColourIndex(ids.carol)]).toEqual([1, 3]);
    const used = new Set<number>();
    for (let i = 0; i < 200; i++)
      used.add(senderColourIndex(`${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`));
    expect(used.size).toBe(SENDER_COLOURS.length);
    // Palette entries are distinct from each other in each theme.
    expect(new Set(SENDER_COLOURS.map((c) => c.dark)).size).toBe(SENDER_COLOURS.length);
    expect(new Set(SENDER_COLOURS.map((c) => c.light)).size).toBe(SENDER_COLOURS.length);
  });

  it('gives the members of one room distinct colours, the same whatever order they come in', () => {
    // Ids whose own colour is the same: without the room's assignment they would look alike.
    const pool = Array.from(
      { length: 400 },
      (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-0000000000aa`,
    );
    const clash = pool.filter((id) => senderColourIndex(id) === senderColourIndex(pool[0]!)).slice(0, 3);
    expect(clash).toHaveLength(3);
    const members = [...clash, ...pool.slice(100, 105)];
    const assigned = assignSenderColours(members);
    expect(new Set(members.map((id) => assigned.get(id))).size).toBe(8);
    expect(assignSenderColours([...members].reverse())).toEqual(assigned);
    // A member without a clash keeps the colour its id picks.
    const alone = pool.find((id) => !members.some((m) => senderColourIndex(m) === senderColourIndex(id)));
    if (alone !== undefined)
      expect(assignSenderColours([alone, ...clash]).get(alone)).toBe(senderColourIndex(alone));
    // More members than colours: every one still gets a colour of the palette.
    const crowd = assignSenderColours(pool.slice(0, 20));
    expect([...crowd.values()].every((i) => i >= 0 && i < SENDER_COLOURS.length)).toBe(true);
  });

  it('colours a sender from the room’s assignment, and from the account id once they left the room', () => {
    const assigned = new Map([[ids.bob, 6]]);
    render(
      <RoomSenderColours colours={assigned}>
        <ol>
          <MessageBubble message={messageView({ from: 'bob', fromAccountId: ids.bob })} now={NOW} />
          <MessageBubble
            message={messageView({ id: 'm2', from: 'carol', fromAccountId: ids.carol })}
            now={NOW}
          />
        </ol>
      </RoomSenderColours>,
    );
    expect(screen.getByText('bob').style.getPropertyValue('--sender-dark')).toBe(SENDER_COLOURS[6]!.dark);
    expect(screen.getByText('carol').style.getPropertyValue('--sender-light')).toBe(
      senderColour(ids.carol).light,
    );
  });

  it('colours the sender name of an incoming room message from the account id, not the name', () => {
    render(
      <ol>
        <MessageBubble message={messageView({ from: 'bob', fromAccountId: ids.bob })} now={NOW} />
        <MessageBubble message={messageView({ id: 'm2', from: 'bob', fromAccountId: ids.carol })} now={NOW} />
      </ol>,
    );
    const [first, second] = screen.getAllByText('bob');
    expect(first!.style.getPropertyValue('--sender-dark')).toBe(senderColour(ids.bob).dark);
    expect(first!.style.getPropertyValue('--sender-light')).toBe(senderColour(ids.bob).light);
    expect(second!.style.getPropertyValue('--sender-dark')).toBe(senderColour(ids.carol).dark);
  });
});

describe('room notices', () => {
  const me = noticeParty(ids.me, { username: 'me', isSelf: true });
  const bob = noticeParty(ids.bob, { username: 'bob' });
  it('render as a centred row of text, our own as “You …”, with no bubble controls', () => {
    const hostile = '<script>alert(1)</script>';
    const { container } = render(
      <ol>
        <MessageBubble
          message={noticeMessage({ kind: 'renamed', actor: bob, name: hostile })}
          now={NOW}
          renderActions={() => <button type="button">Delete</button>}
        />
        <MessageBubble
          message={noticeMessage(
            { kind: 'memberRemoved', actor: me, subject: noticeParty(ids.carol, { username: 'carol' }) },
            { id: 'm2' },
          )}
          now={NOW}
        />
      </ol>,
    );
    const rows = container.querySelectorAll('li.room-notice');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toBe(`bob renamed the room to ${hostile}`);
    expect(container.querySelector('script')).toBeNull();
    expect(rows[1]!.textContent).toBe('You removed carol');
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });
});

describe('members without a confirmed name', () => {
  const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
  const me = noticeParty(ids.me, { username: 'me', isSelf: true });
  const bob = noticeParty(ids.bob, { username: 'bob' });
  // What the engine sends for accounts it holds no username of: the id, and a hint or none.
  const notices = [
    noticeMessage(
      { kind: 'memberAdded', actor: bob, subject: noticeParty(ids.carol, { nameHint: 'carol <b>x</b>' }) },
      { id: 'n1' },
    ),
    noticeMessage({ kind: 'left', actor: noticeParty(ids.carol, { nameHint: 'carol' }) }, { id: 'n2' }),
    noticeMessage({ kind: 'memberRemoved', actor: noticeParty(ids.bob), subject: me }, { id: 'n3' }),
    noticeMessage({ kind: 'promoted', actor: bob, subject: me }, { id: 'n4' }),
    noticeMessage({ kind: 'renamed', actor: bob, name: ids.carol }, { id: 'n5' }),
  ];

  it('name them “an unknown member” (with the name others gave) in notices, and us “you”, never by account id', () => {
    const { container } = render(
      <RoomSenderColours colours={new Map()}>
        <ol>
          {notices.map((m) => (
            <MessageBubble key={m.id} message={m} now={NOW} />
          ))}
        </ol>
      </RoomSenderColours>,
    );
    const rows = [...container.querySelectorAll('li.room-notice')].map((r) => r.textContent);
    expect(rows).toEqual([
      'bob added an unknown member (says “carol <b>x</b>”)',
      'An unknown member (says “carol”) left',
      'An unknown member removed you',
      'bob made you an admin',
      // A room's name is what an admin typed: kept as it is, whatever it looks like.
      `bob renamed the room to ${ids.carol}`,
    ]);
    expect(rows.slice(0, 4).some((t) => UUID.test(t ?? ''))).toBe(false);
    expect(container.querySelector('b')).toBeNull();
  });

  it('show a sender without a confirmed name as “Unknown member”, with their claim apart', () => {
    render(
      <ol>
        <MessageBubble
          message={messageView({ from: ids.carol, fromAccountId: ids.carol, fromNameHint: 'carol' })}
          now={NOW}
          showSender
        />
      </ol>,
    );
    const sender = document.querySelector('.sender')!;
    expect(sender.textContent).toBe('Unknown member (says “carol”, unconfirmed)');
    expect(UUID.test(sender.textContent ?? '')).toBe(false);
  });
});

describe('a room we are no longer in', () => {
  const base = {
    title: 'club',
    messages: [messageView({ text: 'earlier' })],
    burning: new Set<string>(),
    expiredUnread: 0,
    now: NOW,
    defaultTimers: { expireAfterMs: null, burnAfterMs: null },
    sending: false,
    error: null,
    renderAttachments: () => null,
  };
  const people = { colours: new Map<string, number>() };

  it('shows why nothing can be sent where the composer was, and no composer or attach control', () => {
    const onSend = vi.fn();
    render(<RoomConversationView {...base} onSend={onSend} room={{ people, left: true }} />);
    expect(screen.getByRole('status').textContent).toContain('You’re no longer a member of this room,');
    expect(screen.queryByLabelText('Message', { exact: true })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Attach a file' })).toBeNull();
  });

  it('keeps the composer while we are a member', () => {
    render(<RoomConversationView {...base} onSend={() => {}} room={{ people, left: false }} />);
    expect(screen.getByLabelText('Message', { exact: true })).toBeTruthy();
    expect(screen.queryByText(/no longer a member/)).toBeNull();
  });
});

describe('RoomCreateDialog', () => {
  it('creates only with a name and a member, handing back the trimmed name and the chosen people', () => {
    const onCreate = vi.fn();
    render(
      <RoomCreateDialog
        contacts={[contact('bob', ids.bob), contact('carol', ids.carol)]}
        busy={false}
        error={null}
        onCreate={onCreate}
        onCancel={() => undefined}
      />,
    );
    const create = screen.getByRole<HTMLButtonElement>('button', { name: 'Create room' });
    expect(create.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Room name'), { target: { value: '  Trip  ' } });
    expect(create.disabled).toBe(true);
    fireEvent.click(screen.getByLabelText('bob'));
    const typed = screen.getByLabelText('Add by username');
    // Enter adds the typed name; it does not submit the half-filled form.
    fireEvent.change(typed, { target: { value: 'dave_01' } });
    fireEvent.keyDown(typed, { key: 'Enter' });
    expect(onCreate).not.toHaveBeenCalled();
    // A name already chosen, or not a valid username, cannot be added.
    fireEvent.change(typed, { target: { value: 'BOB' } });
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Add' }).disabled).toBe(true);
    fireEvent.change(typed, { target: { value: 'no spaces' } });
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Add' }).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Remove dave_01' }));
    fireEvent.change(typed, { target: { value: 'erin' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    fireEvent.click(create);
    expect(onCreate).toHaveBeenCalledWith('Trip', ['bob', 'erin']);
  });
});
