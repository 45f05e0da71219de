// End-to-end engine behaviour with a real relay on port 0 and real profiles (SQLCipher, libsignal):
// 1:1 both ways, offline delivery, the outbox across a relay outage, rooms, attachments, receipts,
// identity changes and tampered envelopes.
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createWorld,
  recordEvents,
  takeOverUsername,
  testKeyStore,
  type TestWorld,
} from '../../helpers/engine/fixtures';
import { startTamperProxy, type TamperProxy } from '../../helpers/engine/tamperProxy';
import { Engine } from '../../../core/engine';
import { openProfile } from '../../../core/profile';
import { INBOX_MARK_SKEW_MS } from '../../../core/store/repos/inboxRepo';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

/** Runs `fn` with `name`'s existing profile connected through a tamper proxy; closes both after. */
async function throughProxy(
  name: string,
  fn: (engine: Engine, proxy: TamperProxy) => Promise<void>,
): Promise<TamperProxy> {
  const proxy = await startTamperProxy(world.relayUrl);
  try {
    const engine = await Engine.open({
      profileDir: world.profileDir(name),
      keystore: testKeyStore(),
      relayUrl: proxy.url,
    });
    try {
      await fn(engine, proxy);
    } finally {
      await engine.close();
    }
  } finally {
    await proxy.close();
  }
  return proxy;
}

