// Shared value schemas for the relay wire protocol (docs/PROTOCOL.md): ids, keys, sizes.
// Pure TS (no Node built-ins) so the relay and every client validate with the same rules.
import { z } from 'zod';

/** Protocol version spoken by this code; the relay reports it in `server.info`. */
export const PROTOCOL_VERSION = 1;

/** Byte sizes of libsignal serialisations, used to bound base64 fields before decoding. */
export const KEY_SIZES = {
  /** Curve25519 public key with its 0x05 type byte. */
  ecPublicKey: 33,
  /** XEdDSA signature. */
  signature: 64,
  /** Kyber1024 public key with its type byte. */
  kyberPublicKey: 1569,
} as const;

/** Default limits a relay applies unless its operator overrides them; clients may read them from `server.info`. */
export const DEFAULT_WIRE_LIMITS = {
  /** Largest single WebSocket frame the relay accepts, in bytes. */
  maxFrameBytes: 2 * 1024 * 1024,
  /** Largest sealed envelope payload, in bytes after base64 decoding. */
  maxEnvelopeBytes: 256 * 1024,
  /** Largest multi-recipient sealed sender message, in bytes after base64 decoding. */
  maxMultiRecipientBytes: 1536 * 1024,
  /** Most one-time prekeys (of each kind) in one upload. */
  maxPreKeysPerUpload: 200,
  /** Most envelope ids in one acknowledgement. */
  maxAckIds: 500,
  /** Items in one directory batch (directory.lookup, prekeys.bundles): a full room's other members. */
  maxDirectoryBatch: 499,
} as const;

/** Base64 (RFC 4648, padded) whose decoded length is at most `maxBytes`. */
export function base64Bytes(maxBytes: number, minBytes = 1) {
  const maxChars = Math.ceil(maxBytes / 3) * 4;
  const minChars = Math.ceil(minBytes / 3) * 4;
  return z.base64().min(minChars).max(maxChars);
}

/** Base64 of exactly `bytes` bytes. */
export function base64Exact(bytes: number) {
  const chars = Math.ceil(bytes / 3) * 4;
  return z.base64().length(chars);
}

/** An account id: a random (v4) UUID assigned by the relay, lower-case canonical form. */
export const AccountId = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    'expected a lower-case v4 UUID',
  )
  .brand<'AccountId'>();
export type AccountId = z.infer<typeof AccountId>;

/** An envelope id: a random UUID chosen by the relay when it stores an envelope. */
export const EnvelopeId = z.uuid().brand<'EnvelopeId'>();
export type EnvelopeId = z.infer<typeof EnvelopeId>;

/** An attachment id: 32 random bytes, base64url without padding (43 chars), unguessable. */
export const AttachmentId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'expected a 43-character base64url attachment id')
  .brand<'AttachmentId'>();
export type AttachmentId = z.infer<typeof AttachmentId>;

/**
 * A username as typed: 3–32 of a-z 0-9 _ . , compared case-insensitively. The schema lower-cases
 * it, so every parsed username is already in canonical form.
 */
export const USERNAME_CHARS = /^[A-Za-z0-9_.]+$/;
export const Username = z
  .string()
  .min(3)
  .max(32)
  .regex(USERNAME_CHARS, 'a username is 3–32 of a-z, 0-9, _ and .')
  .transform((s) => s.toLowerCase());
export type Username = z.output<typeof Username>;

/** libsignal registration id: 14 bits, never 0. */
export const RegistrationId = z.number().int().min(1).max(16383);

/** Prekey ids are 24-bit in libsignal's wire format (31-bit in its API); we accept 0..2^24-1. */
export const PreKeyId = z.number().int().min(0).max(0xffffff);

/** A time in milliseconds since the epoch. */
export const EpochMs = z.number().int().min(0).max(8.64e15);

/** Serialised libsignal `PublicKey` (33 bytes), base64. */
export const EcPublicKeyB64 = base64Exact(KEY_SIZES.ecPublicKey);
/** Serialised `KEMPublicKey` (1569 bytes), base64. */
export const KyberPublicKeyB64 = base64Exact(KEY_SIZES.kyberPublicKey);
/** XEdDSA signature (64 bytes), base64. */
export const SignatureB64 = base64Exact(KEY_SIZES.signature);
/** A challenge nonce (32 bytes), base64. */
export const NonceB64 = base64Exact(32);
