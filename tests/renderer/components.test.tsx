// Pure renderer components in jsdom: message text stays text, timers show the right deadline,
// unavailable options are disabled with their honest reason, forms hand back what was typed.
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationView } from '../../common/engine';
import type { Settings } from '../../common/ipc';
import { Composer } from '../../renderer/components/Composer';
import { ConversationList, previewText } from '../../renderer/components/ConversationList';
import { MessageBubble } from '../../renderer/components/MessageBubble';
import { OnboardingForm } from '../../renderer/components/OnboardingForm';
import { SettingsPanel } from '../../renderer/components/SettingsPanel';
import { TimerBadge } from '../../renderer/components/TimerBadge';
import { NOW, messageView, noticeParty, noticePreview } from '../helpers/renderer/render';

afterEach(cleanup);

function conversation(overrides: Partial<ConversationView>): ConversationView {
  return {
    id: 'c',
    kind: 'direct',
    title: 't',
    members: [],
    defaultTimers: { expireAfterMs: null, burnAfterMs: null },
    lastMessageAt: null,
    unreadCount: 0,
    expiredUnreadCount: 0,
    left: false,
    ...overrides,
  };
}

describe('MessageBubble', () => {
  it('renders message text as text, never as markup', () => {
    const hostile = '<img src=x onerror="alert(1)"><b>bold</b><script>alert(2)</script>';
    const { container } = render(
      <ol>
        <MessageBubble message={messageView({ text: hostile })} now={NOW} />
      </ol>,
    );
    expect(container.querySelector('.text')?.textContent).toBe(hostile);
    expect(container.querySelector('img, b, script')).toBeNull();
  });

  it('names the sender of received messages only', () => {
    render(
      <ol>
        <MessageBubble message={messageView({ from: 'carol' })} now={NOW} />
        <MessageBubble
          message={messageView({ id: 'm2', from: 'me', outgoing: true, state: 'sent' })}
          now={NOW}
        />
      </ol>,
    );
    expect(screen.getAllByText('carol')).toHaveLength(1);
    expect(screen.queryByText('me')).toBeNull();
  });
});

describe('TimerBadge', () => {
  it('shows the earlier deadline: burn before expiry', () => {
    render(<TimerBadge expiresAt={NOW + 3_600_000} burnAt={NOW + 30_000} burnAfterMs={30_000} now={NOW} />);
    expect(screen.getByLabelText('burns in 30s')).toBeTruthy();
  });

  it('shows expiry when it comes first, and a waiting burn when unseen', () => {
    const { rerender } = render(
      <TimerBadge expiresAt={NOW + 90_000} burnAt={NOW + 3_600_000} burnAfterMs={3_600_000} now={NOW} />,
    );
    expect(screen.getByLabelText('expires in 1m 30s')).toBeTruthy();
    rerender(<TimerBadge expiresAt={null} burnAt={null} burnAfterMs={10_000} now={NOW} />);
    expect(screen.getByLabelText('burns 10 seconds after you read it')).toBeTruthy();
    rerender(<TimerBadge expiresAt={null} burnAt={null} burnAfterMs={null} now={NOW} />);
    expect(screen.queryByLabelText(/burns|expires/)).toBeNull();
  });
});

