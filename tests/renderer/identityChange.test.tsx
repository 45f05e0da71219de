// Issue 9 in the UI: the "safety number changed" dialog that stands between a stopped send and the
// recipient, the banner that holds rooms from non-contacts, timer notices as rows and names a peer
// supplied shown apart as unconfirmed.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RoomRequestView } from '../../common/engine';
import { WispError } from '../../common/errors';
import { IdentityChangedDialog } from '../../renderer/components/IdentityChangedDialog';
import { MessageBubble } from '../../renderer/components/MessageBubble';
import { RoomRequestBanner } from '../../renderer/components/RoomRequestBanner';
import { asUiError } from '../../renderer/lib/uiError';
import { NOW, messageView, noticeMessage, noticeParty } from '../helpers/renderer/render';

afterEach(cleanup);

describe('IdentityChangedDialog', () => {
  it('says the message was not sent, takes focus, and offers Send anyway, Verify and Cancel', () => {
    const onSendAnyway = vi.fn();
    const onVerify = vi.fn();
    const onCancel = vi.fn();
    render(
      <IdentityChangedDialog
        name="alice"
        busy={false}
        onSendAnyway={onSendAnyway}
        onVerify={onVerify}
        onCancel={onCancel}
      />,
    );
    const dialog = screen.getByRole('alertdialog', { name: 'Safety number changed' });
    expect(dialog.textContent).toContain('Your safety number with alice changed');
    expect(dialog.textContent).toContain('has not been sent');
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Safety number changed' }));

    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(onVerify).toHaveBeenCalledTimes(1);
    fireEvent.click(screen.getByRole('button', { name: 'Send anyway' }));
    expect(onSendAnyway).toHaveBeenCalledTimes(1);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('cannot send twice while the first "Send anyway" is on its way', () => {
    const onSendAnyway = vi.fn();
    render(
      <IdentityChangedDialog
        name="alice"
        busy
        onSendAnyway={onSendAnyway}
        onVerify={vi.fn()}
        onCancel={vi.fn()}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Send anyway' }));
    expect(onSendAnyway).not.toHaveBeenCalled();
  });

  it('gives the IdentityChanged error app words, not the CLI flag', () => {
    const ui = asUiError(
      new WispError('IdentityChanged', 'the safety number with alice changed', {
        recovery: 'repeat the command with --accept-identity-change',
      }),
    );
    expect(ui.recovery).not.toContain('--accept-identity-change');
    expect(ui.recovery).toMatch(/safety numbers/);
  });
});

describe('RoomRequestBanner', () => {
  const request: RoomRequestView = {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'alice',
    fromAccountId: '22222222-2222-4222-8222-222222222222',
    from: '22222222-2222-4222-8222-222222222222',
    fromNameHint: 'alice',
    members: [],
    receivedAt: NOW,
  };

  it('names who invited, marks a name they supplied as unconfirmed, and answers Accept or Decline by room id', () => {
    const onAccept = vi.fn();
    const onDecline = vi.fn();
    render(<RoomRequestBanner requests={[request]} busy={false} onAccept={onAccept} onDecline={onDecline} />);
    const group = screen.getByRole('group', { name: 'Invitation to alice' });
    expect(group.textContent).toContain(request.fromAccountId);
    expect(group.textContent).toContain('says “alice”, unconfirmed');
    expect(group.textContent).toContain('not one of your contacts');
    fireEvent.click(screen.getByRole('button', { name: 'Accept' }));
    expect(onAccept).toHaveBeenCalledWith(request.id);
    fireEvent.click(screen.getByRole('button', { name: 'Decline' }));
    expect(onDecline).toHaveBeenCalledWith(request.id);
  });

  it('shows nothing when no room waits', () => {
    const { container } = render(
      <RoomRequestBanner requests={[]} busy={false} onAccept={vi.fn()} onDecline={vi.fn()} />,
    );
    expect(container.innerHTML).toBe('');
  });
});

describe('notices and unconfirmed names in the message list', () => {
  it('shows a timer change as a notice row, not as a message bubble with a timer', () => {
    const { container } = render(
      <MessageBubble
        message={noticeMessage({
          kind: 'timersChanged',
          actor: noticeParty('00000000-0000-4000-8000-000000000000', { username: 'bob' }),
          timers: { expireAfterMs: 3_600_000, burnAfterMs: 60_000 },
        })}
        now={NOW}
      />,
    );
    const row = container.querySelector('li')!;
    expect(row.className).toContain('notice-row');
    expect(row.querySelector('.timer-badge, .text')).toBeNull();
    expect(row.textContent).toBe(
      'bob set disappearing messages: messages expire after 1 h, burn 1 min after reading',
    );
  });

  it("shows a sender's unconfirmed name apart from the name the relay confirmed", () => {
    render(
      <MessageBubble
        message={messageView({ from: '33333333-3333-4333-8333-333333333333', fromNameHint: 'alice' })}
        now={NOW}
      />,
    );
    const sender = document.querySelector('.sender')!;
    expect(sender.textContent).toBe('33333333-3333-4333-8333-333333333333 (says “alice”, unconfirmed)');
  });
});
