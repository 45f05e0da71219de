// Sends without identity at the wire: a connection is for an account or for sealed sends, never
// both; the recipient's delivery key is required (consent), and refusals say which check failed
// without saying whether the account exists.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../relay';
import { DELIVERY_KEY_CONTEXT } from '../../common/wire';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient, wireError } from '../helpers/relay/wireClient';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
});
afterAll(async () => {
  await relay.close();
});

const keyHash = (key: Buffer) =>
  createHash('sha256').update(DELIVERY_KEY_CONTEXT).update(key).digest().toString('base64');
/** A well-formed token the relay cannot accept (no key of this relay signed it). */
const junkToken = () => randomBytes(2 + 32 + 32 + 32 + 256).toString('base64');

async function pairWithKey() {
  const alice = await SignalUser.register(relay.url);
  const bob = await SignalUser.register(relay.url);
  await alice.startSession(bob.accountId);
  const bobKey = randomBytes(32);
  await bob.client.call('deliveryKey.set', { keyHash: keyHash(bobKey) });
  return { alice, bob, bobKey };
}

describe('connections for sends without identity', () => {
  it('refuses sealed ops on an authenticated connection, and authentication on a sealed one', async () => {
    const { alice, bob, bobKey } = await pairWithKey();
    const body = {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'on my own connection'),
      deliveryKey: bobKey.toString('base64'),
      token: junkToken(),
    };
    // The account's own connection: the sealed op is refused before any check runs.
    const onAccount = await wireError(alice.client.call('message.sendSealed', body));
    expect(onAccount.kind).toBe('Unauthorized');
    expect(onAccount.message).toMatch(/never authenticated/);
    expect(onAccount.wire.reason).toBeUndefined();

    // A connection that asked for a challenge is an account connection already.
    const half = await WireClient.connect(relay.url);
    await half.call('auth.challenge', {});
    expect((await wireError(half.call('message.sendSealed', body))).message).toMatch(/never authenticated/);
    await half.close();

    // A connection that tried a sealed send (even a refused one) can never authenticate.
    const sealed = await WireClient.connect(relay.url);
    expect((await wireError(sealed.call('message.sendSealed', body))).wire.reason).toBe('token');
    for (const attempt of [
      sealed.call('auth.challenge', {}),
      sealed.call('auth', { accountId: alice.accountId, nonce: randomBytes(32).toString('base64'), signature: randomBytes(64).toString('base64') }),
    ]) {
      const refused = await wireError(attempt);
      expect(refused.kind).toBe('Unauthorized');
      expect(refused.message).toMatch(/cannot authenticate/);
    }
    // And account ops stay closed to it.
    expect((await wireError(sealed.call('prekeys.count', {}))).kind).toBe('Unauthorized');
    await sealed.close();
    await alice.client.close();
    await bob.client.close();
  });

  it('sets the delivery key hash only for an authenticated account', async () => {
    const anonymous = await WireClient.connect(relay.url);
    const refused = await wireError(anonymous.call('deliveryKey.set', { keyHash: keyHash(randomBytes(32)) }));
    expect(refused.kind).toBe('Unauthorized');
    await anonymous.close();
  });
});

describe('recipient consent (delivery keys)', () => {
  it('refuses a send without the recipient key: no key set, a wrong key, an unknown account — alike', async () => {
    const { alice, bob, bobKey } = await pairWithKey();
    const carol = await SignalUser.register(relay.url); // never set a delivery key
    await alice.startSession(carol.accountId);
    const sealed = await WireClient.connect(relay.url);
    const cases = [
      { to: bob.accountId, key: randomBytes(32) }, // wrong key
      { to: carol.accountId, key: bobKey }, // account without a key: takes no sends without identity
      { to: crypto.randomUUID(), key: bobKey }, // no such account
    ];
    const messages = new Set<string>();
    for (const c of cases) {
      const refused = await wireError(
        sealed.call('message.sendSealed', {
          to: c.to,
          payload: await alice.seal(bob.accountId, 'uninvited'),
          deliveryKey: c.key.toString('base64'),
          token: junkToken(),
        }),
      );
      expect(refused.kind).toBe('Unauthorized');
      expect(refused.wire.reason).toBe('deliveryKey');
      messages.add(refused.message);
    }
    // One answer for all three: a sender without the key cannot probe which accounts exist.
    expect(messages.size).toBe(1);
    expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(0);
    expect((await carol.client.call('account.info', {})).queuedEnvelopes).toBe(0);

    // A rotation replaces the hash: the old key is refused from then on.
    const rotated = randomBytes(32);
    await bob.client.call('deliveryKey.set', { keyHash: keyHash(rotated) });
    const old = await wireError(
      sealed.call('message.sendSealed', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, 'with the old key'),
        deliveryKey: bobKey.toString('base64'),
        token: junkToken(),
      }),
    );
    expect(old.wire.reason).toBe('deliveryKey');
    await sealed.close();
    for (const u of [alice, bob, carol]) await u.client.close();
  });
});
