// The quick switcher driven by keyboard (combobox/listbox roles, arrows wrap, Enter opens, Escape
// closes, a username offered for lookup when nothing matches), People's confirmed names vs hints,
// and the Account screen's forms (what each button sends, and what it refuses to send).
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ContactView, ConversationView } from '../../common/engine';
import type { AccountInfo } from '../../common/ipc';
import { AccountPanel, type AccountPanelProps } from '../../renderer/components/AccountPanel';
import { PeopleView } from '../../renderer/components/PeopleView';
import {
  QuickSwitcher,
  filterSwitcher,
  switcherItems,
  type SwitcherItem,
} from '../../renderer/components/QuickSwitcher';

afterEach(cleanup);

const ITEMS: SwitcherItem[] = [
  { id: 'c1', kind: 'conversation', label: 'bob' },
  { id: 'r1', kind: 'room', label: 'Book club', detail: 'Room' },
  { id: 'c2', kind: 'conversation', label: 'robert' },
  { id: 'k1', kind: 'contact', label: 'dana', detail: 'Contact, no conversation yet' },
];

function contact(overrides: Partial<ContactView>): ContactView {
  return {
    accountId: '00000000-0000-4000-8000-000000000001',
    username: null,
    verified: false,
    identityChanged: false,
    nameHint: null,
    addedAt: 0,
    ...overrides,
  };
}

describe('QuickSwitcher', () => {
  function open() {
    const onChoose = vi.fn();
    const onClose = vi.fn();
    render(<QuickSwitcher items={ITEMS} onChoose={onChoose} onClose={onClose} />);
    const box = screen.getByRole('combobox', { name: 'Find a conversation or contact' });
    return { onChoose, onClose, box };
  }

  it('is a modal dialog whose focused combobox controls a listbox of options', () => {
    const { box } = open();
    expect(screen.getByRole('dialog', { name: 'Quick switcher' }).getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(box);
    const list = screen.getByRole('listbox', { name: 'Conversations and contacts' });
    expect(box.getAttribute('aria-controls')).toBe(list.id);
    expect(within(list).getAllByRole('option')).toHaveLength(4);
    expect(box.getAttribute('aria-activedescendant')).toBe(within(list).getAllByRole('option')[0]!.id);
  });

  it('filters by name as you type, names starting with the text first', () => {
    const { box } = open();
    fireEvent.change(box, { target: { value: 'b' } });
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([
      'bob',
      'Book clubRoom',
      'robert',
    ]);
  });

  it('moves with the arrow keys (wrapping), opens the active option with Enter', () => {
    const { box, onChoose } = open();
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    let options = screen.getAllByRole('option');
    expect(options[2]!.getAttribute('aria-selected')).toBe('true');
    expect(box.getAttribute('aria-activedescendant')).toBe(options[2]!.id);
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    options = screen.getAllByRole('option');
    expect(options[3]!.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onChoose).toHaveBeenCalledWith(ITEMS[3]);
  });

  it('closes with Escape without choosing anything', () => {
    const { box, onChoose, onClose } = open();
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(onChoose).not.toHaveBeenCalled();
  });

  it('offers to look up a typed username when nothing matches, and explains a text that cannot be one', () => {
    expect(filterSwitcher(ITEMS, 'zoe_1')).toEqual([
      expect.objectContaining({ kind: 'lookup', id: 'zoe_1', label: 'zoe_1' }),
    ]);
    const { box, onChoose } = open();
    fireEvent.change(box, { target: { value: 'no such name!' } });
    expect(screen.queryAllByRole('option')).toHaveLength(0);
    expect(screen.getByRole('status').textContent).toContain('Nothing matches');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onChoose).not.toHaveBeenCalled();
  });

  it('lists conversations by activity, then contacts without one, and never a contact twice', () => {
    const conversations = [
      { id: 'a', kind: 'direct', title: 'amy', lastMessageAt: 1 },
      { id: 'r', kind: 'room', title: 'Team', lastMessageAt: 5 },
    ] as ConversationView[];
    const contacts = [
      contact({ accountId: 'a', username: 'amy', verified: true }),
      contact({ accountId: 'b', nameHint: 'Bea' }),
    ];
    expect(switcherItems(conversations, contacts)).toEqual([
      { id: 'r', kind: 'room', label: 'Team', detail: 'Room' },
      { id: 'a', kind: 'conversation', label: 'amy', verified: true },
      { id: 'b', kind: 'contact', label: 'Bea', detail: 'Unconfirmed name, no conversation yet' },
    ]);
  });
});

