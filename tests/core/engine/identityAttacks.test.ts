// Issue 9, findings 1–3, mounted end to end: a stranger (Mallory) with her own real engine and
// profile tries to capture messages Bob means for Alice, through a real relay on port 0. Mallory's
// crafted contents go out through her own engine's outbox (a modified client), encrypted and sealed
// like any other message.
import { PrivateKey } from '@signalapp/libsignal-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Content } from '../../../common/content';
import { Engine } from '../../../core/engine';
import { newContentId } from '../../../core/engine/ids';
import { openProfile } from '../../../core/profile';
import { sql } from '../../../core/store';
import {
  createWorld,
  recordEvents,
  sendCrafted,
  takeOverUsername,
  testKeyStore,
  type TestWorld,
} from '../../helpers/engine/fixtures';
import { startTamperProxy } from '../../helpers/engine/tamperProxy';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

function roomCreate(roomId: string, members: { accountId: string; username: string | null }[]): Content {
  return {
    v: 1,
    type: 'room.update',
    id: newContentId(),
    sentAt: Date.now(),
    roomId,
    action: 'create',
    name: 'crafted',
    members,
    subject: null,
    expireAfterMs: null,
    burnAfterMs: null,
  };
}

/** Alice and Bob know each other: one message each way, and Bob verified Alice. */
async function friends(): Promise<{ alice: Engine; bob: Engine }> {
  const alice = await world.create('alice');
  const bob = await world.create('bob');
  await bob.sendText('alice', 'hi alice');
  await alice.sync();
  await alice.sendText('bob', 'hi bob');
  await bob.sync();
  await bob.setVerified('alice', true);
  return { alice, bob };
}

const texts = async (engine: Engine): Promise<string[]> => (await engine.sync()).map((m) => m.text);

