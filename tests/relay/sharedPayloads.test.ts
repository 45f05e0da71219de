// Multi-recipient sends store their shared part once (issue 13, schema migration 6), on both
// backends: each member still receives the whole sealed message (live and from its queue), the
// shared row counts the envelopes that point at it and goes with the last acknowledgement, with the
// last member deleting their account, or at expiry; queue caps count the whole message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { testBackends, type TestBackend } from '../helpers/relay/relayDb';

const HOUR_MS = 3_600_000;

for (const { kind, make } of testBackends()) {
  describe(`shared multi-recipient payloads (${kind})`, () => {
    let backend: TestBackend;
    let relay: RunningRelay;
    let now = Date.now();
    beforeAll(async () => {
      backend = make();
      relay = await startRelay({ port: 0, logger: false, now: () => now, ...backend.options });
    });
    afterAll(async () => {
      await relay?.close();
      await backend?.cleanup();
    });

    async function rows(sql: string): Promise<Record<string, unknown>[]> {
      const db = await backend.db();
      try {
        return await db.all(sql);
      } finally {
        await db.close();
      }
    }
    const shared = () => rows('SELECT refs, payload FROM shared_payloads');
    const pointing = async () =>
      Number((await rows('SELECT COUNT(*) AS n FROM envelopes WHERE shared_id IS NOT NULL'))[0]!.n);

    /** A sender and `n` members holding its sender key, their queues empty. */
    async function room(n: number) {
      const alice = await SignalUser.register(relay.url);
      const members = await Promise.all(Array.from({ length: n }, () => SignalUser.register(relay.url)));
      const distributionId = randomUUID();
      const skdm = await alice.createSenderKeyDistribution(distributionId);
      for (const m of members) {
        await alice.startSession(m.accountId);
        await m.acceptSenderKeyDistribution(alice.accountId, skdm.serialize());
        await m.client.drainQueue();
      }
      const seal = (text: string) =>
        alice.sealForRoom(
          distributionId,
          members.map((m) => m.accountId),
          text,
        );
      const close = async () => {
        for (const u of [alice, ...members]) await u.client.close();
      };
      return { alice, members, seal, close };
    }

    it('stores the shared part once; every member opens the whole message; the last ack deletes it', async () => {
      const { alice, members, seal, close } = await room(3);
      // One member is offline: it gets the message from its queue on reconnect, not from a push.
      await members[2]!.client.close();
      const payload = await seal('hello room');
      const res = await alice.client.call('message.sendMulti', { payload });
      expect(res.delivered).toHaveLength(3);

      const [row] = await shared();
      expect(await shared()).toHaveLength(1);
      expect(Number(row!.refs)).toBe(3);
      expect(await pointing()).toBe(3);
      // Each envelope row holds only its recipient's header, far smaller than the shared part.
      const sizes = await rows(
        'SELECT LENGTH(payload) AS h, size FROM envelopes WHERE shared_id IS NOT NULL',
      );
      const sharedLength = (row!.payload as Buffer).byteLength;
      for (const s of sizes) {
        expect(Number(s.h)).toBeLessThan(100);
        expect(Number(s.size)).toBe(Number(s.h) + sharedLength);
      }

      const live = await Promise.all(members.slice(0, 2).map((m) => m.client.nextEnvelope()));
      const queued = (await members[2]!.reconnect(relay.url, true).then((c) => c.drainQueue()))[0]!;
      const envelopes = [...live, queued];
      for (const [i, m] of members.entries())
        expect(await m.openRoom(envelopes[i]!.payload)).toEqual({
          sender: alice.accountId,
          text: 'hello room',
        });

      await members[0]!.client.call('message.ack', { ids: [envelopes[0]!.id] });
      // Acknowledging an id twice, or one that is not yours, counts nothing down.
      await members[0]!.client.call('message.ack', { ids: [envelopes[0]!.id] });
      await members[0]!.client.call('message.ack', { ids: [envelopes[1]!.id] });
      expect(Number((await shared())[0]!.refs)).toBe(2);
      await members[1]!.client.call('message.ack', { ids: [envelopes[1]!.id] });
      expect(Number((await shared())[0]!.refs)).toBe(1);
      await members[2]!.client.call('message.ack', { ids: [envelopes[2]!.id] });
      expect(await shared()).toEqual([]);
      expect(await pointing()).toBe(0);
      await close();
    });

    it('a member deleting their account releases its reference; the part goes with the last one', async () => {
      const { alice, members, seal, close } = await room(2);
      await alice.client.call('message.sendMulti', { payload: await seal('bye') });
      const env = await members[0]!.client.nextEnvelope();
      await members[1]!.client.nextEnvelope();
      await members[1]!.client.call('account.delete', { accountId: members[1]!.accountId });
      expect(Number((await shared())[0]!.refs)).toBe(1);
      await members[0]!.client.call('message.ack', { ids: [env.id] });
      expect(await shared()).toEqual([]);

      // Deleting the last holder deletes the part too.
      const again = await alice.client.call('message.sendMulti', { payload: await seal('x') });
      expect(again.delivered).toEqual([members[0]!.accountId]);
      expect(await shared()).toHaveLength(1);
      await members[0]!.client.call('account.delete', { accountId: members[0]!.accountId });
      expect(await shared()).toEqual([]);
      expect(await pointing()).toBe(0);
      await close();
    });

    it('expires with its envelopes: the purge deletes both', async () => {
      const { alice, members, seal, close } = await room(2);
      for (const m of members) await m.client.close();
      await alice.client.call('message.sendMulti', {
        payload: await seal('soon gone'),
        expiresAt: now + 5_000,
      });
      expect(await shared()).toHaveLength(1);
      now += 2 * HOUR_MS;
      expect((await relay.purgeExpired()).envelopes).toBe(2);
      expect(await shared()).toEqual([]);
      expect(await pointing()).toBe(0);
      await close();
    });
  });
}

for (const { kind, make } of testBackends()) {
  describe(`queue caps on shared payloads (${kind})`, () => {
    it('counts the whole message against the byte cap: a queue the header alone fits refuses it, and nothing is stored', async () => {
      const backend = make();
      const relay = await startRelay({
        port: 0,
        logger: false,
        ...backend.options,
        limits: { maxQueuedBytes: 200 },
      });
      try {
        const alice = await SignalUser.register(relay.url);
        const bob = await SignalUser.register(relay.url);
        const distributionId = randomUUID();
        const skdm = await alice.createSenderKeyDistribution(distributionId);
        await alice.startSession(bob.accountId);
        await bob.acceptSenderKeyDistribution(alice.accountId, skdm.serialize());
        await bob.client.close();
        const payload = await alice.sealForRoom(distributionId, [bob.accountId], 'x'.repeat(300));
        const res = await alice.client.call('message.sendMulti', { payload });
        expect(res.fullRecipients).toEqual([bob.accountId]);
        expect(res.delivered).toEqual([]);
        const db = await backend.db();
        try {
          expect(await db.all('SELECT id FROM shared_payloads')).toEqual([]);
          expect(await db.all('SELECT id FROM envelopes WHERE shared_id IS NOT NULL')).toEqual([]);
        } finally {
          await db.close();
        }
        await alice.client.close();
      } finally {
        await relay.close();
        await backend.cleanup();
      }
    });
  });
}
