// The client side of message.sendBatch (core/relayClient/sendBatcher.ts), through a real
// RelayClient, a real relay and a proxy that records the frames: message.send requests made
// together leave as one message.sendBatch; a request made after them reaches the relay after them;
// each caller gets its own answer (an unknown recipient fails only its own send); a lone send stays
// a message.send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startRelay, type RunningRelay } from '../../relay';
import { RelayClient } from '../../core/relayClient/relayClient';
import { SignalUser } from '../helpers/relay/signalUser';
import { startTamperProxy } from '../helpers/engine/tamperProxy';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
});
afterAll(async () => {
  await relay.close();
});

describe('pairwise sends made together', () => {
  it('go as one message.sendBatch, in order before what follows, each answered on its own', async () => {
    const alice = await SignalUser.register(relay.url);
    const members = await Promise.all([0, 1, 2].map(() => SignalUser.register(relay.url)));
    for (const m of members) await alice.startSession(m.accountId);
    // Sealed while alice's own test connection is open (it fetches her sender certificate).
    const ghost = randomUUID() as (typeof members)[number]['accountId'];
    const bodies = [
      ...(await Promise.all(
        members.map(async (m) => ({ to: m.accountId, payload: await alice.seal(m.accountId, 'key') })),
      )),
      { to: ghost, payload: await alice.seal(members[0]!.accountId, 'x') },
    ];
    const lone = { to: members[1]!.accountId, payload: await alice.seal(members[1]!.accountId, 'alone') };
    await alice.client.close();
    const proxy = await startTamperProxy(relay.url);
    const client = new RelayClient({
      url: proxy.url,
      accountId: alice.accountId,
      sign: (message) => alice.identity.privateKey.sign(message),
      reconnect: false,
    });
    try {
      await client.connect();
      const sends = bodies.map((body) => client.request('message.send', body));
      const after = client.request('account.info', {});
      const outcomes = await Promise.allSettled(sends);
      await after;

      expect(outcomes.slice(0, 3).map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(outcomes[3]).toMatchObject({ status: 'rejected', reason: { kind: 'NotFound' } });
      const ops = proxy.clientFrames.map((f) => (JSON.parse(f) as { op: string }).op);
      expect(ops.filter((op) => op === 'message.send')).toEqual([]);
      expect(ops.filter((op) => op.startsWith('message.send'))).toEqual(['message.sendBatch']);
      expect(ops.indexOf('message.sendBatch')).toBeLessThan(ops.lastIndexOf('account.info'));
      for (const m of members) {
        const env = await m.client.nextEnvelope();
        expect(await m.open(env.payload)).toMatchObject({ sender: alice.accountId, text: 'key' });
      }

      // A lone send is a message.send.
      await client.request('message.send', lone);
      expect(proxy.clientFrames.some((f) => f.includes('"op":"message.send"'))).toBe(true);
    } finally {
      await client.close();
      await proxy.close();
      for (const m of members) await m.client.close();
    }
  });
});
