// Operator-tunable limits with safe defaults; tests lower them to exercise caps and rate limits.
import { DEFAULT_WIRE_LIMITS } from '../common/wire';

/** A token bucket: `burst` tokens, refilled at `perSecond`. */
export interface RateSpec {
  burst: number;
  perSecond: number;
}

export interface RelayLimits {
  maxFrameBytes: number;
  maxEnvelopeBytes: number;
  maxMultiRecipientBytes: number;
  maxEnvelopeTtlMs: number;
  maxQueuedEnvelopes: number;
  maxQueuedBytes: number;
  maxAttachmentBytes: number;
  /** Bytes of unexpired attachments one account may hold (declared size until the upload completes). */
  maxAccountAttachmentBytes: number;
  attachmentRetentionMs: number;
  senderCertificateTtlMs: number;
  challengeTtlMs: number;
  /** A connection that has not authenticated by then is closed (4001), so idle sockets cannot pile up. */
  unauthenticatedTimeoutMs: number;
  /** Ping interval; a connection that missed the previous pong is terminated. */
  keepaliveMs: number;
  /** Envelopes pushed to one connection and not yet acknowledged before the relay waits for acks. */
  maxInFlightPushes: number;
  /** The same window in bytes (push frames as written); the first envelope always fits. */
  maxInFlightPushBytes: number;
  /**
   * Bytes written to one connection and not yet handed to the kernel. Past it the relay stops
   * pushing, stops reading that connection's requests and runs none of them, until its socket has
   * drained: a peer that does not read cannot make the relay buffer for it.
   */
  sendHighWaterBytes: number;
  /** A connection that stays over sendHighWaterBytes this long is closed with 4008 (slow consumer). */
  slowConsumerTimeoutMs: number;
  /** Open WebSocket connections on this node; past it an upgrade is closed with 1013. */
  maxConnections: number;
  /**
   * Connections of one account on this node, counting older ones still closing after "account
   * moved" (a peer that does not read keeps them until the close times out); past it `auth` fails
   * and the connection closes with 4010.
   */
  maxConnectionsPerAccount: number;
  purgeIntervalMs: number;
  /** HTTP: longest a whole request (headers and body) may take; a slow upload past it is cut off. */
  httpRequestTimeoutMs: number;
  /** HTTP: a connection with no bytes in either direction for this long is closed (a stalled upload). */
  httpIdleTimeoutMs: number;
  /** HTTP: how long an idle keep-alive connection waits for its next request. */
  httpKeepAliveTimeoutMs: number;
  /**
   * Anonymous-send tokens one account may be issued per UTC day on this node (counted in memory,
   * never stored). One token per recipient of an unauthenticated send: docs/PROTOCOL.md, "Tokens".
   */
  tokensPerDay: number;
  /** How long one token issuer key signs (keys start at multiples of it: UTC days by default). */
  tokenKeyPeriodMs: number;
  /** How long after its signing period a key's tokens are still accepted. */
  tokenKeyOverlapMs: number;
  rates: {
    /** Every frame on one connection, authenticated or not. */
    frames: RateSpec;
    /** register / auth / auth.challenge on one connection. */
    handshakes: RateSpec;
    /** Envelopes stored per sending account (a multi-recipient send counts each recipient). */
    sends: RateSpec;
    /** Bundle fetches per requesting account. */
    bundleFetches: RateSpec;
    /** Bundle fetches of one target account, whoever asks (prekey exhaustion). */
    bundleFetchesPerTarget: RateSpec;
    usernameLookups: RateSpec;
    /** Names per requesting account in directory.lookup batches (its own allowance; docs/PROTOCOL.md). */
    directoryBatchLookups: RateSpec;
    /** Bundles per requesting account in prekeys.bundles batches (each target is also charged per target). */
    directoryBatchBundles: RateSpec;
    accountWrites: RateSpec;
    attachments: RateSpec;
    /** Account registrations per client address (IPv4 address or IPv6 /64), across its connections. */
    registrations: RateSpec;
    /** Recipients of sends without identity per connection (relay/sealed.ts), besides their tokens. */
    sealedSendsPerConnection: RateSpec;
    /** The same per client address, across its connections (in memory only). */
    sealedSendsPerAddress: RateSpec;
  };
}

export type RelayLimitsInput = Partial<Omit<RelayLimits, 'rates'>> & {
  rates?: Partial<RelayLimits['rates']>;
};

const DAY = 24 * 60 * 60 * 1000;

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: DEFAULT_WIRE_LIMITS.maxFrameBytes,
  maxEnvelopeBytes: DEFAULT_WIRE_LIMITS.maxEnvelopeBytes,
  maxMultiRecipientBytes: DEFAULT_WIRE_LIMITS.maxMultiRecipientBytes,
  maxEnvelopeTtlMs: 30 * DAY,
  maxQueuedEnvelopes: 20_000,
  maxQueuedBytes: 256 * 1024 * 1024,
  maxAttachmentBytes: 100 * 1024 * 1024,
  maxAccountAttachmentBytes: 1024 * 1024 * 1024,
  attachmentRetentionMs: 30 * DAY,
  senderCertificateTtlMs: DAY,
  challengeTtlMs: 60_000,
  unauthenticatedTimeoutMs: 120_000,
  keepaliveMs: 30_000,
  maxInFlightPushes: 256,
  maxInFlightPushBytes: 4 * 1024 * 1024,
  sendHighWaterBytes: 512 * 1024,
  slowConsumerTimeoutMs: 30_000,
  maxConnections: 10_000,
  maxConnectionsPerAccount: 8,
  purgeIntervalMs: 60_000,
  httpRequestTimeoutMs: 30 * 60_000,
  httpIdleTimeoutMs: 60_000,
  httpKeepAliveTimeoutMs: 5_000,
  // Twenty messages a day to a full room (499 recipients), or that many 1:1 sends; see PROTOCOL.md.
  tokensPerDay: 10_000,
  tokenKeyPeriodMs: DAY,
  tokenKeyOverlapMs: DAY,
  rates: {
    frames: { burst: 4000, perSecond: 2000 },
    handshakes: { burst: 20, perSecond: 2 },
    sends: { burst: 2000, perSecond: 500 },
    bundleFetches: { burst: 100, perSecond: 1 },
    bundleFetchesPerTarget: { burst: 50, perSecond: 0.2 },
    usernameLookups: { burst: 100, perSecond: 2 },
    // One full room (499 others) at once, then one more room's worth per hour: see PROTOCOL.md.
    directoryBatchLookups: { burst: 500, perSecond: 500 / 3600 },
    directoryBatchBundles: { burst: 500, perSecond: 500 / 3600 },
    accountWrites: { burst: 20, perSecond: 0.5 },
    attachments: { burst: 100, perSecond: 2 },
    registrations: { burst: 20, perSecond: 1 / 60 },
    sealedSendsPerConnection: { burst: 2000, perSecond: 500 },
    sealedSendsPerAddress: { burst: 4000, perSecond: 1000 },
  },
};

export function resolveLimits(input: RelayLimitsInput | undefined): RelayLimits {
  return {
    ...DEFAULT_LIMITS,
    ...input,
    rates: { ...DEFAULT_LIMITS.rates, ...input?.rates },
  };
}