describe('OnboardingForm', () => {
  const keystores = [
    { kind: 'keychain' as const, available: false, reason: 'No OS keychain answered.' },
    { kind: 'passphrase' as const, available: true },
  ];

  function renderForm(onSubmit = vi.fn()) {
    render(
      <OnboardingForm
        keystores={keystores}
        defaultRelayUrl="ws://127.0.0.1:1/v1/ws"
        busy={false}
        onSubmit={onSubmit}
      />,
    );
  }

  it('disables an unusable keystore with its reason and picks the first usable one', () => {
    renderForm();
    const keychain = screen.getByRole('radio', { name: /OS keychain/ });
    expect((keychain as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/No OS keychain answered/)).toBeTruthy();
    expect(screen.getByRole<HTMLInputElement>('radio', { name: /passphrase/ }).checked).toBe(true);
  });

  it('submits username, relay and passphrase only when valid and the passphrases match', () => {
    const onSubmit = vi.fn();
    renderForm(onSubmit);
    const create = screen.getByRole<HTMLButtonElement>('button', { name: 'Create account' });
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: ' alice ' } });
    fireEvent.change(screen.getByLabelText('Passphrase'), { target: { value: 'long passphrase' } });
    fireEvent.change(screen.getByLabelText('Passphrase again'), { target: { value: 'long passphrasX' } });
    expect(create.disabled).toBe(true);
    expect(screen.getByRole('alert').textContent).toContain('differ');
    fireEvent.change(screen.getByLabelText('Passphrase again'), { target: { value: 'long passphrase' } });
    expect(create.disabled).toBe(false);
    fireEvent.click(create);
    expect(onSubmit).toHaveBeenCalledWith({
      username: 'alice',
      relayUrl: 'ws://127.0.0.1:1/v1/ws',
      keystore: 'passphrase',
      passphrase: 'long passphrase',
    });
  });

  it('holds back a username the relay would refuse (a dash, too short) and says what a username is', () => {
    renderForm();
    const create = screen.getByRole<HTMLButtonElement>('button', { name: 'Create account' });
    fireEvent.change(screen.getByLabelText('Passphrase'), { target: { value: 'long passphrase' } });
    fireEvent.change(screen.getByLabelText('Passphrase again'), { target: { value: 'long passphrase' } });
    for (const bad of ['ann-marie', 'al']) {
      fireEvent.change(screen.getByLabelText('Username'), { target: { value: bad } });
      expect(create.disabled, bad).toBe(true);
    }
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'ann_marie.k' } });
    expect(create.disabled).toBe(false);
    expect(screen.getByText(/3–32 letters, digits, dots or underscores/)).toBeTruthy();
  });

  it('asks for the passphrase only when it protects the key, and says it cannot be recovered', () => {
    render(
      <OnboardingForm
        keystores={[
          { kind: 'keychain', available: true },
          { kind: 'passphrase', available: true },
        ]}
        defaultRelayUrl="ws://127.0.0.1:1/v1/ws"
        busy={false}
        onSubmit={() => {}}
      />,
    );
    expect(screen.queryByLabelText('Passphrase')).toBeNull();
    fireEvent.click(screen.getByRole('radio', { name: 'A passphrase I type' }));
    expect(screen.getByLabelText('Passphrase')).toBeTruthy();
    expect(screen.getByText('There is no way to recover a forgotten passphrase.')).toBeTruthy();
  });
});

describe('SettingsPanel', () => {
  const settings: Settings = {
    theme: 'dark',
    contentProtection: true,
    defaultTimers: { expireAfterMs: null, burnAfterMs: null },
    autoLockMinutes: 15,
    notifications: 'new-message',
    proxyUrl: null,
    receipts: null,
  };

  it('says honestly that screen-capture protection is unavailable on Linux and disables it', () => {
    render(
      <SettingsPanel
        settings={settings}
        contentProtection={{
          available: false,
          reason: 'Screen-capture protection is not available on Linux.',
        }}
        busy={false}
        onChange={vi.fn()}
        onLock={vi.fn()}
      />,
    );
    const box = screen.getByRole<HTMLInputElement>('checkbox', { name: /screenshots/ });
    expect(box.disabled).toBe(true);
    expect(box.checked).toBe(false);
    expect(screen.getByText('Screen-capture protection is not available on Linux.')).toBeTruthy();
    expect(screen.getByText('Unlock Wisp to change receipts.')).toBeTruthy();
  });

  it('reports each change as a patch', () => {
    const onChange = vi.fn();
    render(
      <SettingsPanel
        settings={{ ...settings, receipts: { deliveryReceipts: true, readReceipts: true } }}
        contentProtection={{ available: true }}
        busy={false}
        onChange={onChange}
        onLock={vi.fn()}
      />,
    );
    fireEvent.change(screen.getByLabelText('Theme'), { target: { value: 'light' } });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Send read receipts' }));
    fireEvent.click(screen.getByRole('checkbox', { name: /screenshots/ }));
    fireEvent.change(screen.getByLabelText(/idle for/), { target: { value: 'never' } });
    expect(onChange.mock.calls).toEqual([
      [{ theme: 'light' }],
      [{ receipts: { readReceipts: false } }],
      [{ contentProtection: false }],
      [{ autoLockMinutes: null }],
    ]);
  });
});

