// When a received message counts as seen (PRODUCT.md: window focused, at least half in view).
// jsdom has no layout, so IntersectionObserver is replaced by a controllable one; focus is
// document.hasFocus(). Guards the bug where per-second re-renders made a message visible in a
// background window be forgotten before the window regained focus. useSeenMarker: what the
// tracker reports goes to the engine as one markSeenMany per 50 ms, at most 200 ids a call.
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageView } from '../../common/engine';
import { useSeenTracker } from '../../renderer/lib/hooks';
import { useSeenMarker } from '../../renderer/lib/seenMarker';

type Callback = (entries: { target: Element; intersectionRatio: number }[]) => void;
const observers: { callback: Callback; targets: Set<Element> }[] = [];

class ControlledIntersectionObserver {
  readonly record: { callback: Callback; targets: Set<Element> };
  constructor(callback: Callback) {
    this.record = { callback, targets: new Set() };
    observers.push(this.record);
  }
  observe(target: Element) {
    this.record.targets.add(target);
  }
  unobserve(target: Element) {
    this.record.targets.delete(target);
  }
  disconnect() {
    this.record.targets.clear();
  }
}

function showInView(id: string, ratio: number) {
  showAllInView([id], ratio);
}

/** One observer delivery for several rows, as the browser sends for one frame. */
function showAllInView(ids: string[], ratio: number) {
  for (const o of observers) {
    const entries = [...o.targets]
      .filter((t) => ids.includes((t as HTMLElement).dataset.messageId ?? ''))
      .map((target) => ({ target, intersectionRatio: ratio }));
    if (entries.length > 0) o.callback(entries);
  }
}

let focused = false;
beforeEach(() => {
  observers.length = 0;
  focused = false;
  vi.stubGlobal('IntersectionObserver', ControlledIntersectionObserver);
  vi.spyOn(document, 'hasFocus').mockImplementation(() => focused);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function Messages({ ids, tick, onSeen }: { ids: string[]; tick: number; onSeen: (id: string) => void }) {
  const watch = useSeenTracker(onSeen);
  return (
    <ol data-tick={tick}>
      {ids.map((id) => (
        <li key={id} ref={watch(id)}>
          {id}
        </li>
      ))}
    </ol>
  );
}

describe('useSeenTracker', () => {
  it('reports a message at least half in view while the window has focus, once', () => {
    focused = true;
    const onSeen = vi.fn();
    render(<Messages ids={['a', 'b']} tick={0} onSeen={onSeen} />);
    act(() => showInView('a', 0.4));
    expect(onSeen).not.toHaveBeenCalled();
    act(() => showInView('a', 0.6));
    act(() => showInView('a', 1));
    expect(onSeen.mock.calls).toEqual([['a']]);
  });

  it('waits for focus when the message became visible in a background window, across re-renders', () => {
    const onSeen = vi.fn();
    const { rerender } = render(<Messages ids={['a']} tick={0} onSeen={onSeen} />);
    act(() => showInView('a', 1));
    expect(onSeen).not.toHaveBeenCalled();
    // The countdown clock re-renders the list every second.
    for (let tick = 1; tick <= 3; tick++) rerender(<Messages ids={['a']} tick={tick} onSeen={onSeen} />);
    focused = true;
    act(() => {
      window.dispatchEvent(new Event('focus'));
    });
    expect(onSeen.mock.calls).toEqual([['a']]);
  });

  it('does not report a message that scrolled out of view before focus returned', () => {
    const onSeen = vi.fn();
    render(<Messages ids={['a']} tick={0} onSeen={onSeen} />);
    act(() => showInView('a', 1));
    act(() => showInView('a', 0.1));
    focused = true;
    act(() => {
      window.dispatchEvent(new Event('focus'));
    });
    expect(onSeen).not.toHaveBeenCalled();
  });
});

/** The tracker wired to the marker, as MessengerContainer wires them. */
function MarkedMessages(props: {
  ids: string[];
  markSeenMany: (ids: string[]) => Promise<MessageView[]>;
  onMarked: (messages: MessageView[]) => void;
}) {
  const markSeen = useSeenMarker(props.markSeenMany, props.onMarked, () => undefined);
  return <Messages ids={props.ids} tick={0} onSeen={markSeen} />;
}

const view = (id: string) => ({ id }) as unknown as MessageView;

describe('useSeenMarker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the rows seen within 50 ms in one markSeenMany call, and hands its reply on', async () => {
    focused = true;
    const markSeenMany = vi.fn(async (ids: string[]) => ids.map(view));
    const onMarked = vi.fn();
    render(<MarkedMessages ids={['a', 'b', 'c', 'd']} markSeenMany={markSeenMany} onMarked={onMarked} />);
    act(() => showAllInView(['a', 'b'], 1));
    act(() => {
      vi.advanceTimersByTime(20);
    });
    act(() => showInView('c', 0.6));
    act(() => showInView('d', 0.4));
    expect(markSeenMany).not.toHaveBeenCalled();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(30);
    });
    expect(markSeenMany.mock.calls).toEqual([[['a', 'b', 'c']]]);
    expect(onMarked.mock.calls).toEqual([[['a', 'b', 'c'].map(view)]]);
    // A later sighting is the next batch; what was reported is never sent again.
    act(() => showAllInView(['a', 'd'], 1));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(50);
    });
    expect(markSeenMany.mock.calls).toEqual([[['a', 'b', 'c']], [['d']]]);
  });

  it('splits a batch of more than 200 seen rows into calls of at most 200 ids', async () => {
    focused = true;
    const ids = Array.from({ length: 450 }, (_, i) => `m${i}`);
    const markSeenMany = vi.fn(async (batch: string[]) => batch.map(view));
    render(<MarkedMessages ids={ids} markSeenMany={markSeenMany} onMarked={() => undefined} />);
    act(() => showAllInView(ids, 1));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(50);
    });
    expect(markSeenMany.mock.calls.map(([batch]) => batch.length)).toEqual([200, 200, 50]);
    expect(markSeenMany.mock.calls.flatMap(([batch]) => batch)).toEqual(ids);
  });

  it('sends nothing for rows seen while the window has no focus, nor when unmounted before the batch is due', async () => {
    const markSeenMany = vi.fn(async (batch: string[]) => batch.map(view));
    const { unmount } = render(
      <MarkedMessages ids={['a', 'b']} markSeenMany={markSeenMany} onMarked={() => undefined} />,
    );
    act(() => showInView('a', 1));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(100);
    });
    expect(markSeenMany).not.toHaveBeenCalled();
    focused = true;
    act(() => showInView('b', 1));
    unmount();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(100);
    });
    expect(markSeenMany).not.toHaveBeenCalled();
  });
});
