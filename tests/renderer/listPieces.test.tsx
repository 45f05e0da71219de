// The pure pieces behind the message list, search results and link handling: day separators,
// snippet marks turned into text runs, https links found in text, and a link that never opens
// without the container's say-so.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MATCH_END, MATCH_START } from '../../common/ipc';
import { MessageBubble, linkParts } from '../../renderer/components/MessageBubble';
import { withDaySeparators } from '../../renderer/components/MessageList';
import { snippetParts } from '../../renderer/components/SearchResults';
import { formatShortDuration } from '../../renderer/lib/format';
import { NOW, messageView } from '../helpers/renderer/render';

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
