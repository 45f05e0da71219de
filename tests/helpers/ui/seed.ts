// Fills a conversation through the real engines: a peer sends in concurrent batches (the engine
// group-commits a burst and its outbox sends it in passes), and the harness's engine receives them
// over the real relay like any other message. Nothing is written behind an engine's back.
import type { SendOptions } from '../../../core/engine';
import type { Engine } from '../../../core/engine';
import type { E2eWorld } from '../foundation/harness';

/** Sends `count` messages from `peer` to `to`, `batch` at a time; `each(i)` gives text and timers. */
export async function sendMany(
  peer: Engine,
  to: string,
  count: number,
  each: (i: number) => { text: string; options?: SendOptions },
  batch = 200,
): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    await Promise.all(
      Array.from({ length: size }, (_, j) => {
        const { text, options } = each(start + j);
        return peer.sendText(to, text, options);
      }),
    );
  }
}

/** Waits (up to `timeoutMs`) until the harness's conversation titled `title` has `count` unread messages. */
export async function waitForUnread(
  world: E2eWorld,
  title: string,
  count: number,
  timeoutMs = 240_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await world.harness.host.services.conversations.list();
    const found = list.find((c) => c.title === title);
    if (found !== undefined && found.unreadCount >= count) return found.id;
    if (Date.now() > deadline) {
      throw new Error(`only ${found?.unreadCount ?? 0} of ${count} messages arrived from ${title}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
