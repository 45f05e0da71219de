// What every request handler can reach: storage, limits, rate limiter, sealed-sender keys, the hub
// of live connections, the logger and the operator metrics. One instance per running relay.
import type { Logger } from 'pino';
import type { RelayLimits } from './config';
import type { AccountHasher, SealedSenderAuthority } from './identity';
import type { RelayMetrics } from './metrics';
import type { RateLimiter } from './rateLimiter';
import type { RelayStorage } from './storage/types';
import type { TokenService } from './tokens';

export interface RelayContext {
  storage: RelayStorage;
  limits: RelayLimits;
  limiter: RateLimiter;
  authority: SealedSenderAuthority;
  /** Hashes account ids for storage under the relay's account-hash key (accountIds.ts). */
  accounts: AccountHasher;
  log: Logger;
  now: () => number;
  metrics: RelayMetrics;
  /** Anonymous-send tokens: issuance, the published keys, and `spendTokens` (relay/tokens.ts). */
  tokens: TokenService;
}
