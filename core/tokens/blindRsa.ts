// The client half of RFC 9474 blind RSA (RSABSSA-SHA384-PSS-Deterministic): PSS encoding,
// blinding and finalizing, batched so a refill of hundreds of tokens costs one modular inversion
// (Montgomery's trick) and uses node:crypto's native RSA for r^e and for the final PSS verification.
import {
  constants,
  createHash,
  createPublicKey,
  hash,
  publicEncrypt,
  randomFillSync,
  verify,
  type KeyObject,
} from 'node:crypto';
import { WispError } from '../../common/errors';
import {
  TOKEN_PSS_SALT_BYTES,
  TOKEN_NK,
  rsaPublicKeyOfTokenSpki,
  type TokenKeyInfo,
} from '../../common/wire';
import type { z } from 'zod';

const HASH = 'sha384';
const H_LEN = 48;

/** A published token key, checked and ready for blinding and verification. */
export interface TokenPublicKey {
  id: Buffer;
  spki: Buffer;
  /** The same key as an `rsa` KeyObject: raw RSAVP1 (r^e mod n) and PSS verification. */
  key: KeyObject;
  n: bigint;
  /** Modulus length in bytes. */
  size: number;
  modBits: number;
  issueFrom: number;
  issueUntil: number;
  spendUntil: number;
}

function badKey(why: string): WispError {
  return new WispError('TokenInvalid', `the relay published a token key that ${why}`, {
    recovery: 'the relay is misconfigured or misbehaving; anonymous sends are unavailable until it is fixed',
  });
}

/**
 * Checks a key from `tokens.keys`: the id is the SHA-256 of the SPKI (RFC 9578 §6.5), the SPKI is
 * RSASSA-PSS with SHA-384/MGF1-SHA-384/salt 48, and the key is RSA-2048 with e = 65537.
 */
export function parseTokenKey(info: z.infer<typeof TokenKeyInfo>): TokenPublicKey {
  const spki = Buffer.from(info.publicKey, 'base64');
  const id = Buffer.from(info.tokenKeyId, 'base64');
  if (!createHash('sha256').update(spki).digest().equals(id)) throw badKey('does not match its id');
  const pkcs1 = rsaPublicKeyOfTokenSpki(spki);
  if (!pkcs1) throw badKey('is not an RSASSA-PSS SHA-384 public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(pkcs1), format: 'der', type: 'pkcs1' });
  } catch {
    throw badKey('cannot be read');
  }
  const d = key.asymmetricKeyDetails;
  if (d?.modulusLength !== TOKEN_NK * 8 || d.publicExponent !== 65537n)
    throw badKey('is not RSA-2048, e = 65537');
  return {
    ...rsaParts(key),
    id,
    spki,
    key,
    issueFrom: info.issueFrom,
    issueUntil: info.issueUntil,
    spendUntil: info.spendUntil,
  };
}

/** n, its byte size and bit length of an RSA public KeyObject. */
export function rsaParts(key: KeyObject): { n: bigint; size: number; modBits: number } {
  const nBytes = Buffer.from(key.export({ format: 'jwk' }).n!, 'base64url');
  const n = toBig(nBytes);
  return { n, size: nBytes.length, modBits: n.toString(2).length };
}

export function toBig(b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') || '0'}`);
}

export function toBytes(x: bigint, size: number): Buffer {
  const hex = x.toString(16);
  if (hex.length > size * 2) throw new RangeError('integer too large');
  return Buffer.from(hex.padStart(size * 2, '0'), 'hex');
}

