// Room authority (issue 13): the creator is the first admin; only admins change a room, and every
// member's client enforces it on receipt, whoever relays the change; changes carry a room epoch,
// so an old change arriving late is ignored; the last admin leaving hands the room over; a member
// removed while offline learns it when back and cannot read what was sent after.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../core/engine';
import type { Content } from '../../../common/content';
import { createWorld, sendCrafted, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(async () => {
  await world.close();
});

/**
 * The engine's own store, for a peer that is hostile: it writes its local copy of the room
 * (marking itself admin) so its unmodified engine code sends the changes an honest client refuses.
 */
interface Internals {
  store: {
    conversations: { setRole(roomId: string, accountId: string, role: 'admin' | 'member'): void };
  };
  roomUpdate(roomId: string, action: string, subject: string | null, epoch: number): Content;
}
const internals = (e: Engine) => e as unknown as Internals;
/** The room operations of an engine (rooms.ts). */
const rooms = (e: Engine) => (e as unknown as { rooms: Pick<Internals, 'roomUpdate'> }).rooms;

async function roomOf(e: Engine, roomId: string) {
  const c = (await e.conversations()).find((x) => x.id === roomId);
  if (!c) throw new Error('room not found');
  return c;
}

async function makeRoom(names: string[]) {
  const engines: Record<string, Engine> = {};
  for (const n of names) engines[n] = await world.create(n);
  const [first, ...rest] = names;
  // Members know the creator (so the room is a conversation, not a request).
  for (const n of rest) await engines[n]!.lookup(first!);
  const room = await engines[first!]!.createRoom('club', rest);
  for (const n of rest) await engines[n]!.sync();
  return { engines, room };
}

describe('room admins', () => {
  it("makes the creator the only admin, and refuses a non-admin's changes locally", async () => {
    const { engines, room } = await makeRoom(['alice', 'bob', 'carol']);
    const bob = engines.bob!;
    for (const e of Object.values(engines)) {
      const c = await roomOf(e, room.id);
      expect(c.admins).toEqual(['alice']);
    }
    expect((await roomOf(engines.alice!, room.id)).isAdmin).toBe(true);
    expect((await roomOf(bob, room.id)).isAdmin).toBe(false);
    await expect(bob.renameRoom(room.id, 'mine')).rejects.toMatchObject({ kind: 'Unauthorized' });
    await expect(bob.removeRoomMember(room.id, 'carol')).rejects.toMatchObject({ kind: 'Unauthorized' });
    await expect(bob.promoteRoomMember(room.id, 'carol')).rejects.toMatchObject({ kind: 'Unauthorized' });
    await expect(
      bob.setConversationTimers(room.id, { expireAfterMs: 60_000, burnAfterMs: null }),
    ).rejects.toMatchObject({ kind: 'Unauthorized' });
  });

  it("ignores a non-admin's add, remove, rename and timer change on every other member (a peer that sends them anyway)", async () => {
    const { engines, room } = await makeRoom(['alice', 'bob', 'carol', 'dave']);
    const mallory = await world.create('mallory');
    const bob = engines.bob!;
    await bob.lookup('mallory');
    // bob's client is modified: it believes it is an admin, so its engine sends every change.
    internals(bob).store.conversations.setRole(room.id, bob.accountId, 'admin');
    await bob.addRoomMembers(room.id, ['mallory']);
    await bob.removeRoomMember(room.id, 'carol');
    await bob.renameRoom(room.id, 'taken over');
    await bob.setConversationTimers(room.id, { expireAfterMs: 60_000, burnAfterMs: null });

    for (const name of ['alice', 'carol', 'dave']) {
      const e = engines[name]!;
      await e.sync();
      const c = await roomOf(e, room.id);
      expect(c.title, name).toBe('club');
      expect([...c.members].sort(), name).toEqual(
        ['alice', 'bob', 'carol', 'dave'].filter((n) => n !== name),
      );
      expect(c.defaultTimers, name).toEqual({ expireAfterMs: null, burnAfterMs: null });
      expect(c.left, name).toBe(false);
      expect(c.admins, name).toEqual(['alice']);
      // No notice of any of it either.
      const notices = (await e.messages(room.id)).filter((m) => m.notice);
      expect(
        notices.map((m) => m.fromAccountId),
        name,
      ).not.toContain(bob.accountId);
    }
    // The admin's next message still reaches carol (she was not removed), not mallory.
    const msg = await engines.alice!.sendToRoom(room.id, 'still here');
    expect((await engines.carol!.sync()).map((m) => m.id)).toContain(msg.id);
    await mallory.sync();
    expect((await mallory.conversations()).some((c) => c.id === room.id)).toBe(false);
  });

  it('ignores an old room change that arrives after a newer one (reordered or replayed)', async () => {
    const { engines, room } = await makeRoom(['alice', 'bob', 'carol']);
    const alice = engines.alice!;
    const bob = engines.bob!;
    // An 'add dave' at the room's current epoch... then dave is removed at a later epoch.
    const dave = await world.create('dave');
    await dave.lookup('alice');
    await alice.addRoomMembers(room.id, ['dave']);
    const addUpdate = (await alice.messages(room.id)).find((m) => m.notice?.kind === 'memberAdded');
    expect(addUpdate).toBeDefined();
    await alice.removeRoomMember(room.id, 'dave');
    await bob.sync();
    expect((await roomOf(bob, room.id)).members.sort()).toEqual(['alice', 'carol']);
    // What a relay that held back the older pairwise envelope delivers late: the same admin's
    // 'add dave' under the epoch it had then (a new ciphertext over the live session).
    const stale = rooms(alice).roomUpdate(room.id, 'add', dave.accountId, 2);
    if (stale.type !== 'room.update') throw new Error('unreachable');
    stale.members = [...stale.members, { accountId: dave.accountId, username: 'dave', role: 'member' }];
    await sendCrafted(alice, bob.accountId, stale);
    await bob.sync();
    expect((await roomOf(bob, room.id)).members.sort()).toEqual(['alice', 'carol']);
    // A fresh change at a higher epoch is applied as usual.
    await alice.renameRoom(room.id, 'renamed');
    await bob.sync();
    expect((await roomOf(bob, room.id)).title).toBe('renamed');
  });

  it('shows every membership change as a notice, and an admin can promote and demote', async () => {
    const { engines, room } = await makeRoom(['alice', 'bob', 'carol']);
    const alice = engines.alice!;
    const bob = engines.bob!;
    await alice.promoteRoomMember(room.id, 'bob');
    await bob.sync();
    expect((await roomOf(bob, room.id)).isAdmin).toBe(true);
    // bob, now an admin, renames: carol accepts it.
    await bob.renameRoom(room.id, 'by bob');
    await alice.demoteRoomMember(room.id, 'bob');
    await carol(engines).sync();
    const c = await roomOf(carol(engines), room.id);
    expect(c.title).toBe('by bob');
    expect(c.admins).toEqual(['alice']);
    const texts = (await carol(engines).messages(room.id)).filter((m) => m.notice).map((m) => m.text);
    expect(texts).toEqual([
      'alice created the room',
      'alice made bob an admin',
      'bob renamed the room to by bob',
      'alice removed bob as an admin',
    ]);
    // The last admin cannot demote herself.
    await expect(alice.demoteRoomMember(room.id, 'alice')).rejects.toMatchObject({ kind: 'InvalidInput' });
  });

  it('hands the room to the longest-standing member when the last admin leaves', async () => {
    const { engines, room } = await makeRoom(['alice', 'bob', 'carol']);
    const alice = engines.alice!;
    await alice.leaveRoom(room.id);
    await engines.bob!.sync();
    await engines.carol!.sync();
    const bobView = await roomOf(engines.bob!, room.id);
    const carolView = await roomOf(engines.carol!, room.id);
    expect(bobView.admins).toHaveLength(1);
    expect(carolView.admins).toEqual(bobView.admins);
    const heir = bobView.admins![0] === 'bob' ? engines.bob! : engines.carol!;
    const other = heir === engines.bob! ? engines.carol! : engines.bob!;
    await heir.renameRoom(room.id, 'new era');
    await other.sync();
    expect((await roomOf(other, room.id)).title).toBe('new era');
  });

  it('lets a member removed while offline learn it when back, and not read anything sent after', async () => {
    const { engines, room } = await makeRoom(['alice', 'bob', 'carol']);
    const alice = engines.alice!;
    const before = await alice.sendToRoom(room.id, 'before');
    await engines.bob!.sync();
    await engines.carol!.sync();
    // carol goes offline; alice removes her and writes on.
    await alice.removeRoomMember(room.id, 'carol');
    const after = await alice.sendToRoom(room.id, 'after removal');
    expect((await engines.bob!.sync()).map((m) => m.id)).toEqual([after.id]);
    // carol back: the removal reached her, in order, and nothing sent after it did.
    const got = await engines.carol!.sync();
    expect(got.map((m) => m.id)).not.toContain(after.id);
    const c = await roomOf(engines.carol!, room.id);
    expect(c.left).toBe(true);
    const texts = (await engines.carol!.messages(room.id)).map((m) => m.text);
    expect(texts).toContain('before');
    expect(texts).not.toContain('after removal');
    expect(texts).toContain('alice removed you');
    expect(before.id).toBeDefined();
  });
});

function carol(engines: Record<string, Engine>): Engine {
  return engines.carol!;
}
