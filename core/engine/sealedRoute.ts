// Which way an outgoing envelope goes: over the connection that never authenticated (the relay
// cannot tell who sent it) when we hold the recipient's delivery key and a token for them, otherwise
// over the account's connection (first contact, tokens spent for the day, a refused key). Rooms
// split per member: one sender-key ciphertext, wrapped once for the members reached without
// identity and once for the rest. docs/ENGINE.md, "Two connections".
import {
  ContentHint,
  groupEncrypt,
  sealedSenderMultiRecipientEncrypt,
  UnidentifiedSenderMessageContent,
  type SenderCertificate,
} from '@signalapp/libsignal-client';
import { isWispError } from '../../common/errors';
import type { OpBody, OpResult } from '../../common/wire';
import { loggerFor } from '../log';
import { RelayRequestError, type RelayClient } from '../relayClient/relayClient';
import type { DeliveryKeys } from './deliveryKeys';
import { addressOf, b64, type SignalStores } from './signalCrypto';

const log = loggerFor('engine');

/**
 * Tokens taken from the wallet at a time and held in memory: a wallet take is a durable store
 * write (an fsync that holds the event loop, 5–40 ms on a busy disk), too slow to pay per envelope
 * or even every 32 (that was ~5% of a sustained run). At most twice this many (the pool and the
 * next one taken ahead) are lost to a crash, under 1.3% of a day's allowance; close() hands the
 * rest back.
 */
export const TOKEN_POOL = 64;

/**
 * Anonymous rate-limit tokens (core/tokens): up to `n` unspent tokens, fewer (or none) once the
 * account's allowance for the day is used up. Each token is given out once.
 */
export interface TokenSource {
  take(n: number): Promise<Uint8Array[]>;
  /** Puts back tokens the relay did not spend (it refused the delivery key before the token). */
  restore?(tokens: readonly Uint8Array[]): void;
}

export interface SealedRouteDeps {
  readonly deliveryKeys: DeliveryKeys;
  /** Null when no token wallet is wired: every send then goes the authenticated way. */
  tokens(): TokenSource | null;
  /** The account's connection. */
  relayClient(): RelayClient;
  /** The connection that never authenticates (core/relayClient/sealedConnection.ts). */
  sealedRelay(): RelayClient;
}

/** How many envelopes went each way (tests and the benchmark read it). */
export interface RouteCounts {
  sealed: number;
  authenticated: number;
}

type DirectBody = { to: string; payload: string; expiresAt?: number };

export class SealedRoute {
  readonly counts: RouteCounts = { sealed: 0, authenticated: 0 };
  /** Tokens taken from `poolSource` and not yet used. */
  private pool: Uint8Array[] = [];
  private poolSource: TokenSource | null = null;
  /** The next pool, taken ahead in the background (refillAhead). */
  private refilling: Promise<void> | null = null;

  constructor(private readonly d: SealedRouteDeps) {}

  /** Up to `n` tokens; none when the wallet cannot give `n` (the day's allowance is spent). */
  private async takeTokens(n: number): Promise<Uint8Array[]> {
    const source = this.d.tokens();
    if (source !== this.poolSource) this.restorePool();
    this.poolSource = source;
    if (!source || n === 0) return [];
    // A refill under way is awaited rather than raced: the wallet gives out tokens one take at a time.
    if (this.pool.length < n && this.refilling) await this.refilling;
    if (this.pool.length < n) {
      try {
        this.pool.push(...(await source.take(Math.max(n - this.pool.length, TOKEN_POOL))));
      } catch (error) {
        // Not a whole pool's worth: try for just what this send lacks, else go authenticated.
        try {
          this.pool.push(...(await source.take(n - this.pool.length)));
        } catch {
          log.info(
            { kind: isWispError(error) ? error.kind : 'Internal' },
            'no send tokens; sending authenticated',
          );
        }
      }
    }
    if (this.pool.length < n) return [];
    const taken = this.pool.splice(0, n);
    this.refillAhead(source);
    return taken;
  }

  /**
   * Once the pool runs low, takes the next one in the background: a wallet refill asks the relay
   * for keys and signatures (round trips), which would otherwise hold up the preparation of the
   * outbox batch, one send after another, where the authenticated path waits for nothing.
   */
  private refillAhead(source: TokenSource): void {
    if (this.refilling || this.pool.length >= TOKEN_POOL / 2) return;
    this.refilling = source
      .take(TOKEN_POOL)
      .then(
        (tokens) => {
          if (this.poolSource === source) this.pool.push(...tokens);
          else source.restore?.(tokens);
        },
        // The allowance is spent or the relay away: the next send's own take finds out and says so.
        () => undefined,
      )
      .catch(() => undefined)
      .finally(() => {
        this.refilling = null;
      });
  }

  /**
   * A request on the sealed connection, tried once more if that connection had dropped (it is
   * reopened on demand; the account connection's reconnects do not flush the outbox for it).
   */
  private async sealedRequest<K extends 'message.sendSealed' | 'message.sendSealedMulti'>(
    op: K,
    body: OpBody<K>,
  ): Promise<OpResult<K>> {
    try {
      return await this.d.sealedRelay().request(op, body);
    } catch (error) {
      if (!isWispError(error, 'RelayUnavailable')) throw error;
      return this.d.sealedRelay().request(op, body);
    }
  }

  /** Tokens the relay did not spend go back to the pool. */
  private giveBack(tokens: readonly Uint8Array[]): void {
    this.pool.push(...tokens);
  }

