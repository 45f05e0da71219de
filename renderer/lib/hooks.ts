// Small UI hooks: a ticking clock for countdowns, and the "seen" tracker that decides when a
// received message counts as read (PRODUCT.md: window focused, at least half of it in view).
import { useCallback, useEffect, useRef, useState } from 'react';

export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Runs `work` once, `delayMs` after the last of a burst of calls (the latest `work` is run). */
export function useDebounced(delayMs: number, work: () => void): () => void {
  const latest = useRef(work);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    latest.current = work;
  });
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(() => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, delayMs);
  }, [delayMs]);
}

/**
 * Returns `add(item)`: the items added within `delayMs` of the first are handed to `apply` in one
 * call, so a burst of replies (a fast scroll marks dozens of messages seen a second) costs one state
 * update and one render, not one each.
 */
export function useBatched<T>(apply: (items: T[]) => void, delayMs = 50): (item: T) => void {
  const latest = useRef(apply);
  useEffect(() => {
    latest.current = apply;
  });
  const pending = useRef<T[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(
    (item: T) => {
      pending.current.push(item);
      if (timer.current !== null) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        const items = pending.current;
        pending.current = [];
        latest.current(items);
      }, delayMs);
    },
    [delayMs],
  );
}

function pageIsAttended(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

/**
 * Returns `watch(id)`, a callback ref for a message element. `onSeen(id)` fires once per id when
 * the element is at least half visible while the window has focus — immediately, or on the next
 * focus if it became visible while the window was in the background.
 */
export function useSeenTracker(
  onSeen: (id: string) => void,
): (id: string) => (element: HTMLElement | null) => void {
  const onSeenRef = useRef(onSeen);
  useEffect(() => {
    onSeenRef.current = onSeen;
  }, [onSeen]);
  const visible = useRef(new Set<string>());
  const reported = useRef(new Set<string>());
  const observer = useRef<IntersectionObserver | null>(null);
  const callbacks = useRef(new Map<string, (element: HTMLElement | null) => void>());
  const elements = useRef(new Map<string, HTMLElement>());

  const report = useCallback((id: string) => {
    if (reported.current.has(id) || !pageIsAttended()) return;
    reported.current.add(id);
    onSeenRef.current(id);
  }, []);

  useEffect(() => {
    if (typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const id = (entry.target as HTMLElement).dataset.messageId;
          if (id === undefined) continue;
          if (entry.intersectionRatio >= 0.5) {
            visible.current.add(id);
            report(id);
          } else {
            visible.current.delete(id);
          }
        }
      },
      { threshold: [0, 0.5, 1] },
    );
    observer.current = io;
    // Elements mounted before this effect ran (or under a previous observer) are watched too.
    for (const element of elements.current.values()) io.observe(element);
    const onAttention = () => {
      for (const id of visible.current) report(id);
    };
    window.addEventListener('focus', onAttention);
    document.addEventListener('visibilitychange', onAttention);
    return () => {
      io.disconnect();
      observer.current = null;
      window.removeEventListener('focus', onAttention);
      document.removeEventListener('visibilitychange', onAttention);
    };
  }, [report]);

  // One stable callback per id: React then calls it only on mount and unmount, not on every
  // render (the clock re-renders each second), so the visible set is not reset under us.
  return useCallback((id: string) => {
    let callback = callbacks.current.get(id);
    if (callback === undefined) {
      callback = (element: HTMLElement | null) => {
        const previous = elements.current.get(id);
        if (previous !== undefined) observer.current?.unobserve(previous);
        if (element === null) {
          elements.current.delete(id);
          visible.current.delete(id);
          callbacks.current.delete(id);
          return;
        }
        element.dataset.messageId = id;
        elements.current.set(id, element);
        observer.current?.observe(element);
      };
      callbacks.current.set(id, callback);
    }
    return callback;
  }, []);
}
