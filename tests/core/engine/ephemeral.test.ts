// Self-destruct semantics end to end (PRODUCT.md, "Self-destructing messages"), with injected
// clocks on real engines, a real relay and real profiles: expiry while offline, burn-on-read from
// the read, sender-side burn from sending, the clock-skew bound, start-up destruction, defaults.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../common/engine';
import { createWorld, movableClock, recordEvents, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

describe('expiration', () => {
  it('never stores or shows a message that expired while its recipient was offline, and counts it', async () => {
    const alice = await world.create('alice');
    const bobClock = movableClock();
    const bob = await world.create('bob', bobClock.now);
    await bob.close();
    await alice.sendText('bob', 'gone before you look', { expireAfterMs: 5_000 });
    await alice.sendText('bob', 'still here', { expireAfterMs: 3_600_000 });

    bobClock.advance(10_000);
    const bobAgain = await world.open('bob', bobClock.now);
    const events = recordEvents(bobAgain);
    const got = await bobAgain.sync();
    expect(got.map((m) => m.text)).toEqual(['still here']);
    expect((await bobAgain.messages('alice')).map((m) => m.text)).toEqual(['still here']);
    expect(events.filter((e) => e.type === 'expired-unread')).toEqual([
      { type: 'expired-unread', conversationId: alice.accountId, count: 1 },
    ]);
    expect((await bobAgain.conversations())[0]?.expiredUnreadCount).toBe(1);
  });

  it('destroys at start-up, before any read returns, a message whose deadline passed while the app was closed', async () => {
    const alice = await world.create('alice');
    const bobClock = movableClock();
    const bob = await world.create('bob', bobClock.now);
    const sent = await alice.sendText('bob', 'one minute', { expireAfterMs: 60_000 });
    expect((await bob.sync()).map((m) => m.id)).toEqual([sent.id]);
    await bob.close();

    bobClock.advance(61_000);
    const reopened = await world.open('bob', bobClock.now);
    expect(await reopened.messages('alice')).toEqual([]);
    expect((await reopened.conversations())[0]?.expiredUnreadCount).toBe(1);
  });

  it('bounds the deadline by arrival time, so a sender clock one hour ahead cannot extend a message', async () => {
    const aliceClock = movableClock();
    aliceClock.advance(3_600_000);
    const alice = await world.create('alice', aliceClock.now);
    const bobClock = movableClock();
    const bob = await world.create('bob', bobClock.now);
    const sent = await alice.sendText('bob', 'from the future', { expireAfterMs: 60_000 });
    expect(sent.expiresAt).toBe(sent.sentAt + 60_000);

    const [got] = await bob.sync();
    expect(got?.receivedAt).not.toBeNull();
    expect(got!.receivedAt!).toBeLessThan(sent.sentAt);
    expect(got?.expiresAt).toBe(got!.receivedAt! + 60_000);

    bobClock.advance(got!.expiresAt! - bobClock.now() + 1);
    expect(await bob.messages('alice')).toEqual([]);
  });

  it('destroys a message on time through the scheduler, without any call, and emits the event', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const sent = await alice.sendText('bob', 'short life', { expireAfterMs: 1_500 });
    await bob.sync();
    const destroyed = await new Promise<EngineEvent>((resolve) => {
      bob.on((e) => {
        if (e.type === 'message.destroyed') resolve(e);
      });
    });
    expect(destroyed).toEqual({
      type: 'message.destroyed',
      id: sent.id,
      conversationId: alice.accountId,
      reason: 'expired',
    });
    expect(await bob.messages('alice')).toEqual([]);
  });
});

describe('burn-on-read', () => {
  it('starts the recipient countdown only at read, then destroys the message', async () => {
    const alice = await world.create('alice');
    const bobClock = movableClock();
    const bob = await world.create('bob', bobClock.now);
    const sent = await alice.sendText('bob', 'burn after reading', { burnAfterMs: 10_000 });
    await bob.sync();

    bobClock.advance(3_600_000);
    const unread = await bob.messages('alice');
    expect(unread.map((m) => [m.id, m.seenAt, m.burnAt])).toEqual([[sent.id, null, null]]);

    const readAt = bobClock.now();
    const seen = await bob.markSeen(sent.id);
    expect(seen.seenAt).toBeGreaterThanOrEqual(readAt);
    expect(seen.burnAt).toBe(seen.seenAt! + 10_000);
    // A second read never pushes the deadline later.
    bobClock.advance(5_000);
    expect((await bob.markSeen(sent.id)).burnAt).toBe(seen.burnAt);

    const events = recordEvents(bob);
    bobClock.advance(5_001);
    await bob.runTimers();
    expect(events).toContainEqual({
      type: 'message.destroyed',
      id: sent.id,
      conversationId: alice.accountId,
      reason: 'burned',
    });
    expect(await bob.messages('alice')).toEqual([]);
  });

  it("burns the sender's own copy from sending, while the recipient's copy waits to be read", async () => {
    const aliceClock = movableClock();
    const alice = await world.create('alice', aliceClock.now);
    const bob = await world.create('bob');
    const sent = await alice.sendText('bob', 'my copy burns now', { burnAfterMs: 10_000 });
    expect(sent.burnAt).toBe(sent.sentAt + 10_000);

    aliceClock.advance(10_001);
    await alice.runTimers();
    expect(await alice.messages('bob')).toEqual([]);

    const [got] = await bob.sync();
    expect(got?.id).toBe(sent.id);
    expect(got?.burnAt).toBeNull();
  });
});

describe('conversation default timers', () => {
  it('sends the default to the other member as a control message, and both sides apply it', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'hi');
    await bob.sync();
    // Bob's connection stays open, so the control message may be pushed before his next sync.
    const events = recordEvents(bob);
    await alice.setConversationTimers('bob', { expireAfterMs: 86_400_000, burnAfterMs: 30_000 });
    const withDefault = await alice.sendText('bob', 'timed by default');
    expect([withDefault.expireAfterMs, withDefault.burnAfterMs]).toEqual([86_400_000, 30_000]);

    await bob.sync();
    expect(events.some((e) => e.type === 'conversation.changed')).toBe(true);
    expect((await bob.conversations())[0]?.defaultTimers).toEqual({
      expireAfterMs: 86_400_000,
      burnAfterMs: 30_000,
    });
    const reply = await bob.sendText('alice', 'mine too');
    expect([reply.expireAfterMs, reply.burnAfterMs]).toEqual([86_400_000, 30_000]);
  });

  it('refuses a burn timer longer than the expiration', async () => {
    const alice = await world.create('alice');
    await world.create('bob');
    await expect(
      alice.sendText('bob', 'x', { expireAfterMs: 5_000, burnAfterMs: 10_000 }),
    ).rejects.toMatchObject({ kind: 'InvalidInput' });
  });
});
