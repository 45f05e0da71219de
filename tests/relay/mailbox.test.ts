// The durable mailbox: sealed sender 1:1 and multi-recipient delivery, live push or queue, delete
// on ack, in-order redelivery on reconnect, expiry in clear with purge, and per-account caps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireCallError, wireError } from '../helpers/relay/wireClient';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
});
afterAll(async () => {
  await relay.close();
});

async function pair(url = relay.url) {
  const alice = await SignalUser.register(url);
  const bob = await SignalUser.register(url);
  await alice.startSession(bob.accountId);
  return { alice, bob };
}

describe('1:1 sealed sender delivery', () => {
  it('pushes a sealed envelope live; the sender is only inside the ciphertext', async () => {
    const { alice, bob } = await pair();
    await bob.client.drainQueue();
    const sent = await alice.client.call('message.send', {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'live hello'),
    });
    const env = await bob.client.nextEnvelope();
    expect(env.id).toBe(sent.envelopeId);
    expect(Object.keys(env).sort()).toEqual(['expiresAt', 'id', 'payload']);
    expect(Buffer.from(env.payload, 'base64').includes(Buffer.from(alice.accountId))).toBe(false);
    expect(await bob.open(env.payload)).toEqual({ sender: alice.accountId, text: 'live hello' });
    expect((await bob.client.call('message.ack', { ids: [env.id] })).deleted).toBe(1);
    expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(0);
    await alice.client.close();
    await bob.client.close();
  });

  it('queues for an offline recipient and redelivers unacknowledged envelopes in order on reconnect', async () => {
    const { alice, bob } = await pair();
    await bob.client.close();
    const texts = Array.from({ length: 30 }, (_, i) => `queued ${i}`);
    const ids: string[] = [];
    for (const t of texts)
      ids.push(
        (
          await alice.client.call('message.send', {
            to: bob.accountId,
            payload: await alice.seal(bob.accountId, t),
          })
        ).envelopeId,
      );

    const c1 = await bob.reconnect(relay.url, true);
    const first = await c1.drainQueue();
    expect(first.map((e) => e.id)).toEqual(ids);
    const opened = [];
    for (const e of first) opened.push((await bob.open(e.payload)).text);
    expect(opened).toEqual(texts);
    // Acknowledge only the first ten, then drop the connection.
    await c1.call('message.ack', { ids: ids.slice(0, 10) });
    await c1.close();

    const c2 = await bob.reconnect(relay.url, true);
    const again = await c2.drainQueue();
    expect(again.map((e) => e.id)).toEqual(ids.slice(10));
    await c2.call('message.ack', { ids: ids.slice(10) });
    await c2.close();
    const c3 = await bob.reconnect(relay.url, true);
    expect(await c3.drainQueue()).toEqual([]);
    await c3.close();
    await alice.client.close();
  });

  it('only lets the recipient acknowledge (delete) its own envelopes', async () => {
    const { alice, bob } = await pair();
    const { envelopeId } = await alice.client.call('message.send', {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'mine'),
    });
    expect((await alice.client.call('message.ack', { ids: [envelopeId] })).deleted).toBe(0);
    const env = await bob.client.nextEnvelope();
    expect(env.id).toBe(envelopeId);
    await alice.client.close();
    await bob.client.close();
  });

  it('counts what an account received and nothing it sent', async () => {
    const { alice, bob } = await pair();
    for (let i = 0; i < 3; i++)
      await alice.client.call('message.send', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, `n${i}`),
      });
    const aliceInfo = await alice.client.call('account.info', {});
    expect(aliceInfo).toMatchObject({ messagesReceived: 0 });
    expect(aliceInfo).not.toHaveProperty('messagesSent');
    expect(await bob.client.call('account.info', {})).toMatchObject({ messagesReceived: 3 });
    await alice.client.close();
    await bob.client.close();
  });

  it('refuses a send to an unknown account and an oversized payload', async () => {
    const { alice } = await pair();
    const payload = Buffer.alloc(100).toString('base64');
    expect(
      (
        await wireError(
          alice.client.call('message.send', { to: '00000000-0000-4000-8000-000000000000', payload }),
        )
      ).kind,
    ).toBe('NotFound');
    const huge = Buffer.alloc(300 * 1024).toString('base64');
    expect(
      (await wireError(alice.client.call('message.send', { to: alice.accountId, payload: huge }))).kind,
    ).toBe('InvalidInput');
    await alice.client.close();
  });
});

