// Notices as data (issue 11): the engine reads every stored notice row into one structured Notice
// (kind, actor, subject as account id + confirmed username or unconfirmed hint + isSelf), the same
// value in the message list and the conversation list's preview, worded by common/notices.ts. Rows
// keep account ids, so a name confirmed later shows in old notices, and rows written by earlier
// versions (the same JSON bodies) still read. Real engines, real relay, real SQLCipher profiles.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Content } from '../../../common/content';
import type { MessageView, Notice, NoticeParty } from '../../../common/engine';
import { MessagePreviewSchema } from '../../../common/ipc/messages';
import { MessageViewSchema } from '../../../common/ipc/views';
import { noticeText } from '../../../common/notices';
import type { Engine } from '../../../core/engine';
import type { NewMessage } from '../../../core/store';
import { createWorld, sendCrafted, type TestWorld } from '../../helpers/engine/fixtures';

let world: TestWorld;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(async () => {
  await world.close();
});

/** The engine's own store, to write rows as earlier versions did. */
interface Internals {
  store: { messages: { insert(m: NewMessage, now?: number): unknown } };
}
const internals = (e: Engine) => e as unknown as Internals;

/** A notice in short: its kind and who it names, as "kind actor [subject]" with "me" for isSelf. */
function short(notice: Notice): string {
  const who = (p: NoticeParty) => (p.isSelf ? 'me' : (p.username ?? `?${p.nameHint ?? ''}`));
  const subject = 'subject' in notice ? ` ${who(notice.subject)}` : '';
  return `${notice.kind} ${who(notice.actor)}${subject}`;
}

async function notices(e: Engine, conversation: string): Promise<MessageView[]> {
  return (await e.messages(conversation)).filter((m) => m.notice !== undefined);
}

/** The conversation list's preview of `conversationId`, checked against the IPC contract. */
async function previewOf(e: Engine, conversationId: string) {
  const preview = (await e.queries.previews()).find((p) => p.conversationId === conversationId);
  return MessagePreviewSchema.parse(preview);
}

