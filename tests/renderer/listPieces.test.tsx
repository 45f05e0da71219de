// The pure pieces behind the message list, search results and link handling: day separators,
// snippet marks turned into text runs, https links found in text, and a link that never opens
// without the container's say-so.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MATCH_END, MATCH_START } from '../../common/ipc';
import { MessageBubble, linkParts } from '../../renderer/components/MessageBubble';
import { MessageActions } from '../../renderer/components/MessageActions';
import { SENDER_RUN_MS, withDaySeparators } from '../../renderer/components/MessageList';
import { snippetParts } from '../../renderer/components/SearchResults';
import { formatShortDuration } from '../../renderer/lib/format';
import { NOW, messageView, noticeParty } from '../helpers/renderer/render';

afterEach(cleanup);

const DAY = 86_400_000;

describe('withDaySeparators', () => {
  it('puts a separator before the first message of each day, and none above the oldest while older pages remain', () => {
    const messages = [
      messageView({ id: 'a', sentAt: NOW - 2 * DAY }),
      messageView({ id: 'b', sentAt: NOW - 2 * DAY + 1000 }),
      messageView({ id: 'c', sentAt: NOW }),
    ];
    expect(withDaySeparators(messages, NOW).map((r) => (r.kind === 'day' ? 'day' : r.key))).toEqual([
      'day',
      'a',
      'b',
      'day',
      'c',
    ]);
    const rows = withDaySeparators(messages, NOW, true);
    expect(rows.map((r) => (r.kind === 'day' ? r.label : r.key))).toEqual(['a', 'b', 'Today', 'c']);
  });
});

describe('sender runs', () => {
  const ALICE = '00000000-0000-4000-8000-00000000000a';
  const CAROL = '00000000-0000-4000-8000-00000000000c';
  /** The message rows that name their sender (`continues` false), by key. */
  const named = (messages: ReturnType<typeof messageView>[], hasMore = false) =>
    withDaySeparators(messages, NOW, hasMore).flatMap((r) =>
      r.kind === 'message' && !r.continues ? [r.key] : [],
    );

  it('names the sender once per run; another sender, a gap of minutes, a notice, our own message or a new day start a new run', () => {
    const base = NOW - DAY / 2;
    const messages = [
      messageView({ id: 'a1', fromAccountId: ALICE, sentAt: base }),
      messageView({ id: 'a2', fromAccountId: ALICE, sentAt: base + 1000 }),
      messageView({ id: 'a3', fromAccountId: ALICE, sentAt: base + 2000 }),
      messageView({ id: 'c1', fromAccountId: CAROL, sentAt: base + 3000 }),
      messageView({ id: 'c2', fromAccountId: CAROL, sentAt: base + 3000 + SENDER_RUN_MS }),
      messageView({ id: 'c3', fromAccountId: CAROL, sentAt: base + 4000 + SENDER_RUN_MS }),
      messageView({
        id: 'n',
        fromAccountId: CAROL,
        sentAt: base + 5000 + SENDER_RUN_MS,
        notice: { kind: 'renamed', actor: noticeParty(CAROL, { username: 'carol' }), name: 'club' },
      }),
      messageView({ id: 'c4', fromAccountId: CAROL, sentAt: base + 6000 + SENDER_RUN_MS }),
      messageView({
        id: 'me',
        fromAccountId: ALICE,
        outgoing: true,
        state: 'sent',
        sentAt: base + 7000 + SENDER_RUN_MS,
      }),
      messageView({ id: 'c5', fromAccountId: CAROL, sentAt: base + 8000 + SENDER_RUN_MS }),
      messageView({ id: 'c6', fromAccountId: CAROL, sentAt: NOW + DAY }),
    ];
    // a2, a3 continue a1; c3 continues c2; everything else starts a run.
    expect(named(messages)).toEqual(['a1', 'c1', 'c2', 'n', 'c4', 'me', 'c5', 'c6']);
  });

  it('a run that spans a loaded page boundary is regrouped when the older page arrives', () => {
    const older = messageView({ id: 'o', fromAccountId: ALICE, sentAt: NOW - 2000 });
    const newer = messageView({ id: 'p', fromAccountId: ALICE, sentAt: NOW - 1000 });
    expect(named([newer], true)).toEqual(['p']);
    expect(named([older, newer], true)).toEqual(['o']);
  });

  it('a room bubble that continues a run shows no name; the first of the run does', () => {
    const first = messageView({ id: 'x1', fromAccountId: ALICE, from: 'alice', sentAt: NOW - 2000 });
    render(
      <ol>
        <MessageBubble message={first} now={NOW} showSender />
        <MessageBubble message={{ ...first, id: 'x2', text: 'again' }} now={NOW} showSender={false} />
      </ol>,
    );
    expect(screen.getAllByText('alice')).toHaveLength(1);
  });
});

