// Anonymous-send tokens on a real relay (issue 14), on SQLite and PostgreSQL: a token is spent
// once, a token of an unknown or expired key or a tampered one is refused, the daily allowance
// caps issuance, nothing the relay keeps links a spent token to the account it was issued to,
// and a restart keeps the keys and what was spent.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeToken, encodeTokenChallenge, encodeTokenInput, tokenKeySpki } from '../../common/wire';
import { startRelay, type RunningRelay, type StartRelayOptions } from '../../relay';
import { blindBatch, finalizeBatch, rsaParts } from '../../core/tokens/blindRsa';
import { keygen } from '../../relay/serverKeys';
import { blindSign } from '../../relay/tokens';
import { deliveryKeyHash } from '../../relay/sealed';
import { testBackends, type TestBackend } from '../helpers/relay/relayDb';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient, wireError } from '../helpers/relay/wireClient';
import { issueTokens } from '../helpers/tokens/issueTokens';

const DAY = 24 * 60 * 60 * 1000;
const NOON = Date.UTC(2026, 10, 30, 12);

/** The thrown WispError's kind (spendTokens throws typed errors in process). */
async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { kind?: string }).kind ?? 'untyped';
  }
  return 'ok';
}

/** Longest run of bytes that `a` and `b` have in common (naive; inputs are a few hundred bytes). */
function longestCommonRun(a: Uint8Array, b: Uint8Array): number {
  let best = 0;
  const prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = a[i - 1] === b[j - 1] ? diag + 1 : 0;
      best = Math.max(best, prev[j]!);
      diag = up;
    }
  }
  return best;
}

