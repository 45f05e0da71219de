// Keyboard shortcuts: one listener per owner, matched by key and the platform's command modifier
// (Cmd on macOS, Ctrl elsewhere). The list is also what the shortcuts overlay shows.
import { useEffect, useRef } from 'react';

export interface Shortcut {
  /** `mod+k`, `mod+/`, `alt+arrowdown`, `escape` (lower case). */
  keys: string;
  /** What it does, for the overlay. */
  label: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'mod+k', label: 'Quick switcher: open a conversation or contact' },
  { keys: 'mod+f', label: 'Search conversations and messages' },
  { keys: 'mod+n', label: 'New conversation' },
  { keys: 'alt+arrowdown', label: 'Next conversation' },
  { keys: 'alt+arrowup', label: 'Previous conversation' },
  { keys: 'mod+,', label: 'Settings' },
  { keys: 'mod+shift+l', label: 'Lock Wisp now' },
  { keys: 'mod+/', label: 'Show keyboard shortcuts' },
  { keys: 'escape', label: 'Close the open panel, dialog or search' },
];

const isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);

/** How a shortcut reads on this platform: "Ctrl+K" or "⌘K"-style "Cmd+K". */
export function describeKeys(keys: string): string {
  return keys
    .split('+')
    .map((part) =>
      part === 'mod'
        ? isMac
          ? 'Cmd'
          : 'Ctrl'
        : part === 'arrowdown'
          ? '↓'
          : part === 'arrowup'
            ? '↑'
            : part.length === 1
              ? part.toUpperCase()
              : part[0]!.toUpperCase() + part.slice(1),
    )
    .join('+');
}

export function matches(event: KeyboardEvent, keys: string): boolean {
  const parts = keys.split('+');
  const key = parts[parts.length - 1]!;
  const mod = isMac ? event.metaKey : event.ctrlKey;
  return (
    event.key.toLowerCase() === key &&
    parts.includes('mod') === mod &&
    parts.includes('alt') === event.altKey &&
    parts.includes('shift') === event.shiftKey
  );
}

/** Calls `handlers[keys]` for a matching keydown anywhere in the window. */
export function useShortcuts(handlers: Readonly<Record<string, (() => void) | undefined>>): void {
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      for (const [keys, handler] of Object.entries(latest.current)) {
        if (handler !== undefined && matches(event, keys)) {
          event.preventDefault();
          handler();
          return;
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
