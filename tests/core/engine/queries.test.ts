// The engine's UI queries (core/engine/queries.ts) on real engines, a real relay and real profiles:
// paging before a cursor covers a conversation exactly once in order; previews and search never
// return a destroyed message and withhold an unread burn-on-read text; delete for me is local.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorld, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});
afterEach(async () => {
  await world.close();
});

describe('engine queries', () => {
  it('pages a conversation backwards from the newest, each message once, in order', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    for (let i = 0; i < 25; i++) await alice.sendText('bob', `m${i}`);
    await bob.sync();
    const conversationId = (await bob.conversations())[0]!.id;
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await bob.queries.page(conversationId, before, 10);
      seen.unshift(...page.messages.map((m) => m.text));
      pages++;
      if (!page.hasMore) break;
      before = page.messages[0]!.id;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`));
    await expect(bob.queries.page(conversationId, 'no-such-message', 10)).rejects.toMatchObject({
      kind: 'NotFound',
    });
    await alice.close();
    await bob.close();
  });

  it('previews and search never show a destroyed message, withhold unread burn-on-read text, and delete for me is local', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'plain hello');
    await alice.sendText('bob', 'secret burn words', { burnAfterMs: 60_000 });
    await bob.sync();
    const [preview] = await bob.queries.previews();
    expect(preview).toMatchObject({ text: null, outgoing: false });
    const [hit] = await bob.queries.search('secret', 10);
    expect(hit?.snippet).toBeNull();

    const plain = (await bob.queries.search('hello', 10))[0]!;
    expect(plain.snippet).toContain('hello');
    await bob.queries.deleteForMe(plain.messageId);
    expect(await bob.queries.search('hello', 10)).toEqual([]);
    expect((await alice.messages('bob')).map((m) => m.text)).toContain('plain hello');

    const burning = (await bob.messages('alice')).find((m) => m.text === 'secret burn words')!;
    await bob.queries.deleteForMe(burning.id);
    expect(await bob.queries.previews()).toEqual([]);
    expect(await bob.queries.search('secret', 10)).toEqual([]);
    await alice.close();
    await bob.close();
  });
});