describe('1:1 messaging', () => {
  it('delivers text both ways with sender names, and marks delivery and read on the sender', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');

    const sent = await alice.sendText('bob', 'hello bob');
    expect(sent.state).toBe('sent');
    const atBob = await bob.sync();
    expect(atBob.map((m) => [m.id, m.text, m.from])).toEqual([[sent.id, 'hello bob', 'alice']]);

    const reply = await bob.sendText('alice', 'hi alice');
    const atAlice = await alice.sync();
    expect(atAlice.map((m) => [m.id, m.text, m.from])).toEqual([[reply.id, 'hi alice', 'bob']]);
    // Bob's delivery receipt arrived with his reply.
    expect((await alice.messages('bob')).find((m) => m.id === sent.id)?.state).toBe('delivered');

    await bob.markSeen(sent.id);
    await bob.sync();
    await alice.sync();
    expect((await alice.messages('bob')).find((m) => m.id === sent.id)?.state).toBe('read');
    expect((await alice.messages('bob')).map((m) => m.text)).toEqual(['hello bob', 'hi alice']);
  });

  it('sends no delivery or read receipts when they are turned off', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.setReceiptSettings({ deliveryReceipts: false, readReceipts: false });
    const sent = await alice.sendText('bob', 'quiet please');
    await bob.sync();
    await bob.markSeen(sent.id);
    await bob.sync();
    await alice.sync();
    expect((await alice.messages('bob'))[0]?.state).toBe('sent');
  });

  it('seals every 1:1 message: the relay learns the recipient, never the sender or the content', async () => {
    const proxy = await startTamperProxy(world.relayUrl);
    try {
      const alice = await Engine.create({
        profileDir: world.profileDir('alice'),
        keystore: testKeyStore(),
        relayUrl: proxy.url,
        username: 'alice',
      });
      const bob = await world.create('bob');
      try {
        await alice.sendText('bob', 'secret words');
        await alice.sendText('bob', 'more secret words');
        expect((await bob.sync()).map((m) => m.from)).toEqual(['alice', 'alice']);
        const sends = proxy.clientFrames
          .map((f) => JSON.parse(f) as { op: string; body: Record<string, unknown> })
          .filter((f) => f.op === 'message.send');
        expect(sends).toHaveLength(2);
        const idBytes = Buffer.from(alice.accountId.replace(/-/g, ''), 'hex');
        for (const { body } of sends) {
          expect(Object.keys(body).sort()).toEqual(['payload', 'to']);
          expect(body.to).toBe(bob.accountId);
          const payload = Buffer.from(body.payload as string, 'base64');
          for (const needle of [
            idBytes,
            Buffer.from(alice.accountId),
            Buffer.from('alice'),
            Buffer.from('secret'),
          ]) {
            expect(payload.includes(needle)).toBe(false);
          }
        }
      } finally {
        await alice.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it('reports in the next sync a message that arrived while another command held the connection', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.close();
    const sent = await alice.sendText('bob', 'arrives during your send');
    const bobSending = await world.open('bob');
    await bobSending.sendText('alice', 'my own news'); // its connection receives alice's message
    await bobSending.close();
    const bobSyncing = await world.open('bob');
    expect((await bobSyncing.sync()).map((m) => m.id)).toEqual([sent.id]);
    expect(await bobSyncing.sync()).toEqual([]);
  });

  it('delivers to a recipient who was offline when the message was sent', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.close();
    const sent = await alice.sendText('bob', 'while you were away');
    const bobAgain = await world.open('bob');
    const got = await bobAgain.sync();
    expect(got.map((m) => m.id)).toEqual([sent.id]);
  });

  it('keeps a message written while the relay is down in the outbox and sends it when the relay is back', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'first'); // session and contact exist
    await bob.sync();
    await world.stopRelay();
    const pending = await alice.sendText('bob', 'written offline');
    expect(pending.state).toBe('pending');
    await alice.close();
    await world.restartRelay();
    const aliceAgain = await world.open('alice');
    await aliceAgain.sync();
    expect((await aliceAgain.messages('bob')).find((m) => m.id === pending.id)?.state).toBe('sent');
    await bob.close();
    const bobAgain = await world.open('bob');
    expect((await bobAgain.sync()).map((m) => m.text)).toEqual(['written offline']);
  });

  it('sends a queue longer than one outbox batch, in order, once the relay is back', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'first');
    await bob.sync();
    await bob.close();
    await world.stopRelay();
    const texts = Array.from({ length: 120 }, (_, i) => `queued ${i}`);
    for (const text of texts) expect((await alice.sendText('bob', text)).state).toBe('pending');
    await alice.close();
    await world.restartRelay();
    const aliceAgain = await world.open('alice');
    await aliceAgain.sync();
    const states = (await aliceAgain.messages('bob')).filter((m) => m.text.startsWith('queued'));
    expect(states.map((m) => m.state)).toEqual(texts.map(() => 'sent'));
    const bobAgain = await world.open('bob');
    expect((await bobAgain.sync()).map((m) => m.text)).toEqual(texts);
  });

  it('stops a send to a username that moved to a new identity until the user accepts it, then sends unverified', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'hi');
    await bob.sync();
    await alice.setVerified('bob', true);
    expect((await alice.safetyNumber('bob')).verified).toBe(true);

    // Bob loses his device: a new identity takes over the name.
    const bob2 = await takeOverUsername(world, bob, 'bob');
    try {
      const events = recordEvents(alice);
      await expect(alice.sendText('bob', 'is that you?')).rejects.toMatchObject({ kind: 'IdentityChanged' });
      expect(events.some((e) => e.type === 'identity.changed')).toBe(true);
      expect(await bob2.sync()).toEqual([]);
      await alice.sendText('bob', 'is that you?', { acceptIdentityChange: true });
      const number = await alice.safetyNumber('bob');
      expect(number).toMatchObject({ accountId: bob2.accountId, verified: false });
      // Re-verifying the new holder works like for any contact.
      await alice.setVerified('bob', true);
      expect((await alice.safetyNumber('bob')).verified).toBe(true);
      expect((await bob2.sync()).map((m) => m.text)).toEqual(['is that you?']);
    } finally {
      await bob2.close();
    }
  });

  it('shows the new identity behind a known name that writes first only as an unconfirmed hint', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'hi');
    await bob.sync();
    await alice.setVerified('bob', true);
    const bob2 = await takeOverUsername(world, bob, 'bob');
    try {
      await bob2.sendText('alice', 'new phone, same me');
      expect((await alice.sync()).map((m) => [m.from, m.fromNameHint, m.text])).toEqual([
        [bob2.accountId, 'bob', 'new phone, same me'],
      ]);
      // "bob" still means the Bob alice verified, until she accepts the change on a send.
      expect(await alice.safetyNumber('bob')).toMatchObject({
        accountId: bob.accountId,
        identityChanged: false,
        verified: true,
      });
    } finally {
      await bob2.close();
    }
  });

  it('refuses a taken username without leaving a half profile behind', async () => {
    await world.create('alice');
    const dir = join(world.root, 'second');
    const attempt = Engine.create({
      profileDir: dir,
      keystore: testKeyStore(),
      relayUrl: world.relayUrl,
      username: 'ALICE',
    });
    await expect(attempt).rejects.toMatchObject({ kind: 'UsernameTaken' });
    const retry = await Engine.create({
      profileDir: dir,
      keystore: testKeyStore(),
      relayUrl: world.relayUrl,
      username: 'alice2',
    });
    expect(retry.username).toBe('alice2');
    await retry.close();
  });

  it('shows the same safety number on both sides', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'hi');
    await bob.sync();
    const a = await alice.safetyNumber('bob');
    const b = await bob.safetyNumber('alice');
    expect(a.digits).toMatch(/^\d{60}$/);
    expect(a.digits).toBe(b.digits);
  });

  it('resets a session that no longer decrypts (a ratchet restored from an older copy) and tells both sides', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'one');
    await bob.sync();
    await bob.close();
    const bobDir = world.profileDir('bob');
    const oldCopy = join(world.root, 'bob-old-copy');
    cpSync(bobDir, oldCopy, { recursive: true });

    // The conversation moves on: bob's ratchet turns, alice encrypts to the new ratchet key.
    const bobLater = await world.open('bob');
    await bobLater.sendText('alice', 'two');
    await alice.sync();
    await alice.sendText('bob', 'three');
    expect((await bobLater.sync()).map((m) => m.text)).toEqual(['three']);
    await bobLater.close();

    // Bob's device comes back from the older copy.
    rmSync(bobDir, { recursive: true, force: true });
    cpSync(oldCopy, bobDir, { recursive: true });
    const oldBob = await world.open('bob');
    const bobEvents = recordEvents(oldBob);
    const aliceEvents = recordEvents(alice);
    const lost = await alice.sendText('bob', 'four');
    expect((await oldBob.sync()).some((m) => m.id === lost.id)).toBe(false);
    expect(bobEvents).toContainEqual({ type: 'session.reset', accountId: alice.accountId });
    await alice.sync();
    expect(aliceEvents).toContainEqual({ type: 'session.reset', accountId: oldBob.accountId });

    const after = await alice.sendText('bob', 'five');
    expect((await oldBob.sync()).map((m) => m.id)).toEqual([after.id]);
    const back = await oldBob.sendText('alice', 'six');
    expect((await alice.sync()).map((m) => m.id)).toEqual([back.id]);
  });

  it('keeps an inbox mark until the relay confirms the acknowledgement, then keeps nothing', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const bobDir = world.profileDir('bob');
    await bob.close();
    const sent = [
      await alice.sendText('bob', 'one'),
      await alice.sendText('bob', 'two'),
      await alice.sendText('bob', 'three'),
    ];
    const marksHeld = async (): Promise<number> => {
      const profile = await openProfile(bobDir, testKeyStore());
      try {
        return profile.store.inbox.count();
      } finally {
        profile.close();
      }
    };

    // The acknowledgements are lost: the relay keeps the envelopes, so bob must keep their marks.
    const proxy = await throughProxy('bob', async (bobViaProxy, proxy) => {
      proxy.loseAcks();
      expect((await bobViaProxy.sync()).map((m) => m.id)).toEqual(sent.map((m) => m.id));
    });
    expect(proxy.acksLost).toBeGreaterThan(0);
    expect(await marksHeld()).toBe(3);

    // The relay delivers them again: recognised (nothing new, nothing doubled), acknowledged, and
    // once the relay confirms, the marks are gone: no trace of when anything arrived.
    const bobAgain = await world.open('bob');
    const events = recordEvents(bobAgain);
    expect(await bobAgain.sync()).toEqual([]);
    expect((await bobAgain.messages('alice')).map((m) => m.id)).toEqual(sent.map((m) => m.id));
    expect(events.filter((e) => e.type === 'message.added')).toEqual([]);
    await bobAgain.close();
    expect(await marksHeld()).toBe(0);
  });

  it('sweeps at start-up the inbox marks whose envelopes the relay can no longer deliver', async () => {
    const bob = await world.create('bob');
    const bobDir = world.profileDir('bob');
    await bob.close();
    const now = Date.now();
    const profile = await openProfile(bobDir, testKeyStore());
    profile.store.inbox.markProcessed('long-expired', now - INBOX_MARK_SKEW_MS - 1);
    profile.store.inbox.markProcessed('still-deliverable', now + 60_000);
    profile.close();

    await (await world.open('bob')).close();

    const after = await openProfile(bobDir, testKeyStore());
    try {
      expect(after.store.inbox.isProcessed('long-expired')).toBe(false);
      expect(after.store.inbox.isProcessed('still-deliverable')).toBe(true);
    } finally {
      after.close();
    }
  });

  it('sends a burst to a username it never looked up with one lookup, so none is refused', async () => {
    await (await world.create('bob')).close();
    const aliceSetup = await world.create('alice');
    await aliceSetup.close();
    await throughProxy('alice', async (alice, proxy) => {
      // More than the relay's username-lookup burst (100): one lookup each would be refused.
      const sent = await Promise.all(
        Array.from({ length: 150 }, (_, i) => alice.sendText('bob', `burst ${i}`)),
      );
      expect(sent.every((m) => m.state === 'sent')).toBe(true);
      const lookups = proxy.clientFrames.filter((f) => f.includes('"op":"username.lookup"'));
      expect(lookups).toHaveLength(1);
    });
  });

  it('rejects a tampered envelope without breaking the session', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.sendText('bob', 'one');
    await bob.sync();
    await bob.sendText('alice', 'two');
    await alice.sync();
    await bob.close();

    await throughProxy('bob', async (bobViaProxy, proxy) => {
      proxy.tamperNextEnvelope();
      const forged = await alice.sendText('bob', 'three (tampered in transit)');
      expect(await bobViaProxy.sync()).toEqual([]);
      expect(proxy.tampered).toBe(1);
      expect((await bobViaProxy.messages('alice')).some((m) => m.id === forged.id)).toBe(false);

      const after = await alice.sendText('bob', 'four');
      expect((await bobViaProxy.sync()).map((m) => m.id)).toEqual([after.id]);
      const back = await bobViaProxy.sendText('alice', 'five');
      expect((await alice.sync()).map((m) => m.id)).toEqual([back.id]);
    });
  });
});

