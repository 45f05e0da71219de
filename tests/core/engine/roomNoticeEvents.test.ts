// Room notices reach an open room live: the notice rows our own changes write (created, added,
// removed, renamed, promoted, left) and those a peer's change writes on receipt are announced as
// `message.added`, so the app shows them without reopening the room.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWorld, recordEvents, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(async () => {
  await world.close();
});

describe('room notice events', () => {
  it('announces each room change as a notice message, on our side and on a member’s side', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    await bob.lookup('alice');
    await carol.lookup('alice');
    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);
    const notices = (events: typeof aliceEvents) =>
      events.flatMap((e) =>
        e.type === 'message.added' && e.message.notice ? [`${e.message.notice.kind}: ${e.message.text}`] : [],
      );

    const room = await alice.createRoom('club', ['bob', 'carol']);
    await alice.renameRoom(room.id, 'book club');
    await alice.promoteRoomMember(room.id, 'bob');
    await alice.removeRoomMember(room.id, 'carol');
    await alice.leaveRoom(room.id);
    expect(notices(aliceEvents)).toEqual([
      'created: You created the room',
      'renamed: You renamed the room to book club',
      'promoted: You made bob an admin',
      'memberRemoved: You removed carol',
      'left: You left',
    ]);

    await bob.sync();
    expect(notices(bobEvents)).toEqual([
      'created: alice created the room',
      'renamed: alice renamed the room to book club',
      'promoted: alice made you an admin',
      'memberRemoved: alice removed carol',
      'left: alice left',
    ]);
    // The events carry the stored rows: the same notices a reopened room pages in.
    const stored = (await bob.messages(room.id)).filter((m) => m.notice).map((m) => m.text);
    expect(stored).toEqual(notices(bobEvents).map((n) => n.slice(n.indexOf(': ') + 2)));
  });

  it('previews a notice as its sentence and keeps notices out of search results', async () => {
    const alice = await world.create('alice');
    await world.create('bob');
    const room = await alice.createRoom('club', ['bob']);
    await alice.renameRoom(room.id, 'notice board');
    const preview = (await alice.queries.previews()).find((p) => p.conversationId === room.id);
    // Our own change names us "you" (the list shows no "You:" before a notice).
    expect(preview).toMatchObject({
      text: 'You renamed the room to notice board',
      notice: { kind: 'renamed', actor: { accountId: alice.accountId, isSelf: true }, name: 'notice board' },
    });
    // The stored notice is JSON ({"notice":"room","action":"rename",…}); none of it is a message.
    for (const q of ['notice', 'rename', 'room', 'action'])
      expect(await alice.queries.search(q, 10)).toEqual([]);
    await alice.sendToRoom(room.id, 'the notice board is up');
    const hits = await alice.queries.search('notice', 10);
    expect(hits.map((h) => h.snippet?.replace(/[^a-z ]/g, ''))).toEqual(['the notice board is up']);
  });
});
