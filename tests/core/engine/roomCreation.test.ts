// Room creation (issue 13): the creation update lists every member, so it is sealed once for all
// of them under the creator's new sender key (the key goes first, pairwise); receivers therefore
// keep a sender key for a room they do not hold yet. These tests check that this path delivers the
// room in order to members who were offline, and that such a key admits nothing by itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../core/engine';
import { createWorld, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(async () => {
  await world.close();
});

/** A hostile client's local store: it writes a room nobody created into its own copy. */
interface Internals {
  store: {
    conversations: {
      createRoom(
        room: { id: string; name: string; members: string[]; admins: string[] },
        now: number,
      ): unknown;
    };
  };
}
const internals = (e: Engine) => e as unknown as Internals;

describe('a room created over the sender-key path', () => {
  it('reaches members who were offline, in order: the room with its admin, then its messages', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    for (const m of [bob, carol]) await m.lookup('alice');
    const room = await alice.createRoom('club', ['bob', 'carol']);
    await alice.sendToRoom(room.id, 'welcome');
    for (const m of [bob, carol]) {
      expect((await m.sync()).map((x) => [x.text, x.conversationId])).toEqual([['welcome', room.id]]);
      const c = (await m.conversations()).find((x) => x.id === room.id);
      expect(c).toMatchObject({ kind: 'room', title: 'club', admins: ['alice'] });
      expect([...(c?.members ?? [])].sort()).toEqual(
        ['alice', 'bob', 'carol'].filter((n) => n !== m.username),
      );
    }
    // A member's reply reaches the others: every member holds the room the same way.
    await bob.sendToRoom(room.id, 'hi all');
    expect((await carol.sync()).map((x) => x.text)).toEqual(['hi all']);
    expect((await alice.sync()).map((x) => x.text)).toEqual(['hi all']);
  });

  it("a stranger's sender key for a room nobody created brings in nothing", async () => {
    const bob = await world.create('bob');
    const mallory = await world.create('mallory');
    const fake = '0190c0de-0000-4000-8000-00000000beef';
    // Mallory's client holds a room with Bob that was never announced to him: her send puts her
    // sender key (for a room Bob does not hold) and a room message on his queue, nothing else.
    internals(mallory).store.conversations.createRoom(
      {
        id: fake,
        name: 'unannounced',
        members: [mallory.accountId, bob.accountId],
        admins: [mallory.accountId],
      },
      Date.now(),
    );
    const sent = await mallory.sendToRoom(fake, 'you are in my room now');
    expect(sent.state).toBe('sent');

    expect(await bob.sync()).toEqual([]);
    expect((await bob.conversations()).some((c) => c.id === fake)).toBe(false);
    expect(await bob.roomRequests()).toEqual([]);
    await expect(bob.messages(fake)).rejects.toMatchObject({ kind: 'NotFound' });
  });
});
