// The token wallet: anonymous-send tokens kept in the encrypted store (migration 9), handed out
// by `take(n)` (one per recipient of an unauthenticated send) and refilled in batches over the
// authenticated connection before they run out. Keys come only from an anonymous fetch of
// `tokens.keys`, and every signature is verified against that key, so the relay cannot give this
// account tokens under a key of its own (which would link the tokens back to it).
import { randomFillSync, createHash } from 'node:crypto';
import { WispError, isWispError } from '../../common/errors';
import {
  MAX_TOKEN_BATCH,
  TOKEN_NONCE_BYTES,
  encodeToken,
  encodeTokenChallenge,
  encodeTokenInput,
  parseToken,
  type OpResult,
} from '../../common/wire';
import type { Store } from '../store/store';
import { sql } from '../store/sql';
import { RelayClient, type RelayClientOptions } from '../relayClient/relayClient';
import { blindBatch, finalizeBlinded, parseTokenKey, type TokenPublicKey } from './blindRsa';

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How long a fetched key list is reused for refills: a fetch is a connection of its own (a round
 * trip and a handshake), and the list changes once a day. A list that failed a refill is dropped.
 */
const KEY_LIST_TTL_MS = 10 * 60 * 1000;
/** Most tokens one take may ask for (a send to a full room needs 499). */
export const MAX_TAKE = 1000;
/** Most a wallet keeps in stock: a tenth of the default day's allowance. */
export const MAX_STOCK = 1000;

/** What the engine calls: n tokens, one per recipient of an unauthenticated send. */
export interface TokenWallet {
  /** n finalized tokens, removed from the wallet; refills first when it holds too few. */
  take(n: number): Promise<Uint8Array[]>;
  /** Puts back tokens that never reached the relay (a send that failed before it was written). */
  restore(tokens: readonly Uint8Array[]): void;
  /** Tokens held now (unexpired). */
  count(): number;
  /**
   * Refills up to the stock in the background once a quarter of it is left (ahead of need, apart
   * from any send); never throws. A no-op for a wallet without a stock.
   */
  topUp(): void;
  /**
   * The engine is closing: no refill starts from now on, and one under way stops after the batch in
   * flight, which is waited for (its tokens are counted against the day's allowance) up to
   * `maxWaitMs` and written whole; a batch answered later is dropped, never written half or after.
   */
  settle(maxWaitMs: number): Promise<void>;
}

/** The authenticated connection: only `tokens.issue` goes over it. */
export type TokenIssuer = Pick<RelayClient, 'request'>;
/** The relay's key list, fetched on a connection that carries no account (see anonymousKeySource). */
export type TokenKeySource = () => Promise<OpResult<'tokens.keys'>>;

export interface TokenWalletOptions {
  /** Blinded messages per `tokens.issue` request (at most 500). */
  batchSize?: number;
  /** A take that finds fewer than it needs refills first (waiting for it), to `n + lowWater`. */
  lowWater?: number;
  /**
   * What a background refill tops the wallet up to, once a quarter of it is left (0, the default:
   * none). The engine keeps a stock so that sends take tokens from the store, not wait for issuance.
   */
  stock?: number;
  /** Tokens whose key stops being accepted this soon are dropped instead of handed out. */
  expiryMarginMs?: number;
  now?: () => number;
}

/**
 * Fetches `tokens.keys` on a fresh unauthenticated connection (closed right after). `options`
 * carries what every relay connection of this profile uses (a proxy, timeouts); never an account.
 */
export function anonymousKeySource(
  relayUrl: RelayClientOptions['url'],
  options: Omit<Partial<RelayClientOptions>, 'url' | 'accountId' | 'sign'> = {},
): TokenKeySource {
  return async () => {
    const client = new RelayClient({
      ...options,
      url: relayUrl,
      accountId: null,
      sign: () => {
        throw new WispError('Internal', 'the anonymous key fetch never authenticates');
      },
      reconnect: false,
    });
    try {
      return await client.request('tokens.keys', {});
    } finally {
      await client.close();
    }
  };
}

export function createTokenWallet(
  store: Store,
  issuer: TokenIssuer,
  keys: TokenKeySource,
  options: TokenWalletOptions = {},
): TokenWallet {
  return new StoreTokenWallet(store, issuer, keys, options);
}

class StoreTokenWallet implements TokenWallet {
  private readonly batchSize: number;
  private readonly lowWater: number;
  private readonly stock: number;
  private readonly margin: number;
  private readonly now: () => number;
  /** The refill under way: one at a time, and takes wait for it only when the store holds too few. */
  private refilling: Promise<void> | null = null;
  /** The last anonymous key list and until when it is reused. */
  private keyList: { list: OpResult<'tokens.keys'>; until: number } | null = null;
  /** The relay said today's allowance is used up: no issuance is asked for before this time. */
  private exhaustedUntil = 0;
  /** Until when each key's tokens are accepted (hex key id), for tokens restored after a take. */
  private readonly keyExpiry = new Map<string, number>();
  /** settle() was called: no refill starts, none goes on past its batch in flight. */
  private closing = false;
  /** settle() gave up waiting: the store may be closed, so an answer arriving now is dropped. */
  private abandoned = false;

