// A room at full size (the creator and 499 others) made through the real relay with its DEFAULT
// directory limits (username lookups, prekey bundles): the creator is the real engine, the members
// are light libsignal clients (tests/helpers/relay/signalUser.ts). Only the per-address registration
// limit is lifted, because this one process registers 499 accounts from one address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Aci,
  CiphertextMessageType,
  ProtocolAddress,
  groupDecrypt,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
} from '@signalapp/libsignal-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeContent, type Content } from '../../../common/content';
import { Engine } from '../../../core/engine';
import type { Store } from '../../../core/store';
import { startRelay, type RunningRelay } from '../../../relay/index';
import { DEFAULT_LIMITS } from '../../../relay/config';
import { SignalUser, bytes } from '../../helpers/relay/signalUser';
import { testKeyStore } from '../../helpers/engine/fixtures';

const MEMBERS = 499;

/** One pairwise (sealed sender v1) envelope, opened and decoded as wisp content. */
async function openDirect(user: SignalUser, payload: string): Promise<Content> {
  const r = await sealedSenderDecryptMessage(
    bytes(payload),
    user.trustRoot,
    Date.now(),
    null,
    user.accountId,
    1,
    user.stores.session,
    user.stores.identityStore,
    user.stores.preKey,
    user.stores.signed,
    user.stores.kyber,
  );
  return decodeContent(r.message());
}

/** One room (multi-recipient, sender key) envelope, opened and decoded as wisp content. */
async function openRoom(user: SignalUser, payload: string): Promise<{ sender: string; content: Content }> {
  const usmc = await sealedSenderDecryptToUsmc(bytes(payload), user.stores.identityStore);
  const cert = usmc.senderCertificate();
  expect(cert.validate(user.trustRoot, Date.now())).toBe(true);
  expect(usmc.msgType()).toBe(Number(CiphertextMessageType.SenderKey));
  const sender = ProtocolAddress.new(Aci.fromUuid(cert.senderUuid()), 1);
  const plain = await groupDecrypt(sender, user.stores.senderKey, usmc.contents());
  return { sender: cert.senderUuid(), content: decodeContent(plain) };
}

describe('a room of 499 contacts never looked up, under the relay default limits', () => {
  let root: string;
  let relay: RunningRelay;
  let creator: Engine;
  let roomId: string;
  const members: SignalUser[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'wisp-full-room-'));
    relay = await startRelay({
      port: 0,
      dataDir: join(root, 'relay'),
      logger: false,
      // Only registrations per address are lifted (one test process registers 499 accounts);
      // username lookups, bundle fetches and the batch allowances keep their defaults.
      limits: { rates: { registrations: { burst: 1000, perSecond: 1000 } } },
    });
    for (let i = 0; i < MEMBERS; i++) {
      members.push(await SignalUser.register(relay.url, { username: `member${i}`, preKeys: 1 }));
    }
    creator = await Engine.create({
      profileDir: join(root, 'creator'),
      keystore: testKeyStore(),
      relayUrl: relay.url,
      username: 'creator',
    });
  }, 300_000);

  afterAll(async () => {
    await creator?.close().catch(() => undefined);
    for (const m of members) await m.client.close().catch(() => undefined);
    await relay?.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('is created without a rate-limit error and its first message reaches every member', async () => {
    // The limits in force are the defaults the known gap was about.
    expect(DEFAULT_LIMITS.rates.usernameLookups).toEqual({ burst: 100, perSecond: 2 });
    expect(DEFAULT_LIMITS.rates.bundleFetches).toEqual({ burst: 100, perSecond: 1 });
    const room = await creator.createRoom(
      'everyone',
      members.map((_, i) => `member${i}`),
    );
    expect(room.members).toHaveLength(MEMBERS);
    roomId = room.id;
    await creator.sendToRoom(room.id, 'hello, all 499 of you');

    const distinct = new Set<string>();
    for (const m of members) {
      // In order on each member's queue: our sender key (pairwise), then the room's creation
      // update sealed once for all members under that key, then the message.
      const key = await openDirect(m, (await m.client.nextEnvelope(60_000)).payload);
      if (key.type !== 'sender-key') throw new Error(`expected a sender key, got ${key.type}`);
      expect(key.roomId).toBe(room.id);
      await m.acceptSenderKeyDistribution(creator.accountId as never, bytes(key.distribution));
      const update = await openRoom(m, (await m.client.nextEnvelope(60_000)).payload);
      expect(update.sender).toBe(creator.accountId);
      if (update.content.type !== 'room.update')
        throw new Error(`expected the room update, got ${update.content.type}`);
      expect(update.content.action).toBe('create');
      expect(update.content.members).toHaveLength(MEMBERS + 1);
      const { sender, content } = await openRoom(m, (await m.client.nextEnvelope(60_000)).payload);
      expect(sender).toBe(creator.accountId);
      if (content.type !== 'text') throw new Error(`expected text, got ${content.type}`);
      expect(content.text).toBe('hello, all 499 of you');
      distinct.add(m.accountId);
    }
    expect(distinct.size).toBe(MEMBERS);
  }, 300_000);

  it("stops a send to the full room when one member's key changed, until the user accepts it", async () => {
    // The gate of a large room reads every contact at once: a change on one member still stops it.
    const store = (creator as unknown as { store: Store }).store;
    const changed = members[250]!.accountId;
    store.contacts.recordIdentityChange(changed, store.contacts.get(changed)!.identityKey!, Date.now());
    await expect(creator.sendToRoom(roomId, 'stopped')).rejects.toMatchObject({ kind: 'IdentityChanged' });
    expect((await creator.messages(roomId)).map((m) => m.text)).not.toContain('stopped');
    const sent = await creator.sendToRoom(roomId, 'accepted', { acceptIdentityChange: true });
    expect(sent.state).toBe('sent');
    expect(store.contacts.get(changed)?.identityChanged).toBe(false);
  }, 120_000);
});
