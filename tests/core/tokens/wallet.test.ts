// The token wallet on a real relay and a real SQLCipher store: take(n) hands out tokens the relay
// accepts once, refilling in batches; tokens of expired keys are dropped; a used-up allowance is a
// typed error; and a relay that signs under a key it did not publish gets nothing stored.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RelayClient } from '../../../core/relayClient/relayClient';
import { anonymousKeySource, createTokenWallet, type TokenIssuer } from '../../../core/tokens';
import { parseToken } from '../../../common/wire';
import { startRelay, type RunningRelay } from '../../../relay';
import { blindSign } from '../../../relay/tokens';
import { sql } from '../../../core/store/sql';
import { openTestStore, type TestStore } from '../../helpers/store/tempProfile';

const DAY = 24 * 60 * 60 * 1000;
const NOON = Date.UTC(2026, 10, 30, 12);

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { kind?: string }).kind ?? 'untyped';
  }
  return 'ok';
}

describe('token wallet', () => {
  let relay: RunningRelay;
  let client: RelayClient;
  let t: TestStore;
  let clock = NOON;

  async function setup(tokensPerDay = 10_000): Promise<void> {
    clock = NOON;
    relay = await startRelay({ logger: false, now: () => clock, limits: { tokensPerDay } });
    const identity = IdentityKeyPair.generate();
    client = new RelayClient({
      url: relay.url,
      accountId: null,
      sign: (m) => identity.privateKey.sign(m),
      reconnect: false,
    });
    await client.register(identity.publicKey.serialize(), 42);
    t = openTestStore();
  }

  afterEach(async () => {
    await client?.close();
    await relay?.close();
    t?.cleanup();
  });

  it('takes tokens the relay accepts exactly once, refilling in batches before it runs out', async () => {
    await setup();
    const wallet = createTokenWallet(t.store, client, anonymousKeySource(relay.url), {
      batchSize: 100,
      lowWater: 20,
      now: () => clock,
    });
    const first = await wallet.take(150);
    expect(first).toHaveLength(150);
    expect(new Set(first.map((x) => Buffer.from(x).toString('hex'))).size).toBe(150);
    expect(wallet.count()).toBeGreaterThanOrEqual(20);
    await relay.spendTokens(first);
    expect(await kindOf(relay.spendTokens([first[0]!]))).toBe('TokenSpent');
    // A token handed out is gone from the wallet; one never sent can be put back.
    const unsent = await wallet.take(3);
    const held = wallet.count();
    wallet.restore(unsent);
    expect(wallet.count()).toBe(held + 3);
    const again = await wallet.take(held + 3);
    expect(again.map((x) => Buffer.from(x).toString('hex'))).toEqual(
      expect.arrayContaining(unsent.map((x) => Buffer.from(x).toString('hex'))),
    );
    await relay.spendTokens(again);
  });

  it('keeps a stock: refills it in the background once a quarter is left, and a take never waits for that refill', async () => {
    await setup();
    // The relay's answers to issuance after the first are held until released, so a take that
    // waited for the background refill would not come back.
    let issues = 0;
    let keyFetches = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const gated: TokenIssuer = {
      request: (async (op: 'tokens.issue', body: never) => {
        const answer = await client.request(op, body);
        if (++issues > 1) await held;
        return answer;
      }) as TokenIssuer['request'],
    };
    const keys = anonymousKeySource(relay.url);
    const wallet = createTokenWallet(
      t.store,
      gated,
      () => {
        keyFetches++;
        return keys();
      },
      { batchSize: 40, lowWater: 5, stock: 40, now: () => clock },
    );
    // Empty: the first take waits for n + lowWater, then leaves 5, under a quarter of the stock.
    expect(await wallet.take(1)).toHaveLength(1);
    expect(wallet.count()).toBe(5);
    await vi.waitFor(() => expect(issues).toBe(2));
    // The top-up to 40 is under way and held; takes the store can serve come back meanwhile.
    const during = await wallet.take(4);
    expect(during).toHaveLength(4);
    expect(wallet.count()).toBe(1);
    release();
    await vi.waitFor(() => expect(wallet.count()).toBe(1 + 35));
    // One key list served both refills.
    expect(keyFetches).toBe(1);
    await relay.spendTokens([...during]);
  });

  it('hands each of several takes that wait for one refill its full count, no token twice', async () => {
    await setup();
    const wallet = createTokenWallet(t.store, client, anonymousKeySource(relay.url), {
      batchSize: 100,
      lowWater: 5,
      now: () => clock,
    });
    // An empty wallet: all three wait for the first refill (35 tokens), which covers only one.
    const takes = await Promise.all([wallet.take(30), wallet.take(30), wallet.take(30)]);
    expect(takes.map((x) => x.length)).toEqual([30, 30, 30]);
    const all = takes.flat().map((x) => Buffer.from(x).toString('hex'));
    expect(new Set(all).size).toBe(90);
    await relay.spendTokens(takes.flat());
  });

  it('keeps tokens only in the encrypted store (no token bytes in the database file)', async () => {
    await setup();
    const wallet = createTokenWallet(t.store, client, anonymousKeySource(relay.url), { now: () => clock });
    const [token] = await wallet.take(1);
    const held = t.store.write.all<{ token: Buffer }>(sql`SELECT token FROM send_tokens`);
    expect(held.length).toBeGreaterThan(0);
    t.store.checkpoint();
    const file = readFileSync(t.path);
    for (const { token: kept } of held) expect(file.includes(kept.subarray(2, 34))).toBe(false);
    expect(parseToken(token!)).not.toBeNull();
  });

  it('drops tokens of expired keys and refills under the current key', async () => {
    await setup();
    const wallet = createTokenWallet(t.store, client, anonymousKeySource(relay.url), {
      batchSize: 50,
      lowWater: 10,
      now: () => clock,
    });
    await wallet.take(1);
    expect(wallet.count()).toBeGreaterThan(0);
    clock += 2 * DAY;
    expect(wallet.count()).toBe(0);
    const fresh = await wallet.take(5);
    await relay.spendTokens(fresh);
  });

  it('says clearly when the day’s allowance is used up, and serves what it still holds', async () => {
    await setup(30);
    const wallet = createTokenWallet(t.store, client, anonymousKeySource(relay.url), {
      batchSize: 500,
      lowWater: 20,
      now: () => clock,
    });
    expect(await wallet.take(20)).toHaveLength(20); // asked for 40, the relay gave 30
    expect(wallet.count()).toBe(10);
    let error: unknown;
    try {
      await wallet.take(11);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: 'TokensExhausted', recovery: expect.stringContaining('00:00 UTC') });
    expect(wallet.count()).toBe(10);
    expect(await wallet.take(10)).toHaveLength(10);
    clock = Date.UTC(2026, 11, 1, 0, 1);
    expect(await wallet.take(10)).toHaveLength(10);
  });

  it('gets tokens under the relay’s current key even when this machine’s clock is a day ahead', async () => {
    await setup();
    const wallet = createTokenWallet(t.store, client, anonymousKeySource(relay.url), {
      now: () => clock + DAY - 60_000,
    });
    const tokens = await wallet.take(5);
    await relay.spendTokens(tokens);
  });

  it('stores nothing from a relay that signs under a key it did not publish (a per-user key)', async () => {
    await setup();
    // The authenticated connection answers tokens.issue with signatures of a key of its own,
    // while the anonymous key list shows the relay's real key.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const tagging: TokenIssuer = {
      request: (async (_op: string, body: { blindedMessages: string[] }) => ({
        blindSignatures: body.blindedMessages.map((b) => {
          // Reduce below this key's modulus the way a relay would for its own key.
          const m = Buffer.from(b, 'base64');
          m[0] = 0;
          return blindSign({ privateKey, publicKey }, m).toString('base64');
        }),
        remainingToday: 100,
      })) as TokenIssuer['request'],
    };
    const wallet = createTokenWallet(t.store, tagging, anonymousKeySource(relay.url), { now: () => clock });
    expect(await kindOf(wallet.take(5))).toBe('TokenInvalid');
    expect(wallet.count()).toBe(0);
  });
});
