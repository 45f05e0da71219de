// The relay on PostgreSQL: the same behaviours as on SQLite, and scale-out — two relay processes
// on one database share accounts, prekeys and mailboxes (and one offline trust root), and a message sent through node A reaches
// a client connected to node B live (LISTEN/NOTIFY). Skips without WISP_TEST_PG, fails under CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { runKeygen, spawnRelay, stopRelay, type RelayProcess } from '../helpers/relay/relayProcess';
import { PG_URL, dropSchema, freshSchema, skipPostgres } from '../helpers/relay/postgres';

const skip = skipPostgres();

describe.skipIf(skip)('relay on PostgreSQL (one node, in-process)', () => {
  const schema = freshSchema();
  let now = Date.now();
  let relay: RunningRelay;
  beforeAll(async () => {
    relay = await startRelay({
      port: 0,
      logger: false,
      databaseUrl: PG_URL,
      databaseSchema: schema,
      now: () => now,
    });
  });
  afterAll(async () => {
    await relay?.close();
    await dropSchema(schema);
  });

  it('registers, looks up, fetches bundles, delivers, redelivers and acknowledges', async () => {
    expect(relay.storageKind).toBe('postgres');
    const name = `pg_${randomBytes(4).toString('hex')}`;
    const alice = await SignalUser.register(relay.url, { preKeys: 1 });
    const bob = await SignalUser.register(relay.url, { username: name, preKeys: 1 });
    expect((await alice.client.call('username.lookup', { username: name.toUpperCase() })).accountId).toBe(
      bob.accountId,
    );
    await expect(alice.client.call('username.set', { username: name })).rejects.toMatchObject({
      kind: 'UsernameTaken',
    });
    await alice.startSession(bob.accountId);
    expect(await bob.client.call('prekeys.count', {})).toMatchObject({ preKeys: 0, kyberPreKeys: 0 });
    await bob.client.drainQueue();

    const sent = await alice.client.call('message.send', {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'pg live'),
    });
    const live = await bob.client.nextEnvelope();
    expect(live.id).toBe(sent.envelopeId);
    expect(await bob.open(live.payload)).toEqual({ sender: alice.accountId, text: 'pg live' });

    await bob.client.close();
    const ids = [sent.envelopeId];
    for (const t of ['one', 'two', 'three'])
      ids.push(
        (
          await alice.client.call('message.send', {
            to: bob.accountId,
            payload: await alice.seal(bob.accountId, t),
          })
        ).envelopeId,
      );
    const c = await bob.reconnect(relay.url, true);
    expect((await c.drainQueue()).map((e) => e.id)).toEqual(ids);
    expect((await c.call('message.ack', { ids })).deleted).toBe(4);
    expect(await c.call('account.info', {})).toMatchObject({ queuedEnvelopes: 0, messagesReceived: 4 });
    await c.close();
    await alice.client.close();
  });

  it('splits multi-recipient messages, stores attachments and purges at expiry', async () => {
    const alice = await SignalUser.register(relay.url);
    const members = [await SignalUser.register(relay.url), await SignalUser.register(relay.url)];
    const dist = randomUUID();
    const skdm = await alice.createSenderKeyDistribution(dist);
    for (const m of members) {
      await alice.startSession(m.accountId);
      await m.acceptSenderKeyDistribution(alice.accountId, skdm.serialize());
      await m.client.drainQueue();
    }
    const res = await alice.client.call('message.sendMulti', {
      payload: await alice.sealForRoom(
        dist,
        members.map((m) => m.accountId),
        'pg room',
      ),
      expiresAt: now + 30_000,
    });
    expect(res.delivered).toHaveLength(2);
    for (const m of members)
      expect((await m.openRoom((await m.client.nextEnvelope()).payload)).text).toBe('pg room');

    const blob = randomBytes(700_000);
    const att = await alice.client.call('attachment.create', { size: blob.length, expiresAt: now + 30_000 });
    const put = await fetch(`${relay.httpUrl}${att.uploadPath}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${att.uploadToken}`, 'content-type': 'application/octet-stream' },
      body: blob,
    });
    expect(put.status).toBe(200);
    expect(
      Buffer.from(await (await fetch(`${relay.httpUrl}${att.uploadPath}`)).arrayBuffer()).equals(blob),
    ).toBe(true);

    now += 3_660_000; // past the deadlines, stored rounded up to the next whole hour
    expect(await relay.purgeExpired()).toEqual({ envelopes: 2, attachments: 1 });
    expect((await fetch(`${relay.httpUrl}${att.uploadPath}`)).status).toBe(404);
    for (const u of [alice, ...members]) await u.client.close();
  });
});

