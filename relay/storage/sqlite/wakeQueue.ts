// The SQLite backend's wakes, in commit order: a small commit wakes its recipients at once (before
// its fsync), a large multi-recipient one only after its sender has its answer, then a chunk per
// event-loop turn, so 499 pushes neither hold up the sender's acknowledgement nor the event loop.
import type { EventEmitter } from 'node:events';
import type { QueuedEnvelope } from '../types';

/** One recipient's wake: its hex account hash and the envelope to push. */
export interface Wake {
  hashHex: string;
  envelope: QueuedEnvelope;
}

/** A commit waking more recipients than this waits for its sender's answer (issue 13). */
export const DEFER_WAKES_OVER = 16;

/** Wakes emitted per event-loop turn once a deferred batch is released. */
export const WAKE_CHUNK = 64;

interface Batch {
  wakes: Wake[];
  /** Emitted from here on (the batch is emitted a chunk at a time). */
  next: number;
  ready: boolean;
}

/**
 * Wakes leave in the order their commits were made: a session pushes an envelope directly only if
 * its sequence number is past the last one it pushed (relay/session.ts deliver), so a later commit
 * waking the same recipient first would make it skip the earlier envelope until its next read.
 * Everything that arrives while a deferred batch waits or drains queues behind it.
 */
export class WakeQueue {
  private readonly batches: Batch[] = [];
  private draining = false;

  constructor(private readonly wakes: EventEmitter) {}

  /** A commit's wakes, emitted now unless something earlier is still queued. */
  now(wakes: Wake[]): void {
    if (wakes.length === 0) return;
    if (this.batches.length === 0) {
      for (const w of wakes) this.wakes.emit('wake', w.hashHex, w.envelope);
      return;
    }
    this.batches.push({ wakes, next: 0, ready: true });
  }

  /**
   * Holds a commit's place in the order; the wakes leave after `release()` (call it once the
   * sender's answer is on its way, whatever became of the write), a chunk per turn.
   */
  hold(wakes: Wake[]): { release: () => void } {
    const batch: Batch = { wakes, next: 0, ready: false };
    this.batches.push(batch);
    return {
      release: () => {
        if (batch.ready) return;
        batch.ready = true;
        this.scheduleDrain();
      },
    };
  }

  private scheduleDrain(): void {
    if (this.draining) return;
    this.draining = true;
    // setImmediate: after the microtasks that answer the sender, and with I/O between chunks.
    setImmediate(() => this.drainChunk());
  }

  private drainChunk(): void {
    this.draining = false;
    let budget = WAKE_CHUNK;
    while (budget > 0) {
      const head = this.batches[0];
      if (!head || !head.ready) return;
      const end = Math.min(head.wakes.length, head.next + budget);
      for (let i = head.next; i < end; i++) {
        const w = head.wakes[i]!;
        this.wakes.emit('wake', w.hashHex, w.envelope);
      }
      budget -= end - head.next;
      head.next = end;
      if (head.next >= head.wakes.length) this.batches.shift();
    }
    if (this.batches[0]?.ready) this.scheduleDrain();
  }
}