describe('MessageActions', () => {
  it('names each button, offers retry only for a failed send and copy only for text, and hands the message back', () => {
    const onCopy = vi.fn();
    const onDelete = vi.fn();
    const onRetry = vi.fn();
    const failed = messageView({ outgoing: true, state: 'failed' });
    const { rerender } = render(
      <MessageActions message={failed} onCopy={onCopy} onDelete={onDelete} onRetry={onRetry} />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Retry sending' }));
    fireEvent.click(screen.getByRole('button', { name: 'Copy text' }));
    fireEvent.click(screen.getByRole('button', { name: 'Delete for me' }));
    expect(onRetry).toHaveBeenCalledWith(failed);
    expect(onCopy).toHaveBeenCalledWith(failed);
    expect(onDelete).toHaveBeenCalledWith(failed);
    expect(screen.getByRole('button', { name: 'Delete for me' }).title).toBe(
      'Delete for me (the other side keeps theirs)',
    );
    rerender(
      <MessageActions
        message={messageView({ text: '' })}
        onCopy={onCopy}
        onDelete={onDelete}
        onRetry={onRetry}
      />,
    );
    expect(screen.getAllByRole('button').map((b) => b.getAttribute('aria-label'))).toEqual(['Delete for me']);
  });
});

describe('message actions in a bubble', () => {
  it('are named buttons from the start, and draw their icons once the bubble is hovered or focused', () => {
    const message = messageView({ text: 'hello' });
    const actions = (m: typeof message) => (
      <MessageActions message={m} onCopy={vi.fn()} onDelete={vi.fn()} onRetry={vi.fn()} />
    );
    const { container } = render(
      <ol>
        <MessageBubble message={message} now={NOW} renderActions={actions} />
        <MessageBubble message={{ ...message, id: 'm2' }} now={NOW} renderActions={actions} />
      </ol>,
    );
    const [first, second] = [...container.querySelectorAll('li')];
    expect(screen.getAllByRole('button', { name: 'Copy text' })).toHaveLength(2);
    expect(container.querySelectorAll('.message-actions svg')).toHaveLength(0);
    fireEvent.pointerOver(first!);
    expect(first!.querySelectorAll('.message-actions svg')).toHaveLength(2);
    fireEvent.focusIn(second!.querySelector('button')!);
    expect(second!.querySelectorAll('.message-actions svg')).toHaveLength(2);
  });
});

describe('snippetParts', () => {
  it('marks the runs between the markers and keeps everything else as plain text', () => {
    expect(snippetParts(`say ${MATCH_START}<b>hi${MATCH_END} now`)).toEqual([
      { text: 'say ', match: false },
      { text: '<b>hi', match: true },
      { text: ' now', match: false },
    ]);
  });
});

describe('links in message text', () => {
  it('finds https links only, without trailing punctuation', () => {
    expect(linkParts('see https://example.org/a?b=1. and http://plain.example javascript:x')).toEqual([
      { text: 'see ', link: false },
      { text: 'https://example.org/a?b=1', link: true },
      { text: '. and http://plain.example javascript:x', link: false },
    ]);
  });

  it('a link is a button that asks the container, never an anchor the page could follow', () => {
    const onOpenLink = vi.fn();
    const { container } = render(
      <ol>
        <MessageBubble
          message={messageView({ text: 'go https://example.org/x now' })}
          now={NOW}
          onOpenLink={onOpenLink}
        />
      </ol>,
    );
    expect(container.querySelector('a')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'https://example.org/x' }));
    expect(onOpenLink).toHaveBeenCalledWith('https://example.org/x');
  });
});

describe('formatShortDuration', () => {
  it('says a default timer in one short unit', () => {
    expect([10_000, 300_000, 3_600_000, 7 * DAY].map(formatShortDuration)).toEqual(['10s', '5m', '1h', '7d']);
  });
});
