// Anonymous rate limiting (issue 14): the relay issues blind-signed Privacy Pass tokens (RFC 9578
// type 0x0002) to authenticated accounts, up to a daily allowance counted in memory, and the
// unauthenticated send path spends them, one per recipient (`verify`, then recorded in the
// envelopes' own write, relay/sealed.ts). A spent token is verified and recorded by its hash only:
// nothing links it to the account it was issued to.
import { constants, createHash, privateDecrypt, publicEncrypt, verify } from 'node:crypto';
import { WispError } from '../common/errors';
import {
  TOKEN_NK,
  TOKEN_PSS_SALT_BYTES,
  encodeTokenChallenge,
  parseToken,
  type OpResult,
  type ParsedOpBody,
} from '../common/wire';
import type { RelayContext } from './context';
import type { TokenKey, TokenKeyRing } from './tokenKeys';
import type { RelayStorage, SpentToken } from './storage/types';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Blind signatures computed between two yields to the event loop (each is ~0.4 ms of CPU). */
const SIGN_SLICE = 32;
/** Token verifications between two yields (each is ~0.05 ms of CPU). */
const VERIFY_SLICE = 128;
/** Most tokens one send may present (a room's 499 other members, with room to spare). */
export const MAX_TOKENS_PER_SPEND = 1000;

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

export interface TokenServiceOptions {
  ring: TokenKeyRing;
  issuerName: string;
  tokensPerDay: number;
  now: () => number;
}

export class TokenService {
  readonly issuerName: string;
  /** SHA-256 of the fixed TokenChallenge; every token of this relay carries it. */
  readonly challengeDigest: Buffer;
  private readonly ring: TokenKeyRing;
  private readonly perDay: number;
  private readonly now: () => number;
  /** Tokens issued today (UTC) per account id. In memory only: never stored, never logged. */
  private issued = new Map<string, number>();
  private day = -1;

  constructor(opts: TokenServiceOptions) {
    this.ring = opts.ring;
    this.issuerName = opts.issuerName;
    this.perDay = opts.tokensPerDay;
    this.now = opts.now;
    this.challengeDigest = sha256(encodeTokenChallenge(opts.issuerName));
  }

  /** Rotates keys when a period began (called on use and from the purge loop). */
  async rotate(): Promise<void> {
    const now = this.now();
    if (this.ring.needsRotation(now)) await this.ring.ensure(now);
  }

  async keys(): Promise<OpResult<'tokens.keys'>> {
    await this.rotate();
    return {
      tokenType: 2,
      issuerName: this.issuerName,
      keys: this.ring.published(this.now()).map((k) => ({
        tokenKeyId: k.id.toString('base64'),
        publicKey: k.spki.toString('base64'),
        issueFrom: k.issueFrom,
        issueUntil: k.issueUntil,
        spendUntil: k.spendUntil,
      })),
    };
  }