  constructor(
    private readonly store: Store,
    private readonly issuer: TokenIssuer,
    private readonly keys: TokenKeySource,
    options: TokenWalletOptions,
  ) {
    this.batchSize = Math.min(MAX_TOKEN_BATCH, Math.max(1, options.batchSize ?? 250));
    this.lowWater = options.lowWater ?? 50;
    this.stock = Math.min(MAX_STOCK, Math.max(0, options.stock ?? 0));
    this.margin = options.expiryMarginMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  count(): number {
    this.dropExpired();
    return this.store.write.value<number>(sql`SELECT COUNT(*) FROM send_tokens`) ?? 0;
  }

  async take(n: number): Promise<Uint8Array[]> {
    if (!Number.isInteger(n) || n < 1 || n > MAX_TAKE)
      throw new WispError('InvalidInput', `take 1 to ${MAX_TAKE} tokens`);
    // Checked and taken with no await between (one synchronous transaction): two takes can never
    // be handed the same token, and one that waited for a refill checks again, since another take
    // may have used those tokens first.
    while (this.count() < n) await this.refillFor(n);
    const taken = this.takeStored(n);
    this.topUp();
    return taken;
  }

  topUp(): void {
    if (this.closing || this.stock === 0 || this.refilling || this.now() < this.exhaustedUntil) return;
    const held = this.count();
    if (held >= this.refillBelow()) return;
    void this.refillOnce(this.stock - held).catch(() => undefined);
  }

  /** A stock is topped up once a quarter of it is left (not after every take: issuance is batched). */
  private refillBelow(): number {
    return Math.max(this.lowWater, Math.floor(this.stock / 4));
  }

  async settle(maxWaitMs: number): Promise<void> {
    this.closing = true;
    const running = this.refilling;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      running.then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), maxWaitMs))),
    ]);
    clearTimeout(timer);
    if (!waited) this.abandoned = true;
  }

  /** Runs one refill at a time; a caller arriving during one shares it. */
  private refillOnce(want: number): Promise<void> {
    if (this.refilling) return this.refilling;
    if (this.closing)
      return Promise.reject(
        new WispError('RelayUnavailable', 'the engine is closing', { recovery: 'open the profile again' }),
      );
    const run = this.refill(want).finally(() => {
      this.refilling = null;
    });
    this.refilling = run;
    return run;
  }

  /** Makes sure the store holds `n` (waiting for a refill under way first), or throws. */
  private async refillFor(n: number): Promise<void> {
    if (this.refilling) await this.refilling.catch(() => undefined);
    const held = this.count();
    if (held >= n) return;
    if (this.now() >= this.exhaustedUntil) {
      try {
        await this.refillOnce(n + this.lowWater - held);
      } catch (error) {
        // Tokens in hand still serve this send when the relay is away or the allowance ran out.
        if (
          !(isWispError(error, 'TokensExhausted') || isWispError(error, 'RelayUnavailable')) ||
          this.count() < n
        )
          throw error;
      }
    }
    if (this.count() < n) throw this.exhausted();
  }

  restore(tokens: readonly Uint8Array[]): void {
    const db = this.store.write;
    db.transaction(() => {
      for (const token of tokens) {
        const parsed = parseToken(token);
        const until = parsed && this.keyExpiry.get(Buffer.from(parsed.tokenKeyId).toString('hex'));
        // A token of a key this wallet never saw is not ours to keep.
        if (!parsed || until === undefined) continue;
        db.run(
          sql`INSERT INTO send_tokens (token, token_key_id, spend_until) VALUES (${token}, ${parsed.tokenKeyId}, ${until})`,
        );
      }
    });
  }

  private dropExpired(): void {
    this.store.write.run(sql`DELETE FROM send_tokens WHERE spend_until <= ${this.now() + this.margin}`);
  }

  private takeStored(n: number): Uint8Array[] {
    const db = this.store.write;
    return db.transaction(() => {
      const rows = db.all<{ id: number; token: Buffer; token_key_id: Buffer; spend_until: number }>(
        sql`SELECT id, token, token_key_id, spend_until FROM send_tokens ORDER BY spend_until, id LIMIT ${n}`,
      );
      for (const r of rows) {
        db.run(sql`DELETE FROM send_tokens WHERE id = ${r.id}`);
        this.keyExpiry.set(r.token_key_id.toString('hex'), r.spend_until);
      }
      return rows.map((r) => new Uint8Array(r.token));
    });
  }

  private exhausted(): WispError {
    const now = this.now();
    const renew = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
    const hours = Math.max(1, Math.ceil((renew - now) / 3_600_000));
    return new WispError('TokensExhausted', "today's allowance of anonymous sends is used up", {
      recovery: `It renews at 00:00 UTC (in about ${hours} h); until then, send with your account (not anonymously).`,
    });
  }

  /** The relay's key list, fetched anonymously, reused for a while (KEY_LIST_TTL_MS). */
  private async keysNow(): Promise<OpResult<'tokens.keys'>> {
    const now = this.now();
    if (this.keyList && now < this.keyList.until) return this.keyList.list;
    const list = await this.keys();
    this.keyList = { list, until: now + KEY_LIST_TTL_MS };
    return list;
  }

  /** Asks the relay for `want` tokens in batches under the key it issues with now. */
  private async refill(want: number): Promise<void> {
    try {
      await this.refillWith(await this.keysNow(), want);
    } catch (error) {
      // The relay may have moved to another key (or published a broken one): fetch it anew next time.
      this.keyList = null;
      throw error;
    }
  }

  private async refillWith(list: OpResult<'tokens.keys'>, want: number): Promise<void> {
    const now = this.now();
    // The relay always publishes the next key as well, so the one before the newest is the one it
    // signs with now; this machine's clock picks first, and a clock off around midnight falls back.
    const sorted = [...list.keys].sort((a, b) => a.issueFrom - b.issueFrom);
    const byClock = sorted.find((k) => k.issueFrom <= now && now < k.issueUntil);
    const byRelay = sorted[Math.max(0, sorted.length - 2)];
    const candidates = [...new Set([byClock, byRelay])].filter((k) => k !== undefined);
    if (candidates.length === 0)
      throw new WispError('RelayUnavailable', 'the relay publishes no token key', {
        recovery: 'anonymous sends wait until the relay has a key; try again later',
      });
    let tried = 0;
    let key = parseTokenKey(candidates[0]!);
    const digest = createHash('sha256').update(encodeTokenChallenge(list.issuerName)).digest();
    // Closing: the batch in flight is finished and written, no further one is asked for.
    while (want > 0 && !this.closing) {
      const size = Math.min(want, this.batchSize);
      let batch: { tokens: Uint8Array[]; remaining: number };
      try {
        batch = await this.issueBatch(key, digest, size);
      } catch (error) {
        // "not the key this relay issues with now": try the relay's own pick once.
        if (!isWispError(error, 'InvalidInput') || tried + 1 >= candidates.length) throw error;
        key = parseTokenKey(candidates[++tried]!);
        continue;
      }
      const { tokens, remaining } = batch;
      // Answered after close gave up on it: the store may be gone; nothing is written.
      if (this.abandoned) return;
      this.store.write.transaction(() => {
        for (const token of tokens)
          this.store.write.run(
            sql`INSERT INTO send_tokens (token, token_key_id, spend_until) VALUES (${token}, ${key.id}, ${key.spendUntil})`,
          );
      });
      want -= tokens.length;
      if (remaining === 0 || tokens.length < size) {
        this.exhaustedUntil = (Math.floor(this.now() / DAY_MS) + 1) * DAY_MS;
        if (want > 0) throw this.exhausted();
        return;
      }
    }
  }

  private async issueBatch(
    key: TokenPublicKey,
    challengeDigest: Uint8Array,
    size: number,
  ): Promise<{ tokens: Uint8Array[]; remaining: number }> {
    const nonces = randomFillSync(Buffer.alloc(size * TOKEN_NONCE_BYTES));
    const inputs = Array.from({ length: size }, (_, i) =>
      encodeTokenInput(
        nonces.subarray(i * TOKEN_NONCE_BYTES, (i + 1) * TOKEN_NONCE_BYTES),
        challengeDigest,
        key.id,
      ),
    );
    const batch = blindBatch(key, inputs);
    let result: OpResult<'tokens.issue'>;
    try {
      result = await this.issuer.request('tokens.issue', {
        tokenKeyId: key.id.toString('base64'),
        blindedMessages: batch.blinded.map((b) => b.toString('base64')),
      });
    } catch (error) {
      if (isWispError(error, 'TokensExhausted')) {
        this.exhaustedUntil = (Math.floor(this.now() / DAY_MS) + 1) * DAY_MS;
        throw this.exhausted();
      }
      throw error;
    }
    if (result.blindSignatures.length > size)
      throw new WispError('TokenInvalid', 'the relay answered with more signatures than asked for');
    const sigs = result.blindSignatures.map((s) => Buffer.from(s, 'base64'));
    const authenticators = finalizeBlinded(key, batch, sigs);
    return {
      tokens: authenticators.map((a, i) => encodeToken(inputs[i]!, a)),
      remaining: result.remainingToday,
    };
  }
}
