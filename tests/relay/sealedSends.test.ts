// Sends without identity at the wire: a connection is for an account or for sealed sends, never
// both; the recipient's delivery key is required (consent), and refusals say which check failed
// without saying whether the account exists.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../relay';
import { DELIVERY_KEY_CONTEXT } from '../../common/wire';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient, wireError } from '../helpers/relay/wireClient';
import { issueTokens } from '../helpers/tokens/issueTokens';
import { PG_URL, dropSchema, freshSchema, skipPostgres } from '../helpers/relay/postgres';

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
      sealed.call('auth', {
        accountId: alice.accountId,
        nonce: randomBytes(32).toString('base64'),
        signature: randomBytes(64).toString('base64'),
      }),
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

describe('anonymous tokens, one per recipient', () => {
  it('delivers with a valid key and token, refuses a missing, invalid or spent token', async () => {
    const { alice, bob, bobKey } = await pairWithKey();
    await bob.client.drainQueue();
    const { tokens } = await issueTokens(alice.client, 3);
    const sealed = await WireClient.connect(relay.url);
    const send = async (text: string, token: string) =>
      sealed.call('message.sendSealed', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, text),
        deliveryKey: bobKey.toString('base64'),
        token,
      });
    const b64 = (t: Uint8Array) => Buffer.from(t).toString('base64');

    // No token at all is a malformed request; a token the relay never signed is refused.
    expect(
      (
        await wireError(
          sealed.call('message.sendSealed', {
            to: bob.accountId,
            payload: await alice.seal(bob.accountId, 'x'),
            deliveryKey: bobKey.toString('base64'),
          } as never),
        )
      ).kind,
    ).toBe('InvalidInput');
    const forged = await wireError(send('forged', junkToken()));
    expect(forged).toMatchObject({ kind: 'Unauthorized', wire: { reason: 'token' } });
    // A real token with one bit flipped in its authenticator does not verify either.
    const tampered = Buffer.from(tokens[2]!);
    tampered[tampered.length - 1]! ^= 1;
    expect((await wireError(send('tampered', tampered.toString('base64')))).wire.reason).toBe('token');
    expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(0);

    const ok = await send('sealed hello', b64(tokens[0]!));
    const env = await bob.client.nextEnvelope();
    expect(env.id).toBe(ok.envelopeId);
    expect(await bob.open(env.payload)).toEqual({ sender: alice.accountId, text: 'sealed hello' });
    await bob.client.call('message.ack', { ids: [env.id] });

    // Spent once, refused ever after — on this connection or any other.
    expect((await wireError(send('again', b64(tokens[0]!)))).wire.reason).toBe('token');
    const other = await WireClient.connect(relay.url);
    const replay = await wireError(
      other.call('message.sendSealed', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, 'replayed'),
        deliveryKey: bobKey.toString('base64'),
        token: b64(tokens[0]!),
      }),
    );
    expect(replay.wire.reason).toBe('token');
    // A refused delivery key comes first: the token it carried is not spent and still works.
    const wrongKey = await wireError(
      sealed.call('message.sendSealed', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, 'wrong key'),
        deliveryKey: randomBytes(32).toString('base64'),
        token: b64(tokens[1]!),
      }),
    );
    expect(wrongKey.wire.reason).toBe('deliveryKey');
    await send('second', b64(tokens[1]!));
    expect(await bob.open((await bob.client.nextEnvelope()).payload)).toMatchObject({ text: 'second' });
    for (const c of [sealed, other, alice.client, bob.client]) await c.close();
  });

  it('a room send takes a key and a token per member and reports refusals per member', async () => {
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    const carol = await SignalUser.register(relay.url);
    const keys = new Map([
      [bob.accountId, randomBytes(32)],
      [carol.accountId, randomBytes(32)],
    ]);
    for (const m of [bob, carol]) {
      await m.client.call('deliveryKey.set', { keyHash: keyHash(keys.get(m.accountId)!) });
      await alice.startSession(m.accountId);
    }
    const distributionId = crypto.randomUUID();
    const skdm = await alice.createSenderKeyDistribution(distributionId);
    for (const m of [bob, carol]) {
      await m.acceptSenderKeyDistribution(alice.accountId, skdm.serialize());
      await m.client.drainQueue();
    }
    const { tokens } = await issueTokens(alice.client, 4);
    const b64 = (t: Uint8Array) => Buffer.from(t).toString('base64');
    const sealed = await WireClient.connect(relay.url);
    const members = [bob.accountId, carol.accountId];

    // Recipients must match the payload exactly: a token cannot be skipped for a member.
    const partial = await wireError(
      sealed.call('message.sendSealedMulti', {
        payload: await alice.sealForRoom(distributionId, members, 'partial'),
        recipients: [
          {
            to: bob.accountId,
            deliveryKey: keys.get(bob.accountId)!.toString('base64'),
            token: b64(tokens[0]!),
          },
        ],
      }),
    );
    expect(partial.kind).toBe('InvalidInput');

    // Carol's key is wrong: she is refused (her token kept), bob gets it (his token spent).
    const first = await sealed.call('message.sendSealedMulti', {
      payload: await alice.sealForRoom(distributionId, members, 'to the room'),
      recipients: [
        {
          to: bob.accountId,
          deliveryKey: keys.get(bob.accountId)!.toString('base64'),
          token: b64(tokens[0]!),
        },
        { to: carol.accountId, deliveryKey: randomBytes(32).toString('base64'), token: b64(tokens[1]!) },
      ],
    });
    expect(first).toMatchObject({
      delivered: [bob.accountId],
      keyRefused: [carol.accountId],
      tokenRefused: [],
    });
    expect(await bob.openRoom((await bob.client.nextEnvelope()).payload)).toEqual({
      sender: alice.accountId,
      text: 'to the room',
    });
    expect((await carol.client.call('account.info', {})).queuedEnvelopes).toBe(0);

    // Bob's spent token again: both refused, no token spent — carol's fresh one still works later.
    const second = await sealed.call('message.sendSealedMulti', {
      payload: await alice.sealForRoom(distributionId, members, 'replayed token'),
      recipients: [
        {
          to: bob.accountId,
          deliveryKey: keys.get(bob.accountId)!.toString('base64'),
          token: b64(tokens[0]!),
        },
        {
          to: carol.accountId,
          deliveryKey: keys.get(carol.accountId)!.toString('base64'),
          token: b64(tokens[2]!),
        },
      ],
    });
    expect(second).toMatchObject({ delivered: [], keyRefused: [], tokenRefused: members });
    const third = await sealed.call('message.sendSealedMulti', {
      payload: await alice.sealForRoom(distributionId, [carol.accountId], 'just carol'),
      recipients: [
        {
          to: carol.accountId,
          deliveryKey: keys.get(carol.accountId)!.toString('base64'),
          token: b64(tokens[2]!),
        },
      ],
    });
    expect(third.delivered).toEqual([carol.accountId]);
    expect(await carol.openRoom((await carol.client.nextEnvelope()).payload)).toMatchObject({
      text: 'just carol',
    });
    for (const c of [sealed, alice.client, bob.client, carol.client]) await c.close();
  });
});