describe('finding 1: rooms never stand in for a contact', () => {
  it('a room a stranger names "alice" does not capture a send to alice', async () => {
    const { alice, bob } = await friends();
    const mallory = await world.create('mallory');
    await mallory.createRoom('alice', ['bob']);
    await bob.sync();

    await bob.sendText('alice', 'for alice only');
    expect(await texts(alice)).toEqual(['for alice only']);
    expect(await texts(mallory)).not.toContain('for alice only');
  });

  it('a room a stranger names after a new contact does not capture the first message to them', async () => {
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    const mallory = await world.create('mallory');
    await mallory.createRoom('carol', ['bob']);
    await bob.sync();

    await bob.sendText('carol', 'hello carol, first time');
    expect(await texts(carol)).toEqual(['hello carol, first time']);
    expect(await texts(mallory)).not.toContain('hello carol, first time');
  });

  it("refuses a room whose id is a contact's account id; messages to and from that contact still flow", async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.lookup('alice'); // a contact, no conversation yet
    const mallory = await world.create('mallory');
    await mallory.lookup('bob');
    await sendCrafted(
      mallory,
      bob.accountId,
      roomCreate(alice.accountId, [
        { accountId: mallory.accountId, username: 'mallory' },
        { accountId: bob.accountId, username: 'bob' },
      ]),
    );
    await bob.sync();
    expect((await bob.conversations()).some((c) => c.kind === 'room')).toBe(false);
    expect(await bob.roomRequests()).toEqual([]);

    const sent = await bob.sendText('alice', 'still yours');
    expect(sent.conversationId).toBe(alice.accountId);
    expect(await texts(alice)).toEqual(['still yours']);
    await alice.sendText('bob', 'and back');
    expect(await texts(bob)).toEqual(['and back']);
    expect((await bob.messages('alice')).map((m) => m.text)).toEqual(['still yours', 'and back']);
  });

  it('a room squatting an account id Bob learns later gives way to that contact', async () => {
    const bob = await world.create('bob');
    const mallory = await world.create('mallory');
    await bob.lookup('mallory'); // Mallory is a contact: her room is accepted at once
    await mallory.lookup('bob');
    const carol = await world.create('carol');
    await sendCrafted(
      mallory,
      bob.accountId,
      roomCreate(carol.accountId, [
        { accountId: mallory.accountId, username: 'mallory' },
        { accountId: bob.accountId, username: 'bob' },
      ]),
    );
    await bob.sync();
    expect((await bob.conversations()).find((c) => c.id === carol.accountId)?.kind).toBe('room');

    await carol.sendText('bob', 'hi bob, carol here');
    expect(await texts(bob)).toEqual(['hi bob, carol here']);
    const direct = (await bob.conversations()).find((c) => c.id === carol.accountId);
    expect(direct?.kind).toBe('direct');
    await bob.sendText('carol', 'hi carol');
    expect(await texts(carol)).toEqual(['hi carol']);
  });

  it('a room from someone who is not a contact is a request, not a conversation, until accepted', async () => {
    const bob = await world.create('bob');
    const mallory = await world.create('mallory');
    const room = await mallory.createRoom('party', ['bob']);
    const events = recordEvents(bob);
    await bob.sync();
    expect((await bob.conversations()).some((c) => c.id === room.id)).toBe(false);

    await mallory.sendToRoom(room.id, 'join us');
    expect(await bob.sync()).toEqual([]);
    await expect(bob.messages(room.id)).rejects.toMatchObject({ kind: 'NotFound' });
    await expect(bob.sendToRoom(room.id, 'hello?')).rejects.toMatchObject({ kind: 'NotFound' });
    const requests = await bob.roomRequests();
    expect(requests).toMatchObject([{ id: room.id, name: 'party', fromAccountId: mallory.accountId }]);
    expect(events.some((e) => e.type === 'room.request' && e.request.id === room.id)).toBe(true);
    expect(events.some((e) => e.type === 'conversation.changed' && e.conversation.id === room.id)).toBe(
      false,
    );

    const accepted = await bob.acceptRoomRequest(room.id);
    expect(accepted).toMatchObject({ id: room.id, kind: 'room', title: 'party' });
    expect(await bob.roomRequests()).toEqual([]);
    expect((await bob.sync()).map((m) => [m.text, m.conversationId])).toEqual([['join us', room.id]]);
    await bob.sendToRoom(room.id, 'thanks');
    expect(await texts(mallory)).toEqual(['thanks']);
  });

  it('a declined room request leaves nothing behind', async () => {
    const bob = await world.create('bob');
    const mallory = await world.create('mallory');
    const room = await mallory.createRoom('spam', ['bob']);
    await mallory.sendToRoom(room.id, 'buy now');
    await bob.sync();
    expect((await bob.roomRequests()).map((r) => r.id)).toEqual([room.id]);
    await bob.declineRoomRequest(room.id);
    expect(await bob.roomRequests()).toEqual([]);
    expect((await bob.conversations()).some((c) => c.id === room.id)).toBe(false);
    await expect(bob.messages(room.id)).rejects.toMatchObject({ kind: 'NotFound' });
  });
});