  /** Hands unused tokens back to the wallet they came from (wallet switch). */
  private restorePool(): void {
    if (this.pool.length > 0) this.poolSource?.restore?.(this.pool);
    this.pool = [];
  }

  /** Engine close: waits for a refill under way, then hands every unused token back. */
  async drainPool(): Promise<void> {
    this.restorePool();
    if (this.refilling) await this.refilling;
    this.restorePool();
  }

  /**
   * Decides now (tokens are taken in the order items are prepared) and returns the sender. The
   * payload is a sealed-sender v1 message for `to`, valid on either connection.
   */
  async prepareDirect(body: DirectBody): Promise<() => Promise<void>> {
    const key = this.d.deliveryKeys.theirs(body.to);
    const [token] = key === null ? [] : await this.takeTokens(1);
    if (key === null || token === undefined) return () => this.authenticated(body);
    return async () => {
      try {
        await this.sealedRequest('message.sendSealed', { ...body, deliveryKey: key, token: b64(token) });
        this.counts.sealed++;
      } catch (error) {
        if (!(error instanceof RelayRequestError) || error.reason === undefined) throw error;
        // The recipient rotated its key (we were blocked, or they reset it): forget ours until a
        // new one arrives. A refused token is gone either way. This envelope still goes out.
        if (error.reason === 'deliveryKey') {
          this.d.deliveryKeys.forget(body.to);
          this.giveBack([token]);
        }
        log.info({ reason: error.reason }, 'send without identity refused; sending authenticated');
        await this.authenticated(body);
      }
    };
  }

  private async authenticated(body: DirectBody): Promise<void> {
    await this.d.relayClient().request('message.send', body);
    this.counts.authenticated++;
  }

  /**
   * Encrypts a room message once with the sender key and wraps it for the members: those we hold a
   * key and a token for get it without identity, the others (and any the relay refuses) over the
   * account's connection. Every member gets the same ciphertext, so no one sees it twice.
   */
  async prepareRoom(args: {
    plaintext: Uint8Array<ArrayBuffer>;
    members: string[];
    localAccountId: string;
    distributionId: string;
    groupId: Uint8Array<ArrayBuffer>;
    cert: SenderCertificate;
    stores: SignalStores;
    expiresAt: number | null;
  }): Promise<() => Promise<void>> {
    const { members, stores } = args;
    const ciphertext = await groupEncrypt(
      addressOf(args.localAccountId),
      args.distributionId,
      stores.senderKey,
      args.plaintext,
    );
    const usmc = UnidentifiedSenderMessageContent.new(
      ciphertext,
      args.cert,
      ContentHint.Default,
      args.groupId,
    );
    const wrap = (to: string[]) =>
      sealedSenderMultiRecipientEncrypt({
        content: usmc,
        recipients: to.map(addressOf),
        identityStore: stores.identity,
        sessionStore: stores.session,
      });
    const keyed = members.filter((m) => this.d.deliveryKeys.theirs(m) !== null);
    const tokens = await this.takeTokens(keyed.length);
    const sealedTo = keyed.slice(0, tokens.length);
    const sealedSet = new Set(sealedTo);
    const rest = members.filter((m) => !sealedSet.has(m));
    const expiry = args.expiresAt === null ? {} : { expiresAt: args.expiresAt };
    const sealedPayload = sealedTo.length > 0 ? b64(await wrap(sealedTo)) : null;
    const restPayload = rest.length > 0 ? b64(await wrap(rest)) : null;
    return async () => {
      const sends: Promise<void>[] = [];
      if (restPayload !== null) sends.push(this.authenticatedMulti(restPayload, expiry, rest.length));
      if (sealedPayload !== null) {
        sends.push(
          (async () => {
            const result = await this.sealedRequest('message.sendSealedMulti', {
              payload: sealedPayload,
              ...expiry,
              recipients: sealedTo.map((to, i) => ({
                to,
                deliveryKey: this.d.deliveryKeys.theirs(to) ?? '',
                token: b64(tokens[i]!),
              })),
            });
            this.counts.sealed += result.delivered.length;
            warnUndelivered(result);
            const refused = [...result.keyRefused, ...result.tokenRefused];
            for (const id of result.keyRefused) this.d.deliveryKeys.forget(id);
            // Key refusals come before any token is spent: those tokens are still good.
            const unspent = result.keyRefused.map((id) => tokens[sealedTo.indexOf(id)]!);
            this.giveBack(unspent);
            if (refused.length === 0) return;
            log.info({ count: refused.length }, 'room send without identity refused; sending authenticated');
            // The same ciphertext, wrapped for the refused members only: no sender-key step.
            await this.authenticatedMulti(b64(await wrap(refused)), expiry, refused.length);
          })(),
        );
      }
      const outcomes = await Promise.allSettled(sends);
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed) throw failed.reason;
    };
  }

  private async authenticatedMulti(
    payload: string,
    expiry: { expiresAt?: number },
    count: number,
  ): Promise<void> {
    const result = await this.d.relayClient().request('message.sendMulti', { payload, ...expiry });
    this.counts.authenticated += count;
    warnUndelivered(result);
  }
}

function warnUndelivered(result: { staleRecipients: string[]; unknownRecipients: string[] }): void {
  if (result.staleRecipients.length > 0 || result.unknownRecipients.length > 0) {
    log.warn(
      { count: result.staleRecipients.length + result.unknownRecipients.length },
      'some room members did not get a message',
    );
  }
}