describe.skipIf(skip)('two relay processes on one PostgreSQL', () => {
  const schema = freshSchema();
  let nodeA: RelayProcess;
  let nodeB: RelayProcess;
  const keyDir = mkdtempSync(join(tmpdir(), 'wisp-relay-keys-'));
  beforeAll(async () => {
    // One offline trust root; each node gets its own server key (key ids 1 and 2) signed by it.
    await runKeygen(join(keyDir, 'root.json'), join(keyDir, 'a.json'));
    await runKeygen(join(keyDir, 'root.json'), join(keyDir, 'b.json'));
    // Started together: migrations must run exactly once.
    [nodeA, nodeB] = await Promise.all([
      spawnRelay(['--database', PG_URL!, '--schema', schema, '--server-key', join(keyDir, 'a.json')]),
      spawnRelay(['--database', PG_URL!, '--schema', schema, '--server-key', join(keyDir, 'b.json')]),
    ]);
  });
  afterAll(async () => {
    if (nodeA) await stopRelay(nodeA);
    if (nodeB) await stopRelay(nodeB);
    await dropSchema(schema);
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('shares one sealed-sender trust root (each node with its own server key)', async () => {
    const a = await SignalUser.register(nodeA.url);
    const b = await SignalUser.register(nodeB.url);
    expect(Buffer.from(a.trustRoot.serialize()).equals(Buffer.from(b.trustRoot.serialize()))).toBe(true);
    await a.client.close();
    await b.client.close();
  });

  it('delivers a message sent through node A live to a client connected to node B, and back', async () => {
    const alice = await SignalUser.register(nodeA.url);
    const bob = await SignalUser.register(nodeB.url);
    await bob.client.drainQueue();
    await alice.client.drainQueue();
    await alice.startSession(bob.accountId);

    await alice.client.call('message.send', {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'A to B'),
    });
    const atB = await bob.client.nextEnvelope();
    expect(await bob.open(atB.payload)).toEqual({ sender: alice.accountId, text: 'A to B' });
    await bob.client.call('message.ack', { ids: [atB.id] });

    await bob.client.call('message.send', {
      to: alice.accountId,
      payload: await bob.seal(alice.accountId, 'B to A'),
    });
    const atA = await alice.client.nextEnvelope();
    expect(await alice.open(atA.payload)).toEqual({ sender: bob.accountId, text: 'B to A' });
    await alice.client.close();
    await bob.client.close();
  });

  it('never hands one one-time prekey to fetches through different nodes', async () => {
    const target = await SignalUser.register(nodeA.url, { preKeys: 6 });
    const viaA = await SignalUser.register(nodeA.url, { preKeys: 0 });
    const viaB = await SignalUser.register(nodeB.url, { preKeys: 0 });
    const bundles = await Promise.all(
      [viaA, viaB, viaA, viaB, viaA, viaB, viaA, viaB].map((u) =>
        u.client.call('prekeys.bundle', { accountId: target.accountId }),
      ),
    );
    const ec = bundles.map((b) => b.preKey?.keyId).filter((x): x is number => x !== undefined);
    expect(ec).toHaveLength(6);
    expect(new Set(ec).size).toBe(6);
    const kyber = bundles.filter((b) => !b.kyberPreKeyIsLastResort).map((b) => b.kyberPreKey.keyId);
    expect(new Set(kyber).size).toBe(6);
    for (const u of [target, viaA, viaB]) await u.client.close();
  });
});
