// message.sendSealedBatch (issue 14): many 1:1 sends without identity in one request, each item
// checked as message.sendSealed checks it and answered on its own — a missing or wrong delivery key,
// a token spent before, a token presented twice in the batch, a forged token each refuse only their
// item, and no refused item spends its token; the rest are stored in one commit and delivered. On
// both storage backends (the per-item spend is storage's).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../relay';
import { DELIVERY_KEY_CONTEXT } from '../../common/wire';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient, wireError } from '../helpers/relay/wireClient';
import { issueTokens } from '../helpers/tokens/issueTokens';
import { PG_URL, dropSchema, freshSchema, skipPostgres } from '../helpers/relay/postgres';

const keyHash = (key: Buffer) =>
  createHash('sha256').update(DELIVERY_KEY_CONTEXT).update(key).digest().toString('base64');
const b64 = (t: Uint8Array) => Buffer.from(t).toString('base64');
/** A well-formed token no key of the relay signed. */
const junkToken = () => randomBytes(2 + 32 + 32 + 32 + 256).toString('base64');

/** The next `n` envelopes pushed to `c`, then a check that no other one is queued for it. */
async function exactly(c: WireClient, n: number) {
  const got = [];
  for (let i = 0; i < n; i++) got.push(await c.nextEnvelope());
  expect((await c.call('account.info', {})).queuedEnvelopes).toBe(n);
  await c.call('message.ack', { ids: got.map((e) => e.id) });
  return got;
}

/** Per-item refusals of one batch; the refused items' tokens are then spent one by one to show they were not. */
async function perItemRefusals(url: string): Promise<void> {
  const alice = await SignalUser.register(url);
  const bob = await SignalUser.register(url);
  const carol = await SignalUser.register(url);
  const dave = await SignalUser.register(url); // never set a delivery key
  const keys = new Map<string, Buffer>();
  for (const u of [bob, carol]) {
    keys.set(u.accountId, randomBytes(32));
    await u.client.call('deliveryKey.set', { keyHash: keyHash(keys.get(u.accountId)!) });
  }
  for (const u of [bob, carol, dave]) {
    await alice.startSession(u.accountId);
    await u.client.drainQueue();
  }
  const { tokens } = await issueTokens(alice.client, 6);
  const sealed = await WireClient.connect(url);
  const item = async (to: SignalUser, text: string, token: string, key = keys.get(to.accountId)!) => ({
    to: to.accountId,
    payload: await alice.seal(to.accountId, text),
    deliveryKey: key.toString('base64'),
    token,
  });
  try {
    // tokens[0] is spent before the batch by a lone send.
    await sealed.call('message.sendSealed', await item(bob, 'before', b64(tokens[0]!)));
    expect(await bob.open((await exactly(bob.client, 1))[0]!.payload)).toMatchObject({ text: 'before' });

    const { results } = await sealed.call('message.sendSealedBatch', {
      items: [
        await item(bob, 'one', b64(tokens[1]!)),
        await item(bob, 'wrong key', b64(tokens[2]!), randomBytes(32)),
        await item(dave, 'no key set', b64(tokens[3]!), keys.get(bob.accountId)),
        await item(bob, 'double spent', b64(tokens[0]!)),
        await item(carol, 'two', b64(tokens[4]!)),
        await item(carol, 'same token again', b64(tokens[4]!)),
        await item(bob, 'forged', junkToken()),
        await item(bob, 'three', b64(tokens[5]!)),
      ],
    });
    expect(results.map((r) => ('refused' in r ? r.refused : 'stored'))).toEqual([
      'stored',
      'deliveryKey',
      'deliveryKey',
      'token',
      'stored',
      'token',
      'token',
      'stored',
    ]);

    // The stored ones arrive, in order, once each; nothing of the refused ones does.
    const toBob = await exactly(bob.client, 2);
    expect(toBob.map((e) => e.id)).toEqual(
      [results[0], results[7]].map((r) => (r as { envelopeId: string }).envelopeId),
    );
    expect(await Promise.all(toBob.map(async (e) => (await bob.open(e.payload)).text))).toEqual([
      'one',
      'three',
    ]);
    const toCarol = await exactly(carol.client, 1);
    expect(await Promise.all(toCarol.map(async (e) => (await carol.open(e.payload)).text))).toEqual(['two']);
    expect((await dave.client.call('account.info', {})).queuedEnvelopes).toBe(0);

    // The key-refused items' tokens were not spent: each still pays for a send.
    for (const [token, text] of [
      [tokens[2]!, 'token of the wrong-key item'],
      [tokens[3]!, 'token of the no-key item'],
    ] as const) {
      await sealed.call('message.sendSealed', await item(bob, text, b64(token)));
      expect(await bob.open((await exactly(bob.client, 1))[0]!.payload)).toMatchObject({ text });
    }
    // The tokens that were stored are spent.
    for (const t of [tokens[1]!, tokens[4]!, tokens[5]!])
      expect(
        (await wireError(sealed.call('message.sendSealed', await item(bob, 'x', b64(t))))).wire.reason,
      ).toBe('token');
  } finally {
    for (const c of [sealed, alice.client, bob.client, carol.client, dave.client]) await c.close();
  }
}