describe('finding 2: names come only from our own relay lookups', () => {
  it("a room's member list cannot swap alice and mallory in Bob's contacts", async () => {
    const { alice, bob } = await friends();
    const mallory = await world.create('mallory');
    await bob.lookup('mallory'); // even a contact's room update carries no names
    await mallory.lookup('bob');
    const aliceNumber = await bob.safetyNumber('alice');

    await sendCrafted(
      mallory,
      bob.accountId,
      roomCreate(newRoomId(), [
        { accountId: mallory.accountId, username: 'alice' },
        { accountId: alice.accountId, username: 'mallory' },
        { accountId: bob.accountId, username: 'bob' },
      ]),
    );
    await bob.sync();

    const names = Object.fromEntries((await bob.contacts()).map((c) => [c.accountId, c.username]));
    expect(names[alice.accountId]).toBe('alice');
    expect(names[mallory.accountId]).toBe('mallory');

    await mallory.sendText('bob', 'it is me, alice');
    const got = await bob.sync();
    expect(got.map((m) => [m.text, m.from, m.fromAccountId])).toEqual([
      ['it is me, alice', 'mallory', mallory.accountId],
    ]);
    const number = await bob.safetyNumber('alice');
    expect(number.accountId).toBe(alice.accountId);
    expect(number.digits).toBe(aliceNumber.digits);
    expect(number.verified).toBe(true);
    // Verify acts on Alice, not on whoever a peer called "alice".
    await bob.setVerified('alice', false);
    const after = Object.fromEntries((await bob.contacts()).map((c) => [c.accountId, c.verified]));
    expect(after[alice.accountId]).toBe(false);
    expect(after[mallory.accountId]).toBe(false);
  });

  it('a name a stranger lists for an unknown member is an unconfirmed hint, never a username', async () => {
    const bob = await world.create('bob');
    const mallory = await world.create('mallory');
    const carol = await world.create('carol');
    await bob.lookup('mallory');
    await mallory.lookup('bob');
    await sendCrafted(
      mallory,
      bob.accountId,
      roomCreate(newRoomId(), [
        { accountId: mallory.accountId, username: 'mallory' },
        { accountId: carol.accountId, username: 'alice' },
        { accountId: bob.accountId, username: 'bob' },
      ]),
    );
    await bob.sync();
    const carolRow = (await bob.contacts()).find((c) => c.accountId === carol.accountId);
    expect(carolRow).toMatchObject({ username: null, nameHint: 'alice' });
    // A typed "alice" is asked of the relay, which knows no alice: the hint resolves nothing.
    await expect(bob.sendText('alice', 'who are you?')).rejects.toMatchObject({ kind: 'NotFound' });
    expect(await texts(carol)).toEqual([]);
  });
});

describe('finding 3: a name or key that moved stops the send', () => {
  it('a username released and re-registered by Mallory: the send by name is stopped, nothing reaches her', async () => {
    const { alice, bob } = await friends();
    const aliceNumber = await bob.safetyNumber('alice');
    const mallory = await takeOverUsername(world, alice, 'alice');
    try {
      await expect(bob.sendText('alice', 'our secret')).rejects.toMatchObject({
        kind: 'IdentityChanged',
        recovery: expect.stringContaining('--accept-identity-change'),
      });
      expect(await texts(mallory)).toEqual([]);
      // Nothing moved: "alice" still means the Alice Bob verified.
      expect(await bob.safetyNumber('alice')).toMatchObject({
        accountId: alice.accountId,
        digits: aliceNumber.digits,
        verified: true,
      });
      expect((await bob.messages('alice')).map((m) => m.text)).not.toContain('our secret');

      // The user explicitly accepts: the name now means its new holder, the message goes to her.
      const sent = await bob.sendText('alice', 'are you the new alice?', { acceptIdentityChange: true });
      expect(sent.conversationId).toBe(mallory.accountId);
      expect(await texts(mallory)).toEqual(['are you the new alice?']);
      expect(await texts(alice)).toEqual([]);
      const contacts = await bob.contacts();
      expect(contacts.find((c) => c.accountId === mallory.accountId)).toMatchObject({
        username: 'alice',
        verified: false,
      });
      expect(contacts.find((c) => c.accountId === alice.accountId)).toMatchObject({
        username: null,
        verified: true,
      });
    } finally {
      await mallory.close();
    }
  });

  it("a relay answering another key for Alice's account never replaces the pinned key, and the send is stopped", async () => {
    const { alice, bob } = await friends();
    const pinned = await bob.safetyNumber('alice');
    await bob.close();
    const forged = Buffer.from(PrivateKey.generate().getPublicKey().serialize()).toString('base64');
    const proxy = await startTamperProxy(world.relayUrl);
    try {
      proxy.rewriteReplies('username.lookup', (body) => ({ ...body, identityKey: forged }));
      const bobViaProxy = await Engine.open({
        profileDir: world.profileDir('bob'),
        keystore: testKeyStore(),
        relayUrl: proxy.url,
      });
      try {
        await expect(bobViaProxy.sendText('alice', 'not for a forged key')).rejects.toMatchObject({
          kind: 'IdentityChanged',
        });
        expect(proxy.rewritten).toBeGreaterThan(0);
        expect(await bobViaProxy.safetyNumber('alice')).toMatchObject({
          digits: pinned.digits,
          verified: true,
          identityChanged: false,
        });
        expect(await texts(alice)).toEqual([]);
        // Sending anyway still encrypts to the pinned key: Alice reads it, the pin stays.
        await bobViaProxy.sendText('alice', 'sent anyway', { acceptIdentityChange: true });
        expect(await bobViaProxy.safetyNumber('alice')).toMatchObject({ digits: pinned.digits });
      } finally {
        await bobViaProxy.close();
      }
    } finally {
      await proxy.close();
    }
    expect(await texts(alice)).toEqual(['sent anyway']);
  });

  it('a contact whose key changed on receive stops every send until the change is accepted', async () => {
    const { alice, bob } = await friends();
    await bob.close();
    // What libsignal records when a message arrives under a new identity key for the account (the
    // relay vouched for it): the contact is flagged and no longer verified.
    const profile = await openProfile(world.profileDir('bob'), testKeyStore());
    try {
      profile.store.write.run(
        sql`UPDATE contacts SET identity_changed = 1, verified = 0 WHERE account_id = ${alice.accountId}`,
      );
    } finally {
      profile.close();
    }
    const bobAgain = await world.open('bob');
    await expect(bobAgain.sendText('alice', 'by name')).rejects.toMatchObject({ kind: 'IdentityChanged' });
    await expect(bobAgain.sendText(alice.accountId, 'by account id')).rejects.toMatchObject({
      kind: 'IdentityChanged',
    });
    expect(await texts(alice)).toEqual([]);
    await bobAgain.sendText(alice.accountId, 'accepted', { acceptIdentityChange: true });
    expect((await bobAgain.safetyNumber('alice')).identityChanged).toBe(false);
    await bobAgain.sendText('alice', 'and from now on');
    expect(await texts(alice)).toEqual(['accepted', 'and from now on']);
  });
});

