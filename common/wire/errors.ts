// The error object every relay error response carries: the same `kind` strings as WispError
// (common/errors.ts), so a client can rethrow it as a typed error without a mapping table.
import { z } from 'zod';
import type { WispErrorKind } from '../errors';

const KINDS = [
  'InvalidInput',
  'NotFound',
  'Unauthorized',
  'UsernameTaken',
  'RelayUnavailable',
  'RelayRateLimited',
  'RelayQueueFull',
  'PayloadTooLarge',
  'TokenInvalid',
  'TokenSpent',
  'TokensExhausted',
  'Internal',
] as const satisfies readonly WispErrorKind[];

/** The subset of WispErrorKind a relay ever sends. */
export const RelayErrorKind = z.enum(KINDS);
export type RelayErrorKind = z.infer<typeof RelayErrorKind>;

export const WireError = z.object({
  kind: RelayErrorKind,
  /** For people and logs; never contains secrets, ids of other accounts or message content. */
  message: z.string().max(1000),
  /** Present on RelayRateLimited: wait at least this long before retrying. */
  retryAfterMs: z.number().int().min(0).optional(),
  /** Why a sealed send was refused: no matching delivery key, or a token invalid or spent. */
  reason: z.enum(['deliveryKey', 'token']).optional(),
});
export type WireError = z.infer<typeof WireError>;