describe.each(testBackends())('anonymous-send tokens ($kind)', ({ make }) => {
  let backend: TestBackend;
  let relay: RunningRelay | undefined;
  let clock = NOON;
  const users: SignalUser[] = [];
  const clients: WireClient[] = [];

  /** The options of this backend's relay; on PostgreSQL a server key file made once, so restarts and a second node share it. */
  function relayOptions(): StartRelayOptions {
    const serverKeyFile = join(backend.keyDir, 'server-key.json');
    if (backend.kind === 'postgres' && !existsSync(serverKeyFile))
      keygen(join(backend.keyDir, 'root.json'), serverKeyFile);
    return {
      ...backend.options,
      ...(backend.kind === 'postgres' ? { serverKeyFile } : {}),
      tokenSecretFile: join(backend.keyDir, 'token-key-secret.json'),
      logger: false,
      now: () => clock,
    };
  }

  async function start(extra: Partial<StartRelayOptions> = {}): Promise<RunningRelay> {
    relay = await startRelay({ ...relayOptions(), ...extra });
    return relay;
  }

  async function user(): Promise<SignalUser> {
    const u = await SignalUser.register(relay!.url);
    users.push(u);
    return u;
  }

  afterEach(async () => {
    for (const u of users.splice(0)) await u.client.close();
    for (const c of clients.splice(0)) await c.close();
    await relay?.close();
    relay = undefined;
    await backend.cleanup();
    clock = NOON;
  });

  it('spends a token once: a second spend, alone or in a batch, is refused and the batch records nothing', async () => {
    backend = make();
    await start();
    const alice = await user();
    const { tokens } = await issueTokens(alice.client, 3, clock);
    await relay!.spendTokens([tokens[0]!]);
    expect(await kindOf(relay!.spendTokens([tokens[0]!]))).toBe('TokenSpent');
    // All or none: the spent one sinks the batch, and the fresh one in it stays unspent.
    expect(await kindOf(relay!.spendTokens([tokens[1]!, tokens[0]!]))).toBe('TokenSpent');
    expect(await kindOf(relay!.spendTokens([tokens[2]!, tokens[2]!]))).toBe('TokenSpent');
    await relay!.spendTokens([tokens[1]!, tokens[2]!]);
    expect(await kindOf(relay!.spendTokens([tokens[2]!]))).toBe('TokenSpent');
  });

  it('lets exactly one of two concurrent spends of a token win, also across two relay nodes', async () => {
    backend = make();
    await start();
    const alice = await user();
    const { tokens } = await issueTokens(alice.client, 4, clock);
    const once = await Promise.allSettled([
      relay!.spendTokens([tokens[0]!]),
      relay!.spendTokens([tokens[0]!]),
    ]);
    expect(once.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(once.find((r) => r.status === 'rejected')).toMatchObject({ reason: { kind: 'TokenSpent' } });
    if (backend.kind !== 'postgres') return;
    // A second node on the same database and the same token key file.
    const second = await startRelay(relayOptions());
    try {
      // Both nodes sign with the same keys (shared through the database), so either may serve.
      const anon = await WireClient.connect(second.url);
      clients.push(anon);
      expect((await anon.call('tokens.keys', {})).keys).toEqual(
        (await alice.client.call('tokens.keys', {})).keys,
      );
      const both = await Promise.allSettled([
        relay!.spendTokens([tokens[1]!]),
        second.spendTokens([tokens[1]!]),
      ]);
      expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await kindOf(second.spendTokens([tokens[0]!]))).toBe('TokenSpent');
      await second.spendTokens([tokens[2]!]);
      expect(await kindOf(relay!.spendTokens([tokens[2]!]))).toBe('TokenSpent');
    } finally {
      await second.close();
    }
  });

  it('records a sealed send’s token in its envelope’s write: of two concurrent sends with one token exactly one is stored, also across two nodes', async () => {
    backend = make();
    await start();
    const alice = await user();
    const bob = await user();
    await alice.startSession(bob.accountId);
    const bobKey = randomBytes(32);
    await bob.client.call('deliveryKey.set', {
      keyHash: Buffer.from(deliveryKeyHash(bobKey)).toString('base64'),
    });
    await bob.client.drainQueue();
    const { tokens } = await issueTokens(alice.client, 2, clock);
    const sendOn = async (url: string, text: string, token: Uint8Array) => {
      const sealed = await WireClient.connect(url);
      clients.push(sealed);
      return sealed.call('message.sendSealed', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, text),
        deliveryKey: bobKey.toString('base64'),
        token: Buffer.from(token).toString('base64'),
      });
    };
    const race = async (urls: [string, string], token: Uint8Array) => {
      const outcomes = await Promise.allSettled([
        sendOn(urls[0], 'first', token),
        sendOn(urls[1], 'second', token),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ wire: { kind: 'Unauthorized', reason: 'token' } });
      // Exactly one envelope reached the queue: the loser stored nothing.
      expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(1);
      await bob.client.call('message.ack', { ids: [(await bob.client.nextEnvelope()).id] });
      expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(0);
    };
    await race([relay!.url, relay!.url], tokens[0]!);
    if (backend.kind !== 'postgres') return;
    const second = await startRelay(relayOptions());
    try {
      await race([relay!.url, second.url], tokens[1]!);
    } finally {
      await second.close();
    }
  });

  it('keeps a sealed send’s token spent when the recipient’s queue is full (nothing stored)', async () => {
    backend = make();
    await start({ limits: { maxQueuedEnvelopes: 1 } });
    const alice = await user();
    const bob = await user();
    await alice.startSession(bob.accountId);
    const bobKey = randomBytes(32);
    await bob.client.call('deliveryKey.set', {
      keyHash: Buffer.from(deliveryKeyHash(bobKey)).toString('base64'),
    });
    await bob.client.drainQueue();
    const { tokens } = await issueTokens(alice.client, 2, clock);
    const sealed = await WireClient.connect(relay!.url);
    clients.push(sealed);
    const send = async (text: string, token: Uint8Array) =>
      sealed.call('message.sendSealed', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, text),
        deliveryKey: bobKey.toString('base64'),
        token: Buffer.from(token).toString('base64'),
      });
    await send('fills the queue', tokens[0]!);
    expect((await wireError(send('no room', tokens[1]!))).kind).toBe('RelayQueueFull');
    expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(1);
    // The refused envelope cost its token: once there is room, that token is refused as spent.
    await bob.client.call('message.ack', { ids: [(await bob.client.nextEnvelope()).id] });
    expect((await wireError(send('room now', tokens[1]!))).wire.reason).toBe('token');
    expect((await bob.client.call('account.info', {})).queuedEnvelopes).toBe(0);
  });

  it('refuses tampered tokens, tokens of a key it never had and tokens past their key’s life', async () => {
    backend = make();
    await start();
    const alice = await user();
    const { tokens } = await issueTokens(alice.client, 2, clock);
    for (const at of [5, 40, 70, 120, 300]) {
      const bad = Uint8Array.from(tokens[0]!);
      bad[at]! ^= 0x01;
      expect(await kindOf(relay!.spendTokens([bad]))).toBe('TokenInvalid');
    }
    expect(await kindOf(relay!.spendTokens([tokens[0]!.subarray(0, 200)]))).toBe('TokenInvalid');

    // A token that verifies under a key of the attacker's own, with this relay's challenge.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = tokenKeySpki(publicKey.export({ type: 'pkcs1', format: 'der' }));
    const foreignId = createHash('sha256').update(spki).digest();
    const digest = createHash('sha256').update(encodeTokenChallenge('wisp-relay')).digest();
    const input = encodeTokenInput(Buffer.alloc(32, 7), digest, foreignId);
    const parts = { key: publicKey, ...rsaParts(publicKey) };
    const { blinded, inverses } = blindBatch(parts, [input]);
    const [auth] = finalizeBatch(
      parts,
      [input],
      [blindSign({ privateKey, publicKey }, blinded[0]!)],
      inverses,
    );
    expect(await kindOf(relay!.spendTokens([encodeToken(input, auth!)]))).toBe('TokenInvalid');

    // The issuing key signs for a day and is accepted a day more; then its tokens are refused.
    const keys = await alice.client.call('tokens.keys', {});
    const issuing = keys.keys.find((k) => k.issueFrom <= clock && clock < k.issueUntil)!;
    clock = issuing.spendUntil;
    expect(await kindOf(relay!.spendTokens([tokens[1]!]))).toBe('TokenInvalid');
  });

  it('rotates: the next key is published ahead, an old key’s tokens stay good through the overlap', async () => {
    backend = make();
    await start();
    const alice = await user();
    const before = await alice.client.call('tokens.keys', {});
    expect(before.keys.map((k) => k.issueFrom)).toEqual([Date.UTC(2026, 10, 30), Date.UTC(2026, 11, 1)]);
    const { tokens } = await issueTokens(alice.client, 2, clock);
    clock += DAY;
    const after = await alice.client.call('tokens.keys', {});
    expect(after.keys.map((k) => k.tokenKeyId)).toEqual([
      before.keys[0]!.tokenKeyId,
      before.keys[1]!.tokenKeyId,
      expect.any(String),
    ]);
    // Yesterday's key no longer issues, but what it issued is still spendable.
    const stale = await wireError(
      alice.client.call('tokens.issue', {
        tokenKeyId: before.keys[0]!.tokenKeyId,
        blindedMessages: [Buffer.alloc(256, 1).toString('base64')],
      }),
    );
    expect(stale.kind).toBe('InvalidInput');
    await relay!.spendTokens([tokens[0]!]);
    const fresh = await issueTokens(alice.client, 1, clock);
    await relay!.spendTokens(fresh.tokens);
  });

  it('caps issuance per account per UTC day, partly filling the batch that crosses the cap', async () => {
    backend = make();
    await start({ limits: { tokensPerDay: 10 } });
    const alice = await user();
    const bob = await user();
    expect((await issueTokens(alice.client, 8, clock)).remainingToday).toBe(2);
    const partial = await issueTokens(alice.client, 5, clock);
    expect(partial.tokens).toHaveLength(2);
    expect(partial.remainingToday).toBe(0);
    const refused = await wireError(issueTokens(alice.client, 1, clock));
    expect(refused.kind).toBe('TokensExhausted');
    expect(refused.wire.retryAfterMs).toBe(12 * 60 * 60 * 1000);
    // Another account has its own allowance; the next UTC day renews alice's.
    expect((await issueTokens(bob.client, 10, clock)).tokens).toHaveLength(10);
    clock = Date.UTC(2026, 11, 1, 0, 0, 1);
    expect((await issueTokens(alice.client, 10, clock)).tokens).toHaveLength(10);
  });

  it('links no spent token to its account: no shared bytes with what was issued, no account beside it', async () => {
    backend = make();
    await start();
    const alice = await user();
    const before = (await backend.stolenCells()).map((c) => c.toString('hex')).sort();
    const issued = await issueTokens(alice.client, 20, clock);
    // Issuance writes nothing at all.
    expect((await backend.stolenCells()).map((c) => c.toString('hex')).sort()).toEqual(before);
    await relay!.spendTokens(issued.tokens);
    for (const token of issued.tokens) {
      for (const seen of [...issued.blinded, ...issued.blindSignatures])
        expect(longestCommonRun(token, seen)).toBeLessThan(8);
    }
    const db = await backend.db();
    try {
      const rows = await db.all('SELECT * FROM spent_tokens');
      expect(rows).toHaveLength(20);
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(['expires_at', 'token_hash']);
      const stored = new Set(rows.map((r) => (r.token_hash as Buffer).toString('hex')));
      // Each stored hash is derived from a spent token alone (its signed part), nothing else.
      expect(stored).toEqual(
        new Set(issued.tokens.map((t) => createHash('sha256').update(t.subarray(0, 98)).digest('hex'))),
      );
      // Nothing the relay saw at issuance is what it stores at spending.
      for (const b of issued.blinded) {
        expect(stored.has(createHash('sha256').update(b).digest('hex'))).toBe(false);
        expect(stored.has(createHash('sha256').update(b.subarray(0, 98)).digest('hex'))).toBe(false);
      }
      // One expiry for every token of a key: no time of spending is kept.
      expect(new Set(rows.map((r) => Number(r.expires_at))).size).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('serves the key list without authentication and issues only to an authenticated account', async () => {
    backend = make();
    await start();
    const anon = await WireClient.connect(relay!.url);
    clients.push(anon);
    const keys = await anon.call('tokens.keys', {});
    expect(keys.tokenType).toBe(2);
    expect(keys.keys.length).toBeGreaterThanOrEqual(2);
    for (const k of keys.keys)
      expect(createHash('sha256').update(Buffer.from(k.publicKey, 'base64')).digest('base64')).toBe(
        k.tokenKeyId,
      );
    const refused = await wireError(
      anon.call('tokens.issue', {
        tokenKeyId: keys.keys[0]!.tokenKeyId,
        blindedMessages: [Buffer.alloc(256, 1).toString('base64')],
      }),
    );
    expect(refused.kind).toBe('Unauthorized');
    const alice = await user();
    const tooBig = await wireError(
      alice.client.call('tokens.issue', {
        tokenKeyId: keys.keys[0]!.tokenKeyId,
        blindedMessages: [Buffer.alloc(256, 0xff).toString('base64')],
      }),
    );
    expect(tooBig.kind).toBe('InvalidInput');
  });

  it('keeps its token keys (sealed in the database, the secret in a 0600 file) and what was spent across a restart', async () => {
    backend = make();
    await start();
    const alice = await user();
    const keys = await alice.client.call('tokens.keys', {});
    const { tokens } = await issueTokens(alice.client, 2, clock);
    await relay!.spendTokens([tokens[0]!]);
    await alice.client.close();
    users.splice(0);
    await relay!.close();
    expect(statSync(join(backend.keyDir, 'token-key-secret.json')).mode & 0o777).toBe(0o600);
    await start();
    const anon = await WireClient.connect(relay!.url);
    clients.push(anon);
    expect((await anon.call('tokens.keys', {})).keys.map((k) => k.tokenKeyId)).toEqual(
      keys.keys.map((k) => k.tokenKeyId),
    );
    expect(await kindOf(relay!.spendTokens([tokens[0]!]))).toBe('TokenSpent');
    await relay!.spendTokens([tokens[1]!]);
  });

  it('cannot use the keys in its database without their secret file (a stolen database mints nothing)', async () => {
    backend = make();
    await start();
    await relay!.close();
    relay = undefined;
    const db = await backend.db();
    try {
      const rows = await db.all('SELECT sealed_key FROM token_keys');
      expect(rows.length).toBeGreaterThanOrEqual(2);
      // No PKCS#8 RSA private key in clear: its DER names the rsaEncryption OID.
      const rsaOid = Buffer.from('06092a864886f70d0101010500', 'hex');
      for (const r of rows) expect((r.sealed_key as Buffer).includes(rsaOid)).toBe(false);
    } finally {
      await db.close();
    }
    await expect(start({ tokenSecretFile: join(backend.keyDir, 'other-secret.json') })).rejects.toMatchObject(
      {
        kind: 'InvalidInput',
      },
    );
    relay = undefined;
  });

  it('purges spent tokens once their key is no longer accepted', async () => {
    backend = make();
    await start();
    const alice = await user();
    const { tokens } = await issueTokens(alice.client, 3, clock);
    await relay!.spendTokens(tokens);
    const count = async () => {
      const db = await backend.db();
      try {
        return Number((await db.all('SELECT COUNT(*) AS n FROM spent_tokens'))[0]!.n);
      } finally {
        await db.close();
      }
    };
    await relay!.purgeExpired();
    expect(await count()).toBe(3);
    clock += 2 * DAY;
    await relay!.purgeExpired();
    expect(await count()).toBe(0);
  });
});
