// Behaviour added in the UI review: a failed lookup keeps the typed name and explains itself under
// the field, errors carry app-worded recoveries (not CLI flags), and the message list follows new
// messages only while the reader is at the bottom.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WispError } from '../../common/errors';
import type { MessageView } from '../../common/engine';
import { ConversationView } from '../../renderer/components/ConversationView';
import { MessageBubble } from '../../renderer/components/MessageBubble';
import { NewConversationForm } from '../../renderer/components/NewConversationForm';
import { SafetyNumberPanel } from '../../renderer/components/SafetyNumberPanel';
import { formatTime } from '../../renderer/lib/format';
import { asUiError } from '../../renderer/lib/uiError';
import { NOW, messageView } from '../helpers/renderer/render';

afterEach(cleanup);

/** A received message with its own id and a text naming it. */
function message(id: string, overrides: Partial<MessageView> = {}): MessageView {
  return messageView({ id, text: `text ${id}`, ...overrides });
}

describe('NewConversationForm', () => {
  it('keeps the typed name and shows the lookup error under the field, tied by aria-describedby', () => {
    const onStart = vi.fn();
    const { rerender } = render(<NewConversationForm busy={false} onStart={onStart} />);
    const input = screen.getByRole('textbox', { name: 'Username to message' });
    fireEvent.change(input, { target: { value: 'nosuchuser' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(onStart).toHaveBeenCalledWith('nosuchuser');
    expect((input as HTMLInputElement).value).toBe('nosuchuser');
    expect(input.getAttribute('aria-invalid')).toBeNull();

    rerender(
      <NewConversationForm
        busy={false}
        error={{ message: 'no account has that username' }}
        onStart={onStart}
      />,
    );
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const described = document.getElementById(input.getAttribute('aria-describedby')!);
    expect(described?.textContent).toContain('no account has that username');
    expect(screen.getByRole('alert').textContent).toContain('no account has that username');
  });
});

describe('asUiError', () => {
  it('replaces the CLI recovery of a wrong passphrase with words for the app', () => {
    const ui = asUiError(
      new WispError('WrongPassphrase', 'the passphrase does not unlock this profile', {
        recovery: 'Check WISP_PASSPHRASE and try again.',
      }),
    );
    expect(ui.message).toBe('the passphrase does not unlock this profile');
    expect(ui.recovery).not.toContain('WISP_PASSPHRASE');
    expect(ui.recovery).toMatch(/passphrase/i);
  });

  it('keeps the engine recovery for kinds without app wording, and gives unknown errors a next step', () => {
    expect(
      asUiError(new WispError('BackupCorrupt', 'bad file', { recovery: 'Use another backup.' })),
    ).toEqual({
      message: 'bad file',
      recovery: 'Use another backup.',
    });
    expect(asUiError(new Error('boom')).recovery).toMatch(/try again/i);
  });
});

describe('MessageBubble sender', () => {
  it('names the sender in rooms and leaves it out where the title already says who it is', () => {
    const { rerender } = render(<MessageBubble message={message('a', { from: 'carol' })} now={NOW} />);
    expect(screen.getByText('carol')).toBeTruthy();
    rerender(<MessageBubble message={message('a', { from: 'carol' })} now={NOW} showSender={false} />);
    expect(screen.queryByText('carol')).toBeNull();
    expect(screen.getByText('text a')).toBeTruthy();
  });
});

/** The props of a conversation with bob showing `messages`, nothing burning or being sent. */
function conversationProps(messages: MessageView[]) {
  return {
    title: 'bob',
    messages,
    burning: new Set<string>(),
    expiredUnread: 0,
    now: NOW,
    defaultTimers: { expireAfterMs: null, burnAfterMs: null },
    sending: false,
    error: null,
    onSend: vi.fn(),
  };
}

// Following new messages and keeping the reader's place need layout, which jsdom does not do: they
// are tested in Chromium (tests/e2e/messageList.spec.ts).

describe('trust and time at a glance', () => {
  it('the conversation header says whether the contact is verified, only when that is known', () => {
    const props = conversationProps([]);
    const { rerender } = render(<ConversationView {...props} />);
    expect(screen.queryByText(/verified/i)).toBeNull();
    rerender(<ConversationView {...props} verified={false} />);
    expect(screen.getByText('Not verified')).toBeTruthy();
    rerender(<ConversationView {...props} verified />);
    expect(screen.getByText('Verified')).toBeTruthy();
  });

  it('an older message shows its date as well as its time', () => {
    const today = formatTime(NOW - 60_000, NOW);
    const older = formatTime(NOW - 3 * 86_400_000, NOW);
    expect(today).not.toContain(',');
    expect(older).toContain(',');
    expect(older.endsWith(formatTime(NOW - 3 * 86_400_000, NOW - 3 * 86_400_000))).toBe(true);
  });

  it('opening the safety number moves focus to its heading', () => {
    render(
      <SafetyNumberPanel
        safety={{
          accountId: '00000000-0000-4000-8000-000000000000',
          username: 'bob',
          digits: '1'.repeat(60),
          scannable: 'AAAA',
          verified: false,
          identityChanged: false,
        }}
        busy={false}
        onVerify={vi.fn()}
        onClose={vi.fn()}
      />,
    );
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Safety number with bob' }));
    expect(screen.getByText('Not verified yet')).toBeTruthy();
  });
});