describe.skipIf(skipPostgres())('on PostgreSQL (migration 5, delivery key storage)', () => {
  it('stores only the key hash, and checks keys and tokens the same way', async () => {
    const schema = freshSchema();
    const pgRelay = await startRelay({ port: 0, logger: false, databaseUrl: PG_URL, databaseSchema: schema });
    try {
      const alice = await SignalUser.register(pgRelay.url);
      const bob = await SignalUser.register(pgRelay.url);
      await alice.startSession(bob.accountId);
      const bobKey = randomBytes(32);
      await bob.client.call('deliveryKey.set', { keyHash: keyHash(bobKey) });
      await bob.client.drainQueue();
      const { tokens } = await issueTokens(alice.client, 1);
      const sealed = await WireClient.connect(pgRelay.url);
      const body = async (key: Buffer) => ({
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, 'over postgres'),
        deliveryKey: key.toString('base64'),
        token: Buffer.from(tokens[0]!).toString('base64'),
      });
      expect(
        (await wireError(sealed.call('message.sendSealed', await body(randomBytes(32))))).wire.reason,
      ).toBe('deliveryKey');
      await sealed.call('message.sendSealed', await body(bobKey));
      expect(await bob.open((await bob.client.nextEnvelope()).payload)).toMatchObject({
        text: 'over postgres',
      });
      expect((await wireError(sealed.call('message.sendSealed', await body(bobKey)))).wire.reason).toBe(
        'token',
      );
      // The table holds the hash, never the key.
      const db = new pg.Client({ connectionString: PG_URL });
      await db.connect();
      try {
        const { rows } = await db.query<{ key_hash: Buffer }>(
          `SELECT key_hash FROM "${schema}".delivery_keys`,
        );
        expect(rows.map((r) => r.key_hash.toString('base64'))).toEqual([keyHash(bobKey)]);
      } finally {
        await db.end();
      }
      for (const c of [sealed, alice.client, bob.client]) await c.close();
    } finally {
      await pgRelay.close();
      await dropSchema(schema);
    }
  });
});
