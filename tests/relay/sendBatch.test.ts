// message.sendBatch (issue 13): many pairwise sealed envelopes in one request, each stored and
// answered as message.send would (an unknown recipient or a full queue refuses that message
// only), the whole batch refused before anything is stored when one message is invalid, and every
// message counted against the sender's envelope allowance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { wireError } from '../helpers/relay/wireClient';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({
    port: 0,
    logger: false,
    limits: { maxQueuedEnvelopes: 1, rates: { sends: { burst: 5, perSecond: 0.001 } } },
  });
});
afterAll(async () => {
  await relay.close();
});

describe('message.sendBatch', () => {
  it('stores each message for its recipient and refuses only the ones that cannot be stored', async () => {
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    const carol = await SignalUser.register(relay.url);
    for (const u of [bob, carol]) await alice.startSession(u.accountId);
    await carol.client.close();
    const ghost = randomUUID();
    const { results } = await alice.client.call('message.sendBatch', {
      messages: [
        { to: bob.accountId, payload: await alice.seal(bob.accountId, 'to bob') },
        { to: ghost, payload: await alice.seal(bob.accountId, 'to nobody') },
        { to: carol.accountId, payload: await alice.seal(carol.accountId, 'to carol') },
        // Carol's queue holds one envelope (the cap of this relay): the second is refused.
        { to: carol.accountId, payload: await alice.seal(carol.accountId, 'one too many') },
      ],
    });
    expect(results).toHaveLength(4);
    expect(results[1]).toEqual({ refused: 'NotFound' });
    expect(results[3]).toEqual({ refused: 'RelayQueueFull' });
    expect(results[0]).toMatchObject({ envelopeId: expect.any(String) });
    expect(results[2]).toMatchObject({ envelopeId: expect.any(String) });

    const toBob = await bob.client.nextEnvelope();
    expect(toBob.id).toBe((results[0] as { envelopeId: string }).envelopeId);
    expect(await bob.open(toBob.payload)).toMatchObject({ sender: alice.accountId, text: 'to bob' });
    const carolAgain = await carol.reconnect(relay.url, true);
    const [toCarol, ...rest] = await carolAgain.drainQueue();
    expect(rest).toEqual([]);
    expect(await carol.open(toCarol!.payload)).toMatchObject({ text: 'to carol' });

    // One message past its deadline refuses the whole batch before anything is stored.
    const refused = await wireError(
      alice.client.call('message.sendBatch', {
        messages: [
          { to: bob.accountId, payload: await alice.seal(bob.accountId, 'fine') },
          { to: bob.accountId, payload: await alice.seal(bob.accountId, 'late'), expiresAt: Date.now() - 1 },
        ],
      }),
    );
    expect(refused.kind).toBe('InvalidInput');
    expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(1);

    // Every message counts against the allowance (5 here; 4 spent above): two do not fit.
    const limited = await wireError(
      alice.client.call('message.sendBatch', {
        messages: [
          { to: bob.accountId, payload: await alice.seal(bob.accountId, 'a') },
          { to: bob.accountId, payload: await alice.seal(bob.accountId, 'b') },
        ],
      }),
    );
    expect(limited.kind).toBe('RelayRateLimited');
    for (const c of [alice.client, bob.client, carolAgain]) await c.close();
  });
});