describe('notices as structured data', () => {
  it('gives each room change kind its structure on our side and a member’s, the preview the same value', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    const dave = await world.create('dave');
    for (const e of [bob, carol, dave]) await e.lookup('alice');
    const room = await alice.createRoom('club', ['bob', 'carol']);
    await alice.setConversationTimers(room.id, { expireAfterMs: 3_600_000, burnAfterMs: null });
    await alice.renameRoom(room.id, 'book club');
    await alice.promoteRoomMember(room.id, 'bob');
    await alice.addRoomMembers(room.id, ['dave']);
    await alice.removeRoomMember(room.id, 'carol');
    await bob.sync();
    await bob.demoteRoomMember(room.id, 'bob');
    await bob.leaveRoom(room.id);
    await alice.sync();

    const atAlice = await notices(alice, room.id);
    expect(atAlice.map((m) => short(m.notice!))).toEqual([
      'created me',
      'timersChanged me',
      'renamed me',
      'promoted me bob',
      'memberAdded me dave',
      'memberRemoved me carol',
      'demoted bob bob',
      'left bob',
    ]);
    const atBob = await notices(bob, room.id);
    expect(atBob.map((m) => short(m.notice!))).toEqual([
      'created alice',
      'timersChanged alice',
      'renamed alice',
      'promoted alice me',
      'memberAdded alice dave',
      'memberRemoved alice carol',
      'demoted me me',
      'left me',
    ]);
    expect(atBob.map((m) => m.text)).toEqual([
      'alice created the room',
      'alice set disappearing messages: messages expire after 1 h, no burn after reading',
      'alice renamed the room to book club',
      'alice made you an admin',
      'alice added dave',
      'alice removed carol',
      'You stepped down as an admin',
      'You left',
    ]);
    expect(atAlice[1]!.notice).toMatchObject({ timers: { expireAfterMs: 3_600_000, burnAfterMs: null } });
    expect(atAlice[2]!.notice).toMatchObject({ kind: 'renamed', name: 'book club' });
    for (const m of [...atAlice, ...atBob]) {
      // Each view passes the IPC contract; its text is the shared formatter's, never an account id.
      expect(MessageViewSchema.parse(m)).toEqual(m);
      expect(m.text).toBe(noticeText(m.notice!));
      for (const e of [alice, bob, carol, dave]) expect(m.text).not.toContain(e.accountId);
    }
    expect(atAlice[6]!.notice!.actor).toEqual({
      accountId: bob.accountId,
      username: 'bob',
      nameHint: null,
      isSelf: false,
    });

    // The list previews the newest row: the same Notice the message list has, worded the same.
    for (const [e, rows] of [
      [alice, atAlice],
      [bob, atBob],
    ] as const) {
      const preview = await previewOf(e, room.id);
      expect(preview.notice).toEqual(rows.at(-1)!.notice);
      expect(preview.text).toBe(rows.at(-1)!.text);
    }
  });

  it('keeps a name a peer listed as an unconfirmed hint (a hostile one stays data), and names the member once our lookup confirms them', async () => {
    const bob = await world.create('bob');
    const mallory = await world.create('mallory');
    const carol = await world.create('carol');
    await bob.lookup('mallory');
    const hostile = '<img src=x onerror=alert(1)>';
    const roomId = randomUUID();
    const send = async (content: Content) => {
      await sendCrafted(mallory, bob.accountId, content);
    };
    const base = {
      v: 1 as const,
      type: 'room.update' as const,
      roomId,
      name: 'club',
      expireAfterMs: null,
      burnAfterMs: null,
    };
    // Mallory (an admin of her own room) lists carol under a hostile name, then removes her.
    await send({
      ...base,
      id: randomUUID(),
      sentAt: Date.now(),
      action: 'create',
      subject: null,
      epoch: 1,
      members: [
        { accountId: mallory.accountId, username: 'mallory', role: 'admin' },
        { accountId: carol.accountId, username: hostile, role: 'member' },
        { accountId: bob.accountId, username: 'bob', role: 'member' },
      ],
    });
    await send({
      ...base,
      id: randomUUID(),
      sentAt: Date.now(),
      action: 'remove',
      subject: carol.accountId,
      epoch: 2,
      members: [
        { accountId: mallory.accountId, username: 'mallory', role: 'admin' },
        { accountId: bob.accountId, username: 'bob', role: 'member' },
      ],
    });
    await bob.sync();
    const removed = (await notices(bob, roomId)).at(-1)!;
    expect(removed.notice).toEqual({
      kind: 'memberRemoved',
      actor: { accountId: mallory.accountId, username: 'mallory', nameHint: null, isSelf: false },
      subject: { accountId: carol.accountId, username: null, nameHint: hostile, isSelf: false },
    });
    expect(removed.text).toBe(`mallory removed an unknown member (says “${hostile}”)`);
    expect((await previewOf(bob, roomId)).notice).toEqual(removed.notice);

    // Our own relay lookup confirms carol: the stored notice (account ids only) now names her.
    await bob.lookup('carol');
    const named = (await notices(bob, roomId)).at(-1)!;
    expect(named.notice).toMatchObject({ subject: { username: 'carol', nameHint: null } });
    expect(named.text).toBe('mallory removed carol');
    expect((await previewOf(bob, roomId)).text).toBe('mallory removed carol');
  });

  it('reads notice rows stored by earlier versions (their JSON bodies) after a restart, and never trusts an unknown action', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.lookup('alice');
    const room = await alice.createRoom('club', ['bob']);
    // Rows exactly as the engine has written them since notices were first stored (issue 9 and 13).
    const old = [
      `{"notice":"timers","expireAfterMs":60000,"burnAfterMs":null}`,
      `{"notice":"room","action":"promote","subject":"${bob.accountId}","name":"club"}`,
      `{"notice":"room","action":"rename","subject":null,"name":"old club"}`,
      // Written by a newer version, or damaged: a change this version cannot word.
      `{"notice":"room","action":"archive","subject":null,"name":"club"}`,
      `{"notice":"room","action":"constructor","subject":"${bob.accountId}","name":"club"}`,
      `{"notice":"room","action":"add","subject":null,"name":"club"}`,
    ];
    const now = Date.now();
    old.forEach((body, i) =>
      internals(alice).store.messages.insert(
        {
          id: `old-${i}`,
          conversationId: room.id,
          senderId: i === 0 ? bob.accountId : alice.accountId,
          outgoing: i !== 0,
          kind: 'system',
          body,
          sentAt: now + i,
          receivedAt: now + i,
          expireAfterMs: null,
          burnAfterMs: null,
          expiresAt: null,
          seenAt: now + i,
          state: i === 0 ? 'received' : 'sent',
        },
        now + i,
      ),
    );
    await alice.close();
    const reopened = await world.open('alice');
    const read = (await notices(reopened, room.id)).filter((m) => m.id.startsWith('old-'));
    expect(read.map((m) => [m.notice!.kind, m.text])).toEqual([
      ['timersChanged', 'bob set disappearing messages: messages expire after 1 min, no burn after reading'],
      ['promoted', 'You made bob an admin'],
      ['renamed', 'You renamed the room to old club'],
      ['roomChanged', 'You changed the room'],
      ['roomChanged', 'You changed the room'],
      ['roomChanged', 'You changed the room'],
    ]);
    for (const m of read) expect(MessageViewSchema.parse(m)).toEqual(m);
    expect((await previewOf(reopened, room.id)).notice).toEqual(read.at(-1)!.notice);
  });
});