describe('timers from peers', () => {
  it('ignores peer default timers whose burn is longer than their expiry', async () => {
    const { alice, bob } = await friends();
    await sendCrafted(alice, bob.accountId, {
      v: 1,
      type: 'timers',
      id: newContentId(),
      sentAt: Date.now(),
      roomId: null,
      expireAfterMs: 60_000,
      burnAfterMs: 3_600_000,
    });
    await bob.sync();
    const conversation = (await bob.conversations()).find((c) => c.id === alice.accountId);
    expect(conversation?.defaultTimers).toEqual({ expireAfterMs: null, burnAfterMs: null });
    expect((await bob.messages('alice')).some((m) => m.notice !== undefined)).toBe(false);
  });

  it('shows every timer change as a notice in the conversation, on both sides', async () => {
    const { alice, bob } = await friends();
    await alice.setConversationTimers('bob', { expireAfterMs: 3_600_000, burnAfterMs: 60_000 });
    await bob.sync();
    const timers = { expireAfterMs: 3_600_000, burnAfterMs: 60_000 };
    const atBob = (await bob.messages('alice')).filter((m) => m.notice !== undefined);
    expect(atBob.map((m) => [m.from, m.notice, m.text])).toEqual([
      [
        'alice',
        {
          kind: 'timersChanged',
          actor: { accountId: alice.accountId, username: 'alice', nameHint: null, isSelf: false },
          timers,
        },
        'alice set disappearing messages: messages expire after 1 h, burn 1 min after reading',
      ],
    ]);
    const atAlice = (await alice.messages('bob')).filter((m) => m.notice !== undefined);
    expect(atAlice.map((m) => [m.outgoing, m.notice])).toEqual([
      [
        true,
        {
          kind: 'timersChanged',
          actor: { accountId: alice.accountId, username: 'alice', nameHint: null, isSelf: true },
          timers,
        },
      ],
    ]);
    // A notice is not a message: the next sync does not report it and nothing counts it unread.
    expect(await bob.sync()).toEqual([]);
    expect((await bob.conversations()).find((c) => c.id === alice.accountId)?.unreadCount).toBe(1);
  });
});

function newRoomId(): string {
  return crypto.randomUUID();
}