describe('multi-recipient sealed sender (rooms)', () => {
  it('splits one multi-recipient message into one envelope per member', async () => {
    const alice = await SignalUser.register(relay.url);
    const members = await Promise.all([1, 2, 3].map(() => SignalUser.register(relay.url)));
    const distributionId = randomUUID();
    const skdm = await alice.createSenderKeyDistribution(distributionId);
    for (const m of members) {
      await alice.startSession(m.accountId);
      await m.acceptSenderKeyDistribution(alice.accountId, skdm.serialize());
      await m.client.drainQueue();
    }
    const payload = await alice.sealForRoom(
      distributionId,
      members.map((m) => m.accountId),
      'hello room',
    );
    const res = await alice.client.call('message.sendMulti', { payload });
    expect(res.delivered.sort()).toEqual(members.map((m) => m.accountId).sort());
    expect(res).toMatchObject({ unknownRecipients: [], staleRecipients: [], fullRecipients: [] });
    for (const m of members) {
      const env = await m.client.nextEnvelope();
      expect(await m.openRoom(env.payload)).toEqual({ sender: alice.accountId, text: 'hello room' });
    }
    for (const u of [alice, ...members]) await u.client.close();
  });

  it('reports members with no account here and stores nothing for them; refuses garbage', async () => {
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    const ghost = randomUUID();
    const distributionId = randomUUID();
    await alice.createSenderKeyDistribution(distributionId);
    await alice.startSession(bob.accountId);
    // A session filed under an id the relay never issued (bob's keys, another name).
    await alice.startSession(bob.accountId, ghost);
    await bob.client.drainQueue();
    const payload = await alice.sealForRoom(
      distributionId,
      [bob.accountId, ghost as typeof bob.accountId],
      'x',
    );
    const res = await alice.client.call('message.sendMulti', { payload });
    expect(res.delivered).toEqual([bob.accountId]);
    expect(res.unknownRecipients).toEqual([ghost]);
    expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(1);
    await expect(
      alice.client.call('message.sendMulti', { payload: Buffer.from('garbage').toString('base64') }),
    ).rejects.toMatchObject({
      kind: 'InvalidInput',
    });
    for (const u of [alice, bob]) await u.client.close();
  });
});

describe('expiry and caps', () => {
  it('never delivers an envelope past its deadline and purges it', async () => {
    let now = Date.now();
    const r = await startRelay({ port: 0, logger: false, now: () => now });
    const { alice, bob } = await pair(r.url);
    await bob.client.close();
    await alice.client.call('message.send', {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'short'),
      expiresAt: now + 5_000,
    });
    // Deadlines are stored rounded up to the hour: this one outlives the first by a whole hour.
    const keep = await alice.client.call('message.send', {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'long'),
      expiresAt: now + 2 * 3_600_000,
    });
    now += 3_700_000;
    const c = await bob.reconnect(r.url, true);
    const got = await c.drainQueue();
    expect(got.map((e) => e.id)).toEqual([keep.envelopeId]);
    expect(await r.purgeExpired()).toEqual({ envelopes: 1, attachments: 0 });
    expect((await c.call('account.info', {})).queuedEnvelopes).toBe(1);
    await expect(
      alice.client.call('message.send', { to: bob.accountId, payload: 'AAAA', expiresAt: now - 1 }),
    ).rejects.toMatchObject({
      kind: 'InvalidInput',
    });
    await c.close();
    await alice.client.close();
    await r.close();
  });

  it('caps the expiry at the maximum retention and rounds every deadline up to a whole hour', async () => {
    const { alice, bob } = await pair();
    const hour = 3_600_000;
    const before = Date.now();
    const res = await alice.client.call('message.send', {
      to: bob.accountId,
      payload: 'AAAA',
      expiresAt: Date.now() + 400 * 86_400_000,
    });
    expect(res.expiresAt).toBeLessThanOrEqual(Date.now() + relay.limits.maxEnvelopeTtlMs + hour);
    expect(res.expiresAt % hour).toBe(0);
    const exact = before + 90_123;
    const short = await alice.client.call('message.send', {
      to: bob.accountId,
      payload: 'AAAA',
      expiresAt: exact,
    });
    expect(short.expiresAt % hour).toBe(0);
    expect(short.expiresAt).toBeGreaterThanOrEqual(exact);
    expect(short.expiresAt).toBeLessThan(exact + hour);
    const unset = await alice.client.call('message.send', { to: bob.accountId, payload: 'AAAA' });
    expect(unset.expiresAt % hour).toBe(0);
    await alice.client.close();
    await bob.client.close();
  });

  it('refuses sends past the per-account queue cap with RelayQueueFull', async () => {
    const r = await startRelay({ port: 0, logger: false, limits: { maxQueuedEnvelopes: 5 } });
    const { alice, bob } = await pair(r.url);
    await bob.client.close();
    for (let i = 0; i < 5; i++)
      await alice.client.call('message.send', { to: bob.accountId, payload: 'AAAA' });
    const err = await wireError(alice.client.call('message.send', { to: bob.accountId, payload: 'AAAA' }));
    expect(err.kind).toBe('RelayQueueFull');
    expect(err.message).toMatch(/queue is full/);
    await alice.client.close();
    await r.close();
  });

  it('rate-limits a sender that exceeds its send budget', async () => {
    const r = await startRelay({
      port: 0,
      logger: false,
      limits: { rates: { sends: { burst: 10, perSecond: 0.01 } } },
    });
    const { alice, bob } = await pair(r.url);
    const results = await Promise.allSettled(
      Array.from({ length: 15 }, () =>
        alice.client.call('message.send', { to: bob.accountId, payload: 'AAAA' }),
      ),
    );
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(10);
    expect(
      results.filter(
        (x) => x.status === 'rejected' && (x.reason as WireCallError).kind === 'RelayRateLimited',
      ),
    ).toHaveLength(5);
    await alice.client.close();
    await bob.client.close();
    await r.close();
  });
});
