// What the timer badge and the burn say in words: a waiting burn names its duration, a running one
// counts down every second, both timers show when burn-on-read has not started, and a destroyed
// message reads "burned" with its text hidden from assistive technology.
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageBubble } from '../../renderer/components/MessageBubble';
import { TimerBadge } from '../../renderer/components/TimerBadge';
import { formatRemaining } from '../../renderer/lib/format';
import { NOW, messageView } from '../helpers/renderer/render';

afterEach(cleanup);

describe('formatRemaining', () => {
  it('counts seconds under an hour and never shows zero while time is left', () => {
    expect(formatRemaining(45_000)).toBe('45s');
    expect(formatRemaining(300)).toBe('1s');
    expect(formatRemaining(0)).toBe('0s');
    expect(formatRemaining(60_000)).toBe('1m');
    expect(formatRemaining(4 * 60_000 + 5_000)).toBe('4m 05s');
    expect(formatRemaining(3 * 3_600_000 + 12 * 60_000)).toBe('3h 12m');
    expect(formatRemaining(3_600_000 - 1)).toBe('1h');
    expect(formatRemaining(6 * 86_400_000 + 4 * 3_600_000)).toBe('6d 4h');
  });
});

describe('TimerBadge words', () => {
  it('says a waiting burn starts when read, in words', () => {
    render(<TimerBadge expiresAt={null} burnAt={null} burnAfterMs={10_000} now={NOW} />);
    expect(screen.getByText('burns 10 seconds after you read it')).toBeTruthy();
    expect(screen.queryByRole('timer')).toBeNull();
  });

  it('shows a live countdown once burning: each tick of `now` changes the text', () => {
    const { rerender } = render(
      <TimerBadge expiresAt={null} burnAt={NOW + 10_000} burnAfterMs={10_000} now={NOW} />,
    );
    expect(screen.getByRole('timer').textContent).toBe('burns in 10s');
    rerender(<TimerBadge expiresAt={null} burnAt={NOW + 10_000} burnAfterMs={10_000} now={NOW + 3_000} />);
    expect(screen.getByRole('timer').textContent).toBe('burns in 7s');
    expect(screen.getByLabelText('burns in 7s')).toBeTruthy();
  });

  it('shows the expiry and the waiting burn together while the message is unread', () => {
    render(<TimerBadge expiresAt={NOW + 86_400_000} burnAt={null} burnAfterMs={60_000} now={NOW} />);
    expect(screen.getByRole('timer').textContent).toBe('expires in 1d');
    expect(screen.getByLabelText('burns 1 minute after you read it')).toBeTruthy();
  });

  it('uses words, not emoji that render as empty boxes without an emoji font', () => {
    const { container } = render(
      <TimerBadge expiresAt={NOW + 90_000} burnAt={null} burnAfterMs={30_000} now={NOW} />,
    );
    expect(container.textContent).not.toMatch(/\p{Extended_Pictographic}/u);
  });
});

describe('MessageBubble burn', () => {
  it('a destroyed message says "burned", drops its timer and hides its text from screen readers', () => {
    const m = messageView({ burnAfterMs: 2_000, burnAt: NOW + 1_000, seenAt: NOW - 1_000 });
    const { rerender, container } = render(<MessageBubble message={m} now={NOW} />);
    expect(screen.getByRole('timer').textContent).toBe('burns in 1s');
    expect(screen.queryByText('burned')).toBeNull();

    rerender(<MessageBubble message={m} now={NOW} burning />);
    const item = container.querySelector('li')!;
    expect(item.classList.contains('burning')).toBe(true);
    expect(item.getAttribute('aria-busy')).toBe('true');
    expect(screen.getByText('burned')).toBeTruthy();
    expect(screen.queryByRole('timer')).toBeNull();
    expect(container.querySelector('.text')!.getAttribute('aria-hidden')).toBe('true');
    // Still a text node while it burns away: never HTML.
    expect(container.querySelector('.text')!.textContent).toBe('hello');
  });

  it('an outgoing message names its delivery state in words', () => {
    render(<MessageBubble message={messageView({ outgoing: true, state: 'pending' })} now={NOW} />);
    expect(screen.getByText('sending…')).toBeTruthy();
  });
});
