// Sends without identity, wired for one engine: our delivery keys (consent), the second connection
// that never authenticates, the token wallet the route pays from, and the per-envelope route choice
// the outbox asks (sealedRoute.ts). docs/ENGINE.md, "Two connections"; docs/PROTOCOL.md, "Tokens".
import type { Content } from '../../common/content';
import type { Store } from '../store';
import type { RelayClient } from '../relayClient/relayClient';
import type { RelayRoute } from '../relayClient/relayRoute';
import { SealedConnection } from '../relayClient/sealedConnection';
import { anonymousKeySource, createTokenWallet, type TokenWallet } from '../tokens';
import { AttachmentRoute } from './attachmentRoute';
import { DeliveryKeys, rotateDeliveryKey } from './deliveryKeys';
import { SealedRoute, type RouteCounts, type TokenSource } from './sealedRoute';

/** What this part reads from the engine (a slice of the engine's deps object). */
/**
 * Tokens the wallet keeps ahead of need (a tenth of the default day's allowance), topped up in the
 * background once a quarter is left: a send takes tokens from the store and never waits for an
 * issuance round trip, and issuance happens apart from the sends it pays for (the relay sees an
 * account fetch tokens, not when it spends them).
 */
const WALLET_STOCK = 1000;

/** How long close waits for a stock refill's batch in flight (a loopback relay answers in ~0.1 s). */
const SETTLE_REFILL_MS = 5_000;

export interface SealedSendsDeps {
  readonly store: Store;
  readonly relayRoute: RelayRoute;
  relayClient(): RelayClient;
  clock(): number;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  encode(content: Content): Uint8Array;
}

export class SealedSends {
  /** Our key and the keys contacts gave us (settings rows in the encrypted store). */
  readonly deliveryKeys: DeliveryKeys;
  /** Which way each outgoing envelope goes; the outbox calls it per item. */
  readonly route: SealedRoute;
  /** Which way each attachment is created (attachmentRoute.ts), paid from the same wallet. */
  readonly attachments: AttachmentRoute;
  private readonly connection: SealedConnection;
  private readonly wallet: TokenWallet;
  private tokenSource: TokenSource | null;

  constructor(private readonly d: SealedSendsDeps) {
    this.deliveryKeys = new DeliveryKeys(() => d.store);
    this.connection = new SealedConnection(() => d.relayClient().transportOptions());
    // Tokens are issued over the account connection; keys fetched on a connection of their own
    // with the account connection's transport (a proxy), so the key list cannot name the account.
    this.wallet = createTokenWallet(
      d.store,
      { request: (op, body) => d.relayClient().request(op, body) },
      () => anonymousKeySource(d.relayRoute, d.relayClient().transportOptions())(),
      { stock: WALLET_STOCK },
    );
    this.tokenSource = this.wallet;
    const routeDeps = {
      deliveryKeys: this.deliveryKeys,
      tokens: () => this.tokenSource,
      relayClient: () => d.relayClient(),
      sealedRelay: () => this.connection.relay(),
    };
    this.route = new SealedRoute(routeDeps);
    this.attachments = new AttachmentRoute(routeDeps);
  }

  /** Where tokens come from; null sends everything the authenticated way. Returns the previous one. */
  useTokens(source: TokenSource | null): TokenSource | null {
    const previous = this.tokenSource;
    this.tokenSource = source;
    return previous;
  }

  /** Envelopes sent without identity and over the account connection since the engine opened. */
  counts(): RouteCounts {
    return { ...this.route.counts };
  }

  /**
   * The account connection came online in live mode: open ours at a random moment ahead of need,
   * and top the wallet up if it runs low (only one already in use: an account that never sent
   * without identity gets its first tokens when it first needs them).
   */
  online(): void {
    this.connection.prewarm();
    if (this.tokenSource === this.wallet && this.wallet.count() > 0) this.wallet.topUp();
  }

  /** Drops the sealed connection (the account connection is being replaced; it reopens on demand). */
  closeConnection(): Promise<void> {
    return this.connection.close();
  }

  /**
   * Engine close, before the account connection goes: a stock refill under way finishes its batch
   * in flight and writes it (those tokens are already counted against the day's allowance), or is
   * dropped whole if the relay does not answer within SETTLE_REFILL_MS.
   */
  settleTokens(): Promise<void> {
    return this.wallet.settle(SETTLE_REFILL_MS);
  }

  /** Engine close, after the serial chain settled: every token taken ahead goes back to the wallet. */
  drain(): Promise<void> {
    return this.route.drainPool();
  }

  /** A fresh delivery key for every contact that held ours but `except`; returns who gets it. */
  rotateDeliveryKey(except: readonly string[]): Promise<string[]> {
    return this.d.serial(() =>
      rotateDeliveryKey(
        this.deliveryKeys,
        {
          store: this.d.store,
          relay: this.d.relayClient(),
          now: this.d.clock(),
          encode: (c) => this.d.encode(c),
        },
        except,
      ),
    );
  }
}
