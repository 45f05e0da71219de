// Prekey directory: signatures verified on upload, counts, atomic one-time consumption with the
// last-resort Kyber fallback, and rate-limited bundle fetches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateKey } from '@signalapp/libsignal-client';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireCallError, wireError } from '../helpers/relay/wireClient';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({
    port: 0,
    logger: false,
    limits: {
      rates: {
        bundleFetchesPerTarget: { burst: 12, perSecond: 0.001 },
        bundleFetches: { burst: 1000, perSecond: 1000 },
      },
    },
  });
});
afterAll(async () => {
  await relay.close();
});

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
describe('prekeys', () => {
  it('refuses an upload with a bad signature and stores none of it', async () => {
    const a = await SignalUser.register(relay.url, { preKeys: 0 });
    const before = await a.client.call('prekeys.count', {});
    const body = a.makePreKeys(3, false);
    // Signed by a key that is not the identity key.
    const forged = PrivateKey.generate().sign(Buffer.from(body.kyberPreKeys![2]!.publicKey, 'base64'));
    body.kyberPreKeys![2]!.signature = b64(forged);
    const err = await wireError(a.client.call('prekeys.upload', body));
    expect(err.kind).toBe('InvalidInput');
    expect(err.message).toMatch(/kyberPreKeys\[2\].*signature/);
    expect(await a.client.call('prekeys.count', {})).toEqual(before);
    await a.client.close();
  });

  it('refuses a signed prekey that is not a valid public key', async () => {
    const a = await SignalUser.register(relay.url, { preKeys: 0 });
    const body = a.makePreKeys(0, true);
    body.signedPreKey!.publicKey = b64(new Uint8Array(33).fill(9));
    expect((await wireError(a.client.call('prekeys.upload', body))).kind).toBe('InvalidInput');
    await a.client.close();
  });

  it('counts one-time keys and consumes exactly one of each kind per bundle, then falls back to last resort', async () => {
    const alice = await SignalUser.register(relay.url, { preKeys: 2 });
    const bob = await SignalUser.register(relay.url, { preKeys: 0 });
    expect(await alice.client.call('prekeys.count', {})).toEqual({
      preKeys: 2,
      kyberPreKeys: 2,
      hasSignedPreKey: true,
      hasLastResortKyberPreKey: true,
    });
    const b1 = await bob.client.call('prekeys.bundle', { accountId: alice.accountId });
    const b2 = await bob.client.call('prekeys.bundle', { accountId: alice.accountId });
    const b3 = await bob.client.call('prekeys.bundle', { accountId: alice.accountId });
    expect(b1.preKey).not.toBeNull();
    expect(b2.preKey).not.toBeNull();
    expect(b1.preKey!.keyId).not.toBe(b2.preKey!.keyId);
    expect(b1.kyberPreKey.keyId).not.toBe(b2.kyberPreKey.keyId);
    expect([b1.kyberPreKeyIsLastResort, b2.kyberPreKeyIsLastResort]).toEqual([false, false]);
    expect(b3.preKey).toBeNull();
    expect(b3.kyberPreKeyIsLastResort).toBe(true);
    expect(b1.identityKey).toBe(b64(alice.identity.publicKey.serialize()));
    expect(await alice.client.call('prekeys.count', {})).toMatchObject({ preKeys: 0, kyberPreKeys: 0 });
    await alice.client.close();
    await bob.client.close();
  });

  it('never hands the same one-time key to two concurrent fetches', async () => {
    const alice = await SignalUser.register(relay.url, { preKeys: 5 });
    const fetchers = await Promise.all([1, 2, 3].map(() => SignalUser.register(relay.url, { preKeys: 0 })));
    const bundles = await Promise.all(
      fetchers.flatMap((f) =>
        [1, 2].map(() => f.client.call('prekeys.bundle', { accountId: alice.accountId })),
      ),
    );
    const ec = bundles.map((b) => b.preKey?.keyId).filter((x) => x !== undefined);
    expect(ec).toHaveLength(5);
    expect(new Set(ec).size).toBe(5);
    expect(bundles.filter((b) => b.preKey === null)).toHaveLength(1);
    for (const u of [alice, ...fetchers]) await u.client.close();
  });

  it('a bundle from the relay starts a session the peer can decrypt', async () => {
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    await alice.startSession(bob.accountId);
    const opened = await bob.open(await alice.seal(bob.accountId, 'hello via bundle'));
    expect(opened).toEqual({ sender: alice.accountId, text: 'hello via bundle' });
    await alice.client.close();
    await bob.client.close();
  });

  it('rate-limits bundle fetches of one account against exhaustion', async () => {
    const target = await SignalUser.register(relay.url, { preKeys: 0 });
    const attacker = await SignalUser.register(relay.url, { preKeys: 0 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        attacker.client.call('prekeys.bundle', { accountId: target.accountId }),
      ),
    );
    const limited = results.filter(
      (r) => r.status === 'rejected' && (r.reason as WireCallError).kind === 'RelayRateLimited',
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(12);
    expect(limited).toHaveLength(8);
    expect((limited[0] as PromiseRejectedResult).reason.wire.retryAfterMs).toBeGreaterThan(0);
    await target.client.close();
    await attacker.client.close();
  });

  it('answers NotFound for an account without prekeys or that does not exist', async () => {
    const a = await SignalUser.register(relay.url);
    const err = await wireError(
      a.client.call('prekeys.bundle', { accountId: '00000000-0000-4000-8000-000000000000' }),
    );
    expect(err.kind).toBe('NotFound');
    await a.client.close();
  });
});