describe('message.sendSealedBatch on SQLite', () => {
  let relay: RunningRelay;
  beforeAll(async () => {
    relay = await startRelay({
      port: 0,
      logger: false,
      limits: { rates: { sealedSendsPerConnection: { burst: 12, perSecond: 1000 } } },
    });
  });
  afterAll(async () => {
    await relay.close();
  });

  it('refuses a wrong or missing key, a spent, repeated or forged token per item; stores the rest; refused items spend nothing', async () => {
    await perItemRefusals(relay.url);
  });

  it('refuses the whole batch, spending nothing, when it is over the burst or one item is invalid; only on a sealed connection', async () => {
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    const bobKey = randomBytes(32);
    await bob.client.call('deliveryKey.set', { keyHash: keyHash(bobKey) });
    await alice.startSession(bob.accountId);
    await bob.client.drainQueue();
    const { tokens } = await issueTokens(alice.client, 13);
    const item = async (i: number, expiresAt?: number) => ({
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, `m${i}`),
      deliveryKey: bobKey.toString('base64'),
      token: b64(tokens[i]!),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
    const sealed = await WireClient.connect(relay.url);
    try {
      // On the account's own connection the op is refused before any check.
      const onAccount = await wireError(
        alice.client.call('message.sendSealedBatch', { items: [await item(0)] }),
      );
      expect(onAccount.message).toMatch(/never authenticated/);
      // 13 items: more than this relay's burst of 12, so never admissible.
      const big = await wireError(
        sealed.call('message.sendSealedBatch', { items: await Promise.all(tokens.map((_, i) => item(i))) }),
      );
      expect(big.kind).toBe('InvalidInput');
      expect(big.message).toMatch(/burst/);
      // One item past its deadline refuses them all.
      const late = await wireError(
        sealed.call('message.sendSealedBatch', { items: [await item(0), await item(1, Date.now() - 1)] }),
      );
      expect(late.kind).toBe('InvalidInput');
      expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(0);
      // None of those tokens was spent: all 12 go through now, in one batch, in order.
      const { results } = await sealed.call('message.sendSealedBatch', {
        items: await Promise.all(tokens.slice(0, 12).map((_, i) => item(i))),
      });
      expect(results.every((r) => 'envelopeId' in r)).toBe(true);
      const got = await exactly(bob.client, 12);
      expect(await Promise.all(got.map(async (e) => (await bob.open(e.payload)).text))).toEqual(
        Array.from({ length: 12 }, (_, i) => `m${i}`),
      );
    } finally {
      for (const c of [sealed, alice.client, bob.client]) await c.close();
    }
  });
});

describe.skipIf(skipPostgres())('message.sendSealedBatch on PostgreSQL', () => {
  it('refuses a wrong or missing key, a spent, repeated or forged token per item; stores the rest; refused items spend nothing', async () => {
    const schema = freshSchema();
    const relay = await startRelay({ port: 0, logger: false, databaseUrl: PG_URL, databaseSchema: schema });
    try {
      await perItemRefusals(relay.url);
    } finally {
      await relay.close();
      await dropSchema(schema);
    }
  });
});

describe('a sealed connection whose sends were all refused', () => {
  it('still has to authenticate in time; one that got a batch item stored may stay open', async () => {
    const quick = await startRelay({ port: 0, logger: false, limits: { unauthenticatedTimeoutMs: 1500 } });
    const alice = await SignalUser.register(quick.url);
    const bob = await SignalUser.register(quick.url);
    const bobKey = randomBytes(32);
    await bob.client.call('deliveryKey.set', { keyHash: keyHash(bobKey) });
    await alice.startSession(bob.accountId);
    const { tokens } = await issueTokens(alice.client, 1);
    const item = async (token: string) => ({
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'hi'),
      deliveryKey: bobKey.toString('base64'),
      token,
    });
    const items = { paid: await item(b64(tokens[0]!)), unpaid: await item(junkToken()) };
    // Opened first: its deadline passes before the other's.
    const paying = await WireClient.connect(quick.url);
    const freeloader = await WireClient.connect(quick.url);
    try {
      const paid = await paying.call('message.sendSealedBatch', { items: [items.paid, items.unpaid] });
      expect(paid.results.map((r) => 'envelopeId' in r)).toEqual([true, false]);
      // Every item refused: no token spent, so the connection is still an unauthenticated one.
      const free = await freeloader.call('message.sendSealedBatch', { items: [items.unpaid, items.unpaid] });
      expect(free.results).toEqual([{ refused: 'token' }, { refused: 'token' }]);
      expect((await freeloader.closed).code).toBe(4001);
      expect((await paying.call('server.info', {})).protocolVersion).toBeGreaterThan(0);
    } finally {
      for (const c of [paying, freeloader, alice.client, bob.client]) await c.close();
      await quick.close();
    }
  });
});