describe('ConversationList', () => {
  it('lists newest activity first with unread counts, and selects by click', () => {
    const onSelect = vi.fn();
    render(
      <ConversationList
        conversations={[
          conversation({ id: 'a', title: 'old', lastMessageAt: 1 }),
          conversation({ id: 'b', title: 'new', lastMessageAt: 2, unreadCount: 3, expiredUnreadCount: 1 }),
        ]}
        previews={new Map()}
        now={NOW}
        selectedId="a"
        onSelect={onSelect}
      />,
    );
    const items = within(screen.getByRole('list', { name: 'Conversations' })).getAllByRole('button');
    expect(items.map((b) => b.querySelector('.title')?.textContent)).toEqual(['new', 'old']);
    expect(items[0]!.querySelector('.unread')?.textContent).toBe('3 unread');
    expect(screen.getByText('1 expired unread')).toBeTruthy();
    fireEvent.click(items[0]!);
    expect(onSelect).toHaveBeenCalledWith('b');
  });

  it('previews the last message, withholds an unread burn-on-read text, and shows the default timers', () => {
    const preview = (conversationId: string, text: string | null, outgoing = false) => ({
      conversationId,
      messageId: `m-${conversationId}`,
      outgoing,
      from: 'bob',
      sentAt: NOW - 1000,
      text,
      attachments: 0,
      notice: null,
    });
    render(
      <ConversationList
        conversations={[
          conversation({ id: 'a', title: 'alice', lastMessageAt: 2 }),
          conversation({
            id: 'b',
            title: 'bob',
            lastMessageAt: 1,
            defaultTimers: { expireAfterMs: 3_600_000, burnAfterMs: 300_000 },
          }),
        ]}
        previews={
          new Map([
            ['a', preview('a', 'see you at noon', true)],
            ['b', preview('b', null)],
          ])
        }
        now={NOW}
        selectedId={null}
        onSelect={vi.fn()}
      />,
    );
    const [alice, bob] = within(screen.getByRole('list', { name: 'Conversations' })).getAllByRole('button');
    expect(alice!.querySelector('.preview')?.textContent).toBe('You: see you at noon');
    expect(bob!.querySelector('.preview')?.textContent).toBe('Burn-on-read message — open to read');
    expect(bob!.textContent).toContain('expires after 1h');
    expect(bob!.textContent).toContain('burns after 5m');
    expect(alice!.querySelector('.default-timer')).toBeNull();
  });

  it('previews a notice as its own sentence: no "You:" before it, never a raw account id', () => {
    const carol = '33333333-3333-4333-8333-333333333333';
    const me = noticeParty('11111111-1111-4111-8111-111111111111', { username: 'me', isSelf: true });
    const bob = noticeParty('22222222-2222-4222-8222-222222222222', { username: 'bob' });
    expect(previewText(noticePreview({ kind: 'renamed', actor: me, name: 'club' }))).toBe(
      'You renamed the room to club',
    );
    expect(
      previewText(noticePreview({ kind: 'left', actor: noticeParty(carol, { nameHint: 'carol' }) })),
    ).toBe('An unknown member (says “carol”) left');
    expect(previewText(noticePreview({ kind: 'memberRemoved', actor: bob, subject: me }))).toBe(
      'bob removed you',
    );
  });
});

describe('Composer', () => {
  it('refuses a burn timer longer than the expiry, and sends text with both timers on Enter', () => {
    const onSend = vi.fn();
    render(
      <Composer initialTimers={{ expireAfterMs: 60_000, burnAfterMs: null }} busy={false} onSend={onSend} />,
    );
    const box = screen.getByLabelText<HTMLTextAreaElement>('Message');
    fireEvent.change(box, { target: { value: 'secret plan' } });
    fireEvent.change(screen.getByLabelText('Burn after reading'), { target: { value: String(3_600_000) } });
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send' }).disabled).toBe(true);
    expect(screen.getByText(/never be longer than expiration/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Burn after reading'), { target: { value: String(10_000) } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('secret plan', { expireAfterMs: 60_000, burnAfterMs: 10_000 });
    expect(box.value).toBe('');
  });
});
