// libsignal on the encrypted database: a full PQXDH session and a sender-key group exchange between
// two profiles in two database files, continued after closing and reopening both.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  CiphertextMessageType,
  Direction,
  IdentityChange,
  IdentityKeyPair,
  ProtocolAddress,
  PrivateKey,
  SenderKeyDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProfile, openProfile, type Profile } from '../../../core/profile/index';
import { SignalPeer } from '../../helpers/store/signalPeer';
import { passphraseChoice, tempDir } from '../../helpers/store/tempProfile';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('libsignal stores on the encrypted database', () => {
  let dir: string;
  let cleanup: () => void;
  const open: Profile[] = [];
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('wisp-signal-'));
  });
  afterEach(() => {
    for (const p of open.splice(0)) if (p.store.isOpen) p.close();
    cleanup();
  });

  async function newPeer(name: string): Promise<SignalPeer> {
    const profile = await createProfile(join(dir, name), passphraseChoice(name));
    open.push(profile);
    SignalPeer.initIdentity(profile);
    return new SignalPeer(profile);
  }

  async function reopen(peer: SignalPeer, name: string): Promise<SignalPeer> {
    peer.profile.close();
    const profile = await openProfile(join(dir, name), passphraseChoice(name));
    open.push(profile);
    return new SignalPeer(profile);
  }

  it('runs PQXDH and a sender-key group, then continues both after closing and reopening the two profiles', async () => {
    let alice = await newPeer('alice');
    let bob = await newPeer('bob');
    const bobAddress = bob.address;
    const aliceAddress = alice.address;

    // PQXDH: Alice processes Bob's bundle (with its Kyber prekey) and sends a PreKey message.
    await alice.startSession(bobAddress, await bob.bundle({ preKey: 1, signed: 1, kyber: 1 }));
    const first = await alice.encrypt(bobAddress, 'hello bob');
    expect(first.type).toBe(CiphertextMessageType.PreKey);
    expect(await bob.decrypt(aliceAddress, first)).toBe('hello bob');
    // One-time prekeys are consumed: the classic one and the one-time Kyber one.
    expect(bob.profile.store.signal.getPreKey(1)).toBeUndefined();
    expect(bob.profile.store.signal.getKyberPreKey(1)).toBeUndefined();
    const reply = await bob.encrypt(aliceAddress, 'hi alice');
    expect(reply.type).toBe(CiphertextMessageType.Whisper);
    expect(await alice.decrypt(bobAddress, reply)).toBe('hi alice');
    // Both identities were recorded in contacts by trust on first use.
    expect(alice.profile.store.contacts.get(bobAddress.name())?.identityKey).not.toBeNull();
    expect(bob.profile.store.contacts.get(aliceAddress.name())?.identityKey).not.toBeNull();

    // Sender keys: Alice distributes hers to Bob over the 1:1 session, then sends to the group.
    const room = randomUUID();
    const distribution = await SenderKeyDistributionMessage.create(
      aliceAddress,
      room,
      alice.stores.senderKey,
    );
    const carried = await alice.encrypt(bobAddress, Buffer.from(distribution.serialize()).toString('base64'));
    const received = SenderKeyDistributionMessage.deserialize(
      new Uint8Array(Buffer.from(await bob.decrypt(aliceAddress, carried), 'base64')),
    );
    await processSenderKeyDistributionMessage(aliceAddress, received, bob.stores.senderKey);
    const groupMessage = await groupEncrypt(aliceAddress, room, alice.stores.senderKey, bytes('to the room'));
    expect(text(await groupDecrypt(aliceAddress, bob.stores.senderKey, groupMessage.serialize()))).toBe(
      'to the room',
    );

    // Close both databases, reopen from disk, continue where they were.
    alice = await reopen(alice, 'alice');
    bob = await reopen(bob, 'bob');
    const afterReopen = await alice.encrypt(bobAddress, 'still there?');
    expect(afterReopen.type).toBe(CiphertextMessageType.Whisper);
    expect(await bob.decrypt(aliceAddress, afterReopen)).toBe('still there?');
    expect(await alice.decrypt(bobAddress, await bob.encrypt(aliceAddress, 'yes'))).toBe('yes');
    const groupAgain = await groupEncrypt(
      aliceAddress,
      room,
      alice.stores.senderKey,
      bytes('room after reopen'),
    );
    expect(text(await groupDecrypt(aliceAddress, bob.stores.senderKey, groupAgain.serialize()))).toBe(
      'room after reopen',
    );

    // Bob's sender key, created after the reopen, reaches Alice the same way.
    const bobDistribution = await SenderKeyDistributionMessage.create(bobAddress, room, bob.stores.senderKey);
    await processSenderKeyDistributionMessage(
      bobAddress,
      SenderKeyDistributionMessage.deserialize(bobDistribution.serialize()),
      alice.stores.senderKey,
    );
    const fromBob = await groupEncrypt(bobAddress, room, bob.stores.senderKey, bytes('bob to the room'));
    expect(text(await groupDecrypt(bobAddress, alice.stores.senderKey, fromBob.serialize()))).toBe(
      'bob to the room',
    );

    // getExistingSessions: every address must have a session.
    expect(await alice.stores.session.getExistingSessions([bobAddress])).toHaveLength(1);
    await expect(
      alice.stores.session.getExistingSessions([bobAddress, ProtocolAddress.new(randomUUID(), 1)]),
    ).rejects.toMatchObject({
      kind: 'NotFound',
    });
  });

  it('keeps a last-resort Kyber prekey after use but refuses the same base key twice', async () => {
    const bob = await newPeer('bob');
    await bob.bundle({ preKey: 5, signed: 5, kyber: 9 }, { kyberLastResort: true });
    const baseKey = PrivateKey.generate().getPublicKey();
    await bob.stores.kyberPreKey.markKyberPreKeyUsed(9, 5, baseKey);
    expect(bob.profile.store.signal.getKyberPreKey(9)?.lastResort).toBe(true);
    await bob.stores.kyberPreKey.markKyberPreKeyUsed(9, 5, PrivateKey.generate().getPublicKey());
    await expect(bob.stores.kyberPreKey.markKyberPreKeyUsed(9, 5, baseKey)).rejects.toMatchObject({
      kind: 'DecryptionFailed',
    });
    await expect(bob.stores.preKey.getPreKey(404)).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('records an identity key change, un-verifies the contact, and refuses the new key for sending until saved', async () => {
    const alice = await newPeer('alice');
    const bob = ProtocolAddress.new(randomUUID(), 1);
    const original = IdentityKeyPair.generate().publicKey;
    const replacement = IdentityKeyPair.generate().publicKey;
    const { identity } = alice.stores;
    expect(await identity.isTrustedIdentity(bob, original, Direction.Sending)).toBe(true); // first use
    expect(await identity.saveIdentity(bob, original)).toBe(IdentityChange.NewOrUnchanged);
    alice.profile.store.contacts.setVerified(bob.name(), true);
    expect(await identity.isTrustedIdentity(bob, replacement, Direction.Sending)).toBe(false);
    expect(await identity.isTrustedIdentity(bob, replacement, Direction.Receiving)).toBe(true);
    expect(await identity.saveIdentity(bob, replacement)).toBe(IdentityChange.ReplacedExisting);
    expect(alice.profile.store.contacts.get(bob.name())).toMatchObject({
      verified: false,
      identityChanged: true,
    });
    expect((await identity.getIdentity(bob))?.serialize()).toEqual(replacement.serialize());
    expect(await identity.isTrustedIdentity(bob, replacement, Direction.Sending)).toBe(true);
  });
});
