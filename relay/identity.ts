// Account-side cryptography: hashing account ids for storage, checking identity-key signatures,
// and issuing sealed-sender certificates with the server key (trust root → server certificate →
// sender certificates).
import { createHash, randomBytes } from 'node:crypto';
import { PrivateKey, PublicKey, SenderCertificate, ServerCertificate } from '@signalapp/libsignal-client';
import type { ServerKey } from './serverKeys';

/** Storage key of an account: SHA-256 of its id string, so the raw id is never written down. */
export function accountHash(accountId: string): Uint8Array {
  return createHash('sha256').update(`wisp-account:${accountId}`).digest();
}

/** Recently used recipients' hashes; bounded, and only ever in memory (never logged or stored). */
const recipientHashes = new Map<string, Uint8Array>();
const RECIPIENT_HASH_CACHE = 10_000;

/** accountHash for the `to` of a send: the same few recipients recur, so skip re-hashing them. */
export function recipientHash(accountId: string): Uint8Array {
  let hash = recipientHashes.get(accountId);
  if (!hash) {
    hash = accountHash(accountId);
    if (recipientHashes.size >= RECIPIENT_HASH_CACHE) recipientHashes.clear();
    recipientHashes.set(accountId, hash);
  }
  return hash;
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return createHash('sha256').update(data).digest();
}

export function randomBase64Url(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function fromB64(s: string): Uint8Array<ArrayBuffer> {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function toB64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Deserialises a public key, or null when the bytes are not one (never throws on hostile input). */
export function parsePublicKey(bytes: Uint8Array<ArrayBuffer>): PublicKey | null {
  try {
    return PublicKey.deserialize(bytes);
  } catch {
    return null;
  }
}

export function verifySignature(
  key: PublicKey,
  message: Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
): boolean {
  try {
    return key.verify(message, signature);
  } catch {
    return false;
  }
}

export function concatBytes(...parts: (Uint8Array | string)[]): Uint8Array<ArrayBuffer> {
  const bufs = parts.map((p) =>
    typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength),
  );
  const out = Buffer.concat(bufs);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Issues sender certificates with the relay's server key. It holds the server key, its certificate
 * and the trust root's public key only; the root's private key stays offline (serverKeys.ts).
 */
export class SealedSenderAuthority {
  readonly trustRoot: PublicKey;
  readonly keyId: number;
  private readonly serverCertificate: ServerCertificate;
  private readonly serverKey: PrivateKey;

  constructor(key: ServerKey) {
    this.trustRoot = key.trustRoot;
    this.keyId = key.keyId;
    this.serverCertificate = key.certificate;
    this.serverKey = key.privateKey;
  }

  issue(accountId: string, identityKey: PublicKey, expiresAt: number): Uint8Array {
    return SenderCertificate.new(
      accountId,
      null,
      1,
      identityKey,
      expiresAt,
      this.serverCertificate,
      this.serverKey,
    ).serialize();
  }
}
