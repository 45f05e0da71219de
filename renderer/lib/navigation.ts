// What another screen (People, the quick switcher) asks the messenger to open, delivered as an
// event: the messenger subscribes like it does to engine events, so nothing is replayed on render.
import type { ContactView } from '../../common/engine';

export type OpenTarget =
  | { kind: 'conversation'; id: string }
  /** A known contact: their direct conversation, or a new draft to them (no lookup again). */
  | { kind: 'contact'; contact: ContactView }
  /** A typed username: looked up at the relay first, as the chat list's form does. */
  | { kind: 'username'; username: string };

export interface OpenRequests {
  request(target: OpenTarget): void;
  subscribe(listener: (target: OpenTarget) => void): () => void;
}

export function createOpenRequests(): OpenRequests {
  const listeners = new Set<(target: OpenTarget) => void>();
  return {
    request(target) {
      for (const listener of listeners) listener(target);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
