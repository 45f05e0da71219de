// The client side of message.sendBatch (core/relayClient/sendBatcher.ts), through a real
// RelayClient, a real relay and a proxy that records the frames: message.send requests made
// together leave as one message.sendBatch; a request made after them reaches the relay after them;
// each caller gets its own answer (an unknown recipient fails only its own send); a lone send stays
// a message.send. The same for sends without identity on a connection that never authenticated:
// message.sendSealed → message.sendSealedBatch, a refused item failing as a lone refusal does, and a
// relay without the op asked one at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startRelay, type RunningRelay } from '../../relay';
import { RelayClient } from '../../core/relayClient/relayClient';
import { SignalUser } from '../helpers/relay/signalUser';
import { startTamperProxy } from '../helpers/engine/tamperProxy';
import { WispError } from '../../common/errors';
import { DELIVERY_KEY_CONTEXT } from '../../common/wire';
import { HANDLERS } from '../../relay/handlers';
import { issueTokens } from '../helpers/tokens/issueTokens';

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

describe('sealed sends made together', () => {
  async function setup(n: number) {
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    const bobKey = randomBytes(32);
    await bob.client.call('deliveryKey.set', {
      keyHash: createHash('sha256').update(DELIVERY_KEY_CONTEXT).update(bobKey).digest().toString('base64'),
    });
    await alice.startSession(bob.accountId);
    await bob.client.drainQueue();
    const { tokens } = await issueTokens(alice.client, n);
    const bodies = [];
    // One after another: each advances the session's ratchet.
    for (const [i, t] of tokens.entries())
      bodies.push({
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, `s${i}`),
        deliveryKey: bobKey.toString('base64'),
        token: Buffer.from(t).toString('base64'),
      });
    await alice.client.close();
    const proxy = await startTamperProxy(relay.url);
    const sealed = new RelayClient({
      url: proxy.url,
      accountId: null,
      sign: () => new Uint8Array(),
      reconnect: false,
    });
    await sealed.connect();
    const ops = () => proxy.clientFrames.map((f) => (JSON.parse(f) as { op: string }).op);
    const close = async () => {
      await sealed.close();
      await proxy.close();
      await bob.client.close();
    };
    return { bob, bodies, sealed, ops, close };
  }

  it('go as one message.sendSealedBatch, a refused item failing as a lone send would', async () => {
    const { bob, bodies, sealed, ops, close } = await setup(4);
    try {
      bodies[2] = { ...bodies[2]!, deliveryKey: randomBytes(32).toString('base64') };
      const outcomes = await Promise.allSettled(bodies.map((b) => sealed.request('message.sendSealed', b)));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(outcomes[2]).toMatchObject({ reason: { kind: 'Unauthorized', reason: 'deliveryKey' } });
      expect(ops()).toEqual(['message.sendSealedBatch']);
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await bob.open((await bob.client.nextEnvelope()).payload));
      expect(got.map((m) => m.text)).toEqual(['s0', 's1', 's3']);
      // The token of the refused item was not spent: alone, it goes through.
      await sealed.request('message.sendSealed', { ...bodies[2], deliveryKey: bodies[0]!.deliveryKey });
      expect(ops()).toEqual(['message.sendSealedBatch', 'message.sendSealed']);
    } finally {
      await close();
    }
  });

  it('go one by one to a relay that does not know message.sendSealedBatch', async () => {
    // What an older relay answers for an op it does not know (relay/session.ts, a malformed frame).
    const table = HANDLERS as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const original = table['message.sendSealedBatch']!;
    table['message.sendSealedBatch'] = () =>
      Promise.reject(new WispError('InvalidInput', 'malformed request: op: Invalid option'));
    const { bob, bodies, sealed, ops, close } = await setup(3);
    try {
      await Promise.all(bodies.map((b) => sealed.request('message.sendSealed', b)));
      await Promise.all(
        bodies.slice(0, 2).map((b) => sealed.request('message.sendSealed', b).catch(() => null)),
      );
      const got = [];
      for (let i = 0; i < 3; i++) got.push((await bob.open((await bob.client.nextEnvelope()).payload)).text);
      expect(got.sort()).toEqual(['s0', 's1', 's2']);
      // Tried once, then each alone from then on (the second burst goes straight to lone sends).
      expect(ops()).toEqual([
        'message.sendSealedBatch',
        ...Array<string>(3).fill('message.sendSealed'),
        ...Array<string>(2).fill('message.sendSealed'),
      ]);
    } finally {
      table['message.sendSealedBatch'] = original;
      await close();
    }
  });
});