describe('rooms', () => {
  it('delivers in a room of five, and a removed member gets nothing after a new sender key', async () => {
    const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const [alice, bob, carol, dave, erin] = await Promise.all(names.map((n) => world.create(n)));
    // A room from someone who is not a contact would be a request: the members know alice.
    for (const member of [bob, carol, dave, erin]) await member!.lookup('alice');
    const room = await alice!.createRoom('five', ['bob', 'carol', 'dave', 'erin']);
    expect(room.members.sort()).toEqual(['bob', 'carol', 'dave', 'erin']);

    const hello = await alice!.sendToRoom(room.id, 'hello room');
    for (const member of [bob, carol, dave, erin]) {
      const got = await member!.sync();
      expect(got.map((m) => [m.id, m.text, m.from, m.conversationId])).toEqual([
        [hello.id, 'hello room', 'alice', room.id],
      ]);
      expect((await member!.conversations()).find((c) => c.id === room.id)?.members.sort()).toEqual(
        names.filter((n) => n !== names[[bob, carol, dave, erin].indexOf(member) + 1]).sort(),
      );
    }

    const fromCarol = await carol!.sendToRoom(room.id, 'carol here');
    for (const member of [alice, bob, dave, erin]) {
      expect((await member!.sync()).map((m) => m.id)).toEqual([fromCarol.id]);
    }
    // Members' delivery receipts came back pairwise to the sender.
    expect((await alice!.messages(room.id)).find((m) => m.id === hello.id)?.state).toBe('delivered');

    await alice!.removeRoomMember(room.id, 'erin');
    const secret = await alice!.sendToRoom(room.id, 'erin is gone');
    for (const member of [bob, carol, dave]) {
      expect((await member!.sync()).map((m) => m.text)).toEqual(['erin is gone']);
    }
    const erinGot = await erin!.sync();
    expect(erinGot.some((m) => m.id === secret.id)).toBe(false);
    expect((await erin!.conversations()).find((c) => c.id === room.id)?.left).toBe(true);

    // Bob's view after the removal still works with his own (unchanged) sender key.
    const bobMsg = await bob!.sendToRoom(room.id, 'still here');
    expect((await dave!.sync()).map((m) => m.id)).toEqual([bobMsg.id]);
  });

  it('stops sending to a member who left, and a member added later gets only later messages', async () => {
    const [alice, bob, carol, dave] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((n) => world.create(n)),
    );
    for (const member of [bob, carol, dave]) await member!.lookup('alice');
    const room = await alice!.createRoom('changing', ['bob', 'carol']);
    await alice!.sendToRoom(room.id, 'before');
    await bob!.sync();
    await carol!.sync();

    await carol!.leaveRoom(room.id);
    await alice!.sync();
    await bob!.sync();
    expect((await alice!.conversations()).find((c) => c.id === room.id)?.members).toEqual(['bob']);
    await expect(carol!.sendToRoom(room.id, 'let me back')).rejects.toMatchObject({ kind: 'InvalidInput' });

    await alice!.addRoomMembers(room.id, ['dave']);
    const after = await alice!.sendToRoom(room.id, 'after');
    expect((await bob!.sync()).map((m) => m.text)).toEqual(['after']);
    expect((await dave!.sync()).map((m) => m.text)).toEqual(['after']);
    expect((await carol!.sync()).some((m) => m.id === after.id)).toBe(false);

    const fromDave = await dave!.sendToRoom(room.id, 'dave here');
    expect((await bob!.sync()).map((m) => m.id)).toEqual([fromDave.id]);
    expect((await alice!.sync()).map((m) => m.id)).toEqual([fromDave.id]);
  });

  it('renames a room and shares default timers with every member', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.lookup('alice');
    const room = await alice.createRoom('old', ['bob']);
    await alice.renameRoom(room.id, 'new name');
    await alice.setConversationTimers(room.id, { expireAfterMs: 3_600_000, burnAfterMs: 60_000 });
    await bob.sync();
    const seen = (await bob.conversations()).find((c) => c.id === room.id);
    expect(seen?.title).toBe('new name');
    expect(seen?.defaultTimers).toEqual({ expireAfterMs: 3_600_000, burnAfterMs: 60_000 });
    const m = await bob.sendToRoom(room.id, 'uses the default');
    expect([m.expireAfterMs, m.burnAfterMs]).toEqual([3_600_000, 60_000]);
  });
});

describe('attachments', () => {
  it('sends a 10 MB file that arrives byte for byte', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const file = join(world.root, 'big.bin');
    const data = randomBytes(10 * 1024 * 1024);
    writeFileSync(file, data);
    const sent = await alice.sendText('bob', 'the file', { file });
    expect(sent.attachments).toHaveLength(1);
    const [got] = await bob.sync();
    expect(got?.attachments[0]).toMatchObject({ fileName: 'big.bin', size: data.length, downloaded: false });
    const out = join(world.root, 'out.bin');
    await bob.saveAttachment(got!.id, got!.attachments[0]!.id, out);
    expect(readFileSync(out).equals(data)).toBe(true);
    expect((await bob.messages('alice'))[0]?.attachments[0]?.downloaded).toBe(true);
  });
});
