// Sends what the seen tracker reports to the engine in batches: the ids seen within 50 ms go in
// one `conversations.markSeenMany` call, so a fast scroll through unread messages costs one IPC
// round trip and one engine write per batch, not one per message (docs/ARCHITECTURE.md, "Seen").
import type { MessageView } from '../../common/engine';
import { MAX_SEEN_BATCH } from '../../common/ipc';
import { useBatched } from './hooks';

/**
 * Returns `markSeen(id)` for `useSeenTracker`. The tracker alone decides what counts as seen;
 * this only delays the call by up to `delayMs` (the burn countdown starts when the engine gets
 * it) and splits what piled up into calls of at most MAX_SEEN_BATCH ids. `onMarked` gets each
 * call's updated messages; a batch still waiting when the messenger unmounts (the app locked) is
 * dropped, so its messages stay unread and are seen again when next in view.
 */
export function useSeenMarker(
  markSeenMany: (messageIds: string[]) => Promise<MessageView[]>,
  onMarked: (messages: MessageView[]) => void,
  onError: (error: unknown) => void,
  delayMs = 50,
): (id: string) => void {
  return useBatched((ids: string[]) => {
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += MAX_SEEN_BATCH) {
      markSeenMany(unique.slice(start, start + MAX_SEEN_BATCH)).then(onMarked, onError);
    }
  }, delayMs);
}