// One-shot crypto.hash: hashing is most of PSS encoding's cost, and a Hash object per call adds to it.
function mgf1(seed: Buffer, length: number): Buffer {
  const out = Buffer.alloc(Math.ceil(length / H_LEN) * H_LEN);
  const input = Buffer.alloc(seed.length + 4);
  seed.copy(input);
  for (let i = 0; i * H_LEN < length; i++) {
    input.writeUInt32BE(i, seed.length);
    hash(HASH, input, 'buffer').copy(out, i * H_LEN);
  }
  return out.subarray(0, length);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-384, MGF1-SHA-384 and the given salt. */
export function emsaPssEncode(message: Uint8Array, emBits: number, salt: Uint8Array): Buffer {
  const emLen = Math.ceil(emBits / 8);
  if (emLen < H_LEN + salt.length + 2) throw new RangeError('encoding error');
  // M' = 0x00 × 8 ‖ mHash ‖ salt
  const mPrime = Buffer.alloc(8 + H_LEN + salt.length);
  hash(HASH, message, 'buffer').copy(mPrime, 8);
  mPrime.set(salt, 8 + H_LEN);
  const h = hash(HASH, mPrime, 'buffer');
  const db = Buffer.alloc(emLen - H_LEN - 1);
  db[emLen - salt.length - H_LEN - 2] = 0x01;
  Buffer.from(salt).copy(db, emLen - salt.length - H_LEN - 1);
  const mask = mgf1(h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

function modInverse(a: bigint, n: bigint): bigint | null {
  let [r0, r1] = [n, a % n];
  let [s0, s1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) return null;
  return ((s0 % n) + n) % n;
}

/** Inverses of all `values` mod n with one inversion and 3(k−1) multiplications; null if one has none. */
export function batchInverse(values: readonly bigint[], n: bigint): bigint[] | null {
  if (values.length === 0) return [];
  const prefix: bigint[] = new Array<bigint>(values.length);
  let acc = 1n;
  for (let i = 0; i < values.length; i++) prefix[i] = acc = (acc * values[i]!) % n;
  let inv = modInverse(acc, n);
  if (inv === null) return null;
  const out: bigint[] = new Array<bigint>(values.length);
  for (let i = values.length - 1; i > 0; i--) {
    out[i] = (inv * prefix[i - 1]!) % n;
    inv = (inv * values[i]!) % n;
  }
  out[0] = inv;
  return out;
}

/** RSAVP1, x^e mod n, with node:crypto's native RSA (no padding; x below n, `size` bytes). */
function rsavp1(key: KeyObject, x: Buffer): Buffer {
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, x);
}

export interface Blinded {
  /** The blinded messages to send (`size` bytes each). */
  blinded: Buffer[];
  /** The unblinding inverses, kept on the client until the signatures come back. */
  inverses: bigint[];
}

/**
 * RFC 9474 Blind for each message (salts and blinds random unless given, for the test vectors):
 * encoded = EMSA-PSS-ENCODE(msg), z = encoded · r^e mod n, inv = r⁻¹ mod n.
 */
export function blindBatch(
  pk: Pick<TokenPublicKey, 'key' | 'n' | 'size' | 'modBits'>,
  messages: readonly Uint8Array[],
  fixed?: { salts: Uint8Array[]; blinds: bigint[] },
): Blinded {
  const count = messages.length;
  const salts = fixed?.salts ?? splitRandom(count, TOKEN_PSS_SALT_BYTES);
  const blinds = fixed?.blinds ?? randomBelow(pk.n, pk.size, count);
  const encoded = messages.map((m, i) => toBig(emsaPssEncode(m, pk.modBits - 1, salts[i]!)));
  // is_coprime(m, n) for all at once: a message sharing a factor with n makes the product share it.
  let product = 1n;
  for (const m of encoded) product = (product * m) % pk.n;
  const inverses = batchInverse(blinds, pk.n);
  if (inverses === null || modInverse(product, pk.n) === null)
    throw new WispError('TokenInvalid', 'blinding failed (a value shares a factor with the key modulus)', {
      recovery: 'try again; if it repeats, the relay key is broken',
    });
  const blinded = encoded.map((m, i) => {
    const x = toBig(rsavp1(pk.key, toBytes(blinds[i]!, pk.size)));
    return toBytes((m * x) % pk.n, pk.size);
  });
  return { blinded, inverses };
}

/**
 * RFC 9474 Finalize: s = z · inv mod n, then RSASSA-PSS-VERIFY against the published key. A
 * signature that does not verify means the relay signed with another key than the one it
 * published (a key for this user alone would link the tokens to it): nothing of the batch is kept.
 */
export function finalizeBatch(
  pk: Pick<TokenPublicKey, 'key' | 'n' | 'size'>,
  messages: readonly Uint8Array[],
  blindSignatures: readonly Uint8Array[],
  inverses: readonly bigint[],
): Buffer[] {
  return blindSignatures.map((z, i) => {
    if (z.length !== pk.size) throw new WispError('TokenInvalid', 'a blind signature has the wrong length');
    const sig = toBytes((toBig(z) * inverses[i]!) % pk.n, pk.size);
    if (!verifyPss(pk.key, messages[i]!, sig))
      throw new WispError(
        'TokenInvalid',
        'a token signature from the relay does not verify under its published key',
        {
          recovery: 'the relay may be trying to mark your tokens; none of this batch was kept',
        },
      );
    return sig;
  });
}

export function verifyPss(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  return verify(
    HASH,
    message,
    { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: TOKEN_PSS_SALT_BYTES },
    signature,
  );
}

function splitRandom(count: number, bytes: number): Buffer[] {
  const all = randomFillSync(Buffer.alloc(count * bytes));
  return Array.from({ length: count }, (_, i) => all.subarray(i * bytes, (i + 1) * bytes));
}

/** `count` integers uniform in [1, n) by rejection sampling on `size`-byte strings. */
function randomBelow(n: bigint, size: number, count: number): bigint[] {
  const topBits = n.toString(2).length - (size - 1) * 8;
  const topMask = (1 << topBits) - 1;
  const out: bigint[] = [];
  while (out.length < count) {
    const want = count - out.length;
    const pool = randomFillSync(Buffer.alloc(want * size));
    for (let i = 0; i < want; i++) {
      const b = pool.subarray(i * size, (i + 1) * size);
      b[0]! &= topMask;
      const x = toBig(b);
      if (x > 0n && x < n) out.push(x);
    }
  }
  return out;
}