  /**
   * Blind-signs up to the account's remaining allowance (the first messages of the batch). The
   * account id is used only as the key of today's counter; the blinded messages are neither
   * stored nor logged.
   */
  async issue(accountId: string, body: ParsedOpBody<'tokens.issue'>): Promise<OpResult<'tokens.issue'>> {
    await this.rotate();
    const now = this.now();
    const key = this.ring.issuing(now);
    if (!key || !key.id.equals(Buffer.from(body.tokenKeyId, 'base64'))) {
      throw new WispError('InvalidInput', 'tokenKeyId is not the key this relay issues tokens with now', {
        recovery: 'fetch tokens.keys again and use the key whose issuing window holds the current time',
      });
    }
    const blinded = body.blindedMessages.map((b) => Buffer.from(b, 'base64'));
    // RSASP1 is defined only below the modulus; check all before anything is signed or counted.
    if (blinded.some((m) => m.length !== TOKEN_NK || Buffer.compare(m, key.modulus) >= 0))
      throw new WispError('InvalidInput', 'a blinded message is not a number below the key modulus');
    const today = Math.floor(now / DAY_MS);
    if (today !== this.day) {
      this.day = today;
      this.issued = new Map();
    }
    const used = this.issued.get(accountId) ?? 0;
    const remaining = this.perDay - used;
    if (remaining <= 0) {
      const err = new WispError(
        'TokensExhausted',
        `this account's ${this.perDay} anonymous-send tokens for today are used up`,
        { recovery: 'the allowance renews at 00:00 UTC' },
      );
      (err as WispError & { retryAfterMs?: number }).retryAfterMs = (today + 1) * DAY_MS - now;
      throw err;
    }
    const count = Math.min(remaining, blinded.length);
    // Charged before the first await, so concurrent requests of one account cannot overdraw.
    this.issued.set(accountId, used + count);
    const blindSignatures: string[] = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % SIGN_SLICE === 0) await new Promise((r) => setImmediate(r));
      blindSignatures.push(blindSign(key, blinded[i]!).toString('base64'));
    }
    return { blindSignatures, remainingToday: remaining - count };
  }

  /**
   * Verifies every token (type, this relay's challenge, a key whose tokens are accepted now, the
   * RSA-PSS authenticator) and records them as spent in one atomic write: all or none. Throws
   * TokenInvalid or TokenSpent (nothing recorded) otherwise.
   */
  async spend(storage: RelayStorage, tokens: readonly Uint8Array[]): Promise<void> {
    const already = await storage.spendTokens(await this.verify(tokens));
    if (already >= 0) throw spentError(already);
  }

  /**
   * The checks of `spend` without the write: what to record (one entry per token, in order), for a
   * caller that records them in its own write (relay/sealed.ts, storage.enqueueSpending). Throws
   * TokenInvalid, or TokenSpent for a token presented twice in the batch.
   */
  async verify(tokens: readonly Uint8Array[]): Promise<SpentToken[]> {
    if (tokens.length === 0 || tokens.length > MAX_TOKENS_PER_SPEND)
      throw new WispError('InvalidInput', `a send presents 1 to ${MAX_TOKENS_PER_SPEND} tokens`);
    await this.rotate();
    const now = this.now();
    const spent: SpentToken[] = [];
    const seen = new Set<string>();
    for (const [i, token] of tokens.entries()) {
      // A room send presents hundreds: verify in slices so other connections are not held up.
      if (i > 0 && i % VERIFY_SLICE === 0) await new Promise((r) => setImmediate(r));
      const one = this.check(token, i, now);
      // Keyed by the signed input (type, nonce, challenge, key id): one nonce is spent once.
      const hex = Buffer.from(one.hash).toString('hex');
      if (seen.has(hex)) throw spentError(i);
      seen.add(hex);
      spent.push(one);
    }
    return spent;
  }

  /**
   * The checks of `verify`, each token on its own (message.sendSealedBatch): what to record for
   * it, or null when it does not verify. Repeats are not looked for here: the caller's one write
   * refuses a token's second use (storage.enqueueSpendingEach).
   */
  async verifyEach(tokens: readonly Uint8Array[]): Promise<(SpentToken | null)[]> {
    if (tokens.length > MAX_TOKENS_PER_SPEND)
      throw new WispError('InvalidInput', `a send presents at most ${MAX_TOKENS_PER_SPEND} tokens`);
    await this.rotate();
    const now = this.now();
    const out: (SpentToken | null)[] = [];
    for (const [i, token] of tokens.entries()) {
      if (i > 0 && i % VERIFY_SLICE === 0) await new Promise((r) => setImmediate(r));
      try {
        out.push(this.check(token, i, now));
      } catch (error) {
        if (!(error instanceof WispError) || error.kind !== 'TokenInvalid') throw error;
        out.push(null);
      }
    }
    return out;
  }

  /** One token: type, this relay's challenge, a key accepted now, the authenticator; or TokenInvalid. */
  private check(token: Uint8Array, i: number, now: number): SpentToken {
    const parsed = parseToken(token);
    if (!parsed) throw invalid(i, 'is not a token of type 2');
    if (!this.challengeDigest.equals(parsed.challengeDigest))
      throw invalid(i, 'is bound to another challenge');
    const key = this.ring.spendable(parsed.tokenKeyId, now);
    if (!key) throw invalid(i, 'is of an unknown or expired key');
    const ok = verify(
      'sha384',
      parsed.tokenInput,
      { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: TOKEN_PSS_SALT_BYTES },
      parsed.authenticator,
    );
    if (!ok) throw invalid(i, 'does not verify');
    return { hash: sha256(parsed.tokenInput), expiresAt: key.spendUntil };
  }
}

/** RFC 9474 BlindSign with node:crypto's native RSA: s = m^d mod n (CRT, blinded), then s^e = m. */
export function blindSign(key: Pick<TokenKey, 'privateKey' | 'publicKey'>, blinded: Buffer): Buffer {
  const s = privateDecrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, blinded);
  // The RFC's fault check: a wrong CRT result would leak a factor of n if sent out.
  const back = publicEncrypt({ key: key.publicKey, padding: constants.RSA_NO_PADDING }, s);
  if (!back.equals(blinded)) throw new WispError('Internal', 'token signing failed its check');
  return s;
}

function invalid(index: number, why: string): WispError {
  return new WispError('TokenInvalid', `token ${index} ${why}`, {
    recovery: 'drop this token, fetch tokens.keys again and take fresh tokens',
  });
}

function spentError(index: number): WispError {
  return new WispError('TokenSpent', `token ${index} was already spent`, {
    recovery: 'take fresh tokens; a token is good for one recipient of one send',
  });
}

/** What the unauthenticated send path calls: one verified, unspent token per recipient, or a throw. */
export function spendTokens(ctx: RelayContext, tokens: readonly Uint8Array[]): Promise<void> {
  return ctx.tokens.spend(ctx.storage, tokens);
}