describe('PeopleView', () => {
  it('tells a confirmed username from a name someone else supplied, and shows the badges', () => {
    render(
      <PeopleView
        contacts={[
          contact({ accountId: 'x1', username: 'carol', verified: true }),
          contact({ accountId: 'x2', nameHint: 'Mallory the CEO' }),
          contact({ accountId: 'x3', username: 'dave', identityChanged: true }),
        ]}
        busy={false}
        lookupError={null}
        formKey={0}
        onStart={vi.fn()}
        onMessage={vi.fn()}
        onSafetyNumber={vi.fn()}
        safetyFor={null}
      />,
    );
    const rows = within(screen.getByRole('list', { name: 'Contacts' })).getAllByRole('listitem');
    expect(rows.map((r) => r.querySelector('.name')!.textContent)).toEqual([
      'carol',
      'dave',
      'Mallory the CEO',
    ]);
    expect(rows[0]!.textContent).toContain('Verified');
    expect(rows[1]!.textContent).toContain('Safety number changed');
    expect(rows[1]!.textContent).not.toContain('Verified');
    expect(rows[2]!.textContent).toContain('Name given by someone else, not confirmed');
    expect(
      within(rows[2]!).getByRole<HTMLButtonElement>('button', { name: 'Message Mallory the CEO' }).disabled,
    ).toBe(false);
  });

  it('teaches how people become contacts when there are none', () => {
    render(
      <PeopleView
        contacts={[]}
        busy={false}
        lookupError={null}
        formKey={0}
        onStart={vi.fn()}
        onMessage={vi.fn()}
        onSafetyNumber={vi.fn()}
        safetyFor={null}
      />,
    );
    expect(screen.getByText(/becomes a contact when you look them up/)).toBeTruthy();
  });
});

describe('AccountPanel', () => {
  const INFO: AccountInfo = {
    accountId: '00000000-0000-4000-8000-000000000009',
    username: 'alice',
    relayUrl: 'wss://relay.example',
    safetyDigits: '123451234512345123451234512345',
    keystore: 'passphrase',
  };
  function renderPanel(overrides: Partial<AccountPanelProps> = {}) {
    const props: AccountPanelProps = {
      info: INFO,
      busy: null,
      errors: {},
      done: {},
      onSetUsername: vi.fn(),
      onChangePassphrase: vi.fn(),
      onDelete: vi.fn(),
      ...overrides,
    };
    render(<AccountPanel {...props} />);
    return props;
  }

  it('shows the relay in use and our 30 safety digits in six groups', () => {
    renderPanel();
    expect(screen.getByText('wss://relay.example')).toBeTruthy();
    const groups = screen.getByLabelText('Your safety number digits').querySelectorAll('span');
    expect(groups).toHaveLength(6);
  });

  it('changes and releases the username, and shows a UsernameTaken error at the field', () => {
    const props = renderPanel({
      errors: { username: { message: 'that username is taken', recovery: 'Pick another username.' } },
    });
    const field = screen.getByRole('textbox', { name: 'Your username' });
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('alert').textContent).toContain('that username is taken');
    const change = screen.getByRole('button', { name: 'Change username' });
    expect((change as HTMLButtonElement).disabled).toBe(true); // unchanged
    fireEvent.change(field, { target: { value: 'alicia' } });
    fireEvent.click(change);
    expect(props.onSetUsername).toHaveBeenCalledWith('alicia');
    fireEvent.click(screen.getByRole('button', { name: 'Release username' }));
    expect(props.onSetUsername).toHaveBeenCalledWith(null);
  });

  it('sends a passphrase change only with the current one and two matching new ones', () => {
    const props = renderPanel();
    const submit = screen.getByRole('button', { name: 'Change passphrase' });
    fireEvent.change(screen.getByLabelText('New passphrase'), { target: { value: 'new passphrase' } });
    fireEvent.change(screen.getByLabelText('New passphrase again'), { target: { value: 'new passphrasX' } });
    expect(screen.getByText('The two passphrases differ.')).toBeTruthy();
    expect((submit as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('New passphrase again'), { target: { value: 'new passphrase' } });
    expect((submit as HTMLButtonElement).disabled).toBe(true); // no current passphrase yet
    fireEvent.change(screen.getByLabelText('Current passphrase'), { target: { value: 'old one' } });
    fireEvent.click(submit);
    expect(props.onChangePassphrase).toHaveBeenCalledWith({ current: 'old one', next: 'new passphrase' });
  });

  it('offers a keychain profile to set a passphrase without asking for a current one', () => {
    const props = renderPanel({ info: { ...INFO, keystore: 'keychain' } });
    expect(screen.queryByLabelText('Current passphrase')).toBeNull();
    fireEvent.change(screen.getByLabelText('New passphrase'), { target: { value: 'first passphrase' } });
    fireEvent.change(screen.getByLabelText('New passphrase again'), {
      target: { value: 'first passphrase' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Set passphrase' }));
    expect(props.onChangePassphrase).toHaveBeenCalledWith({ next: 'first passphrase' });
  });

  it('deletes only after the username is typed exactly', () => {
    const props = renderPanel();
    const remove = screen.getByRole('button', { name: 'Delete account and wipe this device' });
    const confirm = screen.getByRole('textbox', { name: /to confirm/ });
    fireEvent.change(confirm, { target: { value: 'Alice' } });
    expect((remove as HTMLButtonElement).disabled).toBe(true);
    fireEvent.submit(remove.closest('form')!);
    expect(props.onDelete).not.toHaveBeenCalled();
    fireEvent.change(confirm, { target: { value: 'alice' } });
    fireEvent.click(remove);
    expect(props.onDelete).toHaveBeenCalledWith('alice');
  });
});
