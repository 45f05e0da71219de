// Batched seen-marking (`markSeenMany`, what the app's seen tracker sends while the reader scrolls)
// on real engines and a real relay: per id it must do what `markSeen` does — start the burn
// countdown at that moment, send the read receipt, emit the update — and skip what is gone.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorld, movableClock, recordEvents, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

describe('markSeenMany', () => {
  it("starts each message's burn at the moment of the call and sends each sender the read receipts, as one call per id would", async () => {
    const alice = await world.create('alice');
    const carol = await world.create('carol');
    const bobClock = movableClock();
    const bob = await world.create('bob', bobClock.now);
    const a1 = await alice.sendText('bob', 'one', { burnAfterMs: 10_000 });
    const a2 = await alice.sendText('bob', 'two', { burnAfterMs: 20_000 });
    const a3 = await alice.sendText('bob', 'three');
    const c1 = await carol.sendText('bob', 'from carol', { burnAfterMs: 30_000 });
    await bob.sync();
    bobClock.advance(3_600_000);
    const unreadBefore = (await bob.conversations()).reduce((n, c) => n + c.unreadCount, 0);
    expect(unreadBefore).toBe(4);

    const events = recordEvents(bob);
    const readAt = bobClock.now();
    const seen = await bob.markSeenMany([c1.id, a1.id, a2.id, a3.id, a1.id]);
    expect(seen.map((m) => m.id)).toEqual([c1.id, a1.id, a2.id, a3.id]);
    const seenAt = seen[0]!.seenAt!;
    expect(seenAt).toBeGreaterThanOrEqual(readAt);
    expect(seen.map((m) => [m.seenAt, m.burnAt])).toEqual([
      [seenAt, seenAt + 30_000],
      [seenAt, seenAt + 10_000],
      [seenAt, seenAt + 20_000],
      [seenAt, null],
    ]);
    expect(events.filter((e) => e.type === 'message.updated').map((e) => e.message.id)).toEqual([
      c1.id,
      a1.id,
      a2.id,
      a3.id,
    ]);
    expect((await bob.conversations()).reduce((n, c) => n + c.unreadCount, 0)).toBe(0);
    // A second sighting never pushes a deadline later, as with markSeen.
    bobClock.advance(5_000);
    expect((await bob.markSeenMany([a1.id])).map((m) => m.burnAt)).toEqual([seenAt + 10_000]);

    await bob.sync();
    await alice.sync();
    await carol.sync();
    expect((await alice.messages('bob')).map((m) => [m.text, m.state])).toEqual([
      ['one', 'read'],
      ['two', 'read'],
      ['three', 'read'],
    ]);
    expect((await carol.messages('bob')).map((m) => [m.text, m.state])).toEqual([['from carol', 'read']]);

    // The burn timers run: the first deadline passed, the others not yet.
    bobClock.advance(10_001 - 5_000);
    await bob.runTimers();
    expect((await bob.messages('alice')).map((m) => m.text)).toEqual(['two', 'three']);
    expect(events).toContainEqual({
      type: 'message.destroyed',
      id: a1.id,
      conversationId: alice.accountId,
      reason: 'burned',
    });
  });

  it('skips an id whose message is gone, still marks the rest, and returns an own message unchanged', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const a1 = await alice.sendText('bob', 'kept', { burnAfterMs: 60_000 });
    await bob.sync();
    const own = await bob.sendText('alice', 'mine');

    const seen = await bob.markSeenMany([randomUUID(), a1.id, own.id]);
    expect(seen.map((m) => m.id)).toEqual([a1.id, own.id]);
    expect(seen[0]?.seenAt).not.toBeNull();
    expect(seen[0]?.burnAt).toBe(seen[0]!.seenAt! + 60_000);
    expect(seen[1]).toEqual((await bob.messages('alice')).find((m) => m.id === own.id));
    // Nothing left to mark: an empty answer, no error.
    expect(await bob.markSeenMany([randomUUID()])).toEqual([]);
  });

  it('sends no read receipts when they are turned off, and still starts the burn', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.setReceiptSettings({ deliveryReceipts: false, readReceipts: false });
    const a1 = await alice.sendText('bob', 'quiet one', { burnAfterMs: 60_000 });
    const a2 = await alice.sendText('bob', 'quiet two');
    await bob.sync();
    const seen = await bob.markSeenMany([a1.id, a2.id]);
    expect(seen[0]?.burnAt).toBe(seen[0]!.seenAt! + 60_000);
    await bob.sync();
    await alice.sync();
    expect((await alice.messages('bob')).map((m) => m.state)).toEqual(['sent', 'sent']);
  });
});
