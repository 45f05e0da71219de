// Account-side cryptography: hashing account ids for storage, checking identity-key signatures,
// and issuing sealed-sender certificates with the server key (trust root → server certificate →
// sender certificates).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { PrivateKey, PublicKey, SenderCertificate, ServerCertificate } from '@signalapp/libsignal-client';
import type { ServerKey } from './serverKeys';

const RECIPIENT_HASH_CACHE = 10_000;

/**
 * Storage keys of accounts: HMAC-SHA-256 of the id under the relay's account-hash key (a server
 * secret kept with the server key, never in the database; serverKeys.ts). Someone holding the
 * database and an account id still cannot find that account's rows without the key.
 */
export class AccountHasher {
  /** Recently used recipients' hashes; bounded, and only ever in memory (never logged or stored). */
  private readonly recipients = new Map<string, Uint8Array>();

  constructor(private readonly key: Uint8Array) {
    if (key.byteLength < 32) throw new Error('the account-hash key must be at least 32 bytes');
  }

  hash(accountId: string): Uint8Array {
    return createHmac('sha256', this.key).update(`wisp-account:${accountId}`).digest();
  }

  /** hash() for the `to` of a send: the same few recipients recur, so skip re-hashing them. */
  recipient(accountId: string): Uint8Array {
    let hash = this.recipients.get(accountId);
    if (!hash) {
      hash = this.hash(accountId);
      if (this.recipients.size >= RECIPIENT_HASH_CACHE) this.recipients.clear();
      this.recipients.set(accountId, hash);
    }
    return hash;
  }

  /**
   * A value stored once in the database so a relay started with another key refuses to run
   * instead of losing every account (storage/accountKeyCheck). Reveals nothing about the key.
   */
  keyCheck(): Uint8Array {
    return createHmac('sha256', this.key).update('wisp-relay account-hash key check').digest();
  }
}

/** How relays before schema version 3 keyed accounts: an unkeyed SHA-256, kept only to upgrade. */
export function legacyAccountHash(accountId: string): Uint8Array {
  return createHash('sha256').update(`wisp-account:${accountId}`).digest();
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
