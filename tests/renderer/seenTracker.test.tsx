// When a received message counts as seen (PRODUCT.md: window focused, at least half in view).
// jsdom has no layout, so IntersectionObserver is replaced by a controllable one; focus is
// document.hasFocus(). Guards the bug where per-second re-renders made a message visible in a
// background window be forgotten before the window regained focus.
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useSeenTracker } from '../../renderer/lib/hooks';

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
  for (const o of observers) {
    const target = [...o.targets].find((t) => (t as HTMLElement).dataset.messageId === id);
    if (target) o.callback([{ target, intersectionRatio: ratio }]);
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
