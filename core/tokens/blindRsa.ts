// The client half of RFC 9474 blind RSA (RSABSSA-SHA384-PSS-Deterministic): PSS encoding,
// blinding and finalizing, batched so a refill of hundreds of tokens costs one modular inversion
// (Montgomery's trick) and uses node:crypto's native RSA for r^e and for verifying every signature.
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

/**
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-384, MGF1-SHA-384 and the given salt. Written for a
 * refill of hundreds: one-shot crypto.hash (no Hash object per call), the mask written straight
 * into EM, and DB = PS ‖ 0x01 ‖ salt applied only where it is not zero (PS XOR mask is the mask).
 */
export function emsaPssEncode(message: Uint8Array, emBits: number, salt: Uint8Array): Buffer {
  const emLen = Math.ceil(emBits / 8);
  const sLen = salt.length;
  if (emLen < H_LEN + sLen + 2) throw new RangeError('encoding error');
  // M' = 0x00 × 8 ‖ mHash ‖ salt
  const mPrime = Buffer.allocUnsafe(8 + H_LEN + sLen);
  mPrime.fill(0, 0, 8);
  hash(HASH, message, 'buffer').copy(mPrime, 8);
  mPrime.set(salt, 8 + H_LEN);
  const h = hash(HASH, mPrime, 'buffer');
  const dbLen = emLen - H_LEN - 1;
  const em = Buffer.allocUnsafe(emLen);
  // maskedDB starts as MGF1(H, dbLen).
  const seed = Buffer.allocUnsafe(H_LEN + 4);
  h.copy(seed);
  for (let i = 0, at = 0; at < dbLen; i++, at += H_LEN) {
    seed.writeUInt32BE(i, H_LEN);
    hash(HASH, seed, 'buffer').copy(em, at, 0, Math.min(H_LEN, dbLen - at));
  }
  em[dbLen - sLen - 1]! ^= 0x01;
  for (let j = 0; j < sLen; j++) em[dbLen - sLen + j]! ^= salt[j]!;
  em[0]! &= 0xff >> (8 * emLen - emBits);
  h.copy(em, dbLen);
  em[emLen - 1] = 0xbc;
  return em;
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
  /** Each message's EMSA-PSS encoding (EM, `size` bytes): what its signature must map back to. */
  encoded: Buffer[];
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
  const ems = messages.map((m, i) => leftPad(emsaPssEncode(m, pk.modBits - 1, salts[i]!), pk.size));
  const encoded = ems.map(toBig);
  // is_coprime(m, n) for all at once: a message sharing a factor with n makes the product share
  // it. The product rides at the end of the blinds' batch, so the whole batch costs one inversion.
  let product = 1n;
  for (const m of encoded) product = (product * m) % pk.n;
  const inverses = batchInverse([...blinds, product], pk.n);
  inverses?.pop();
  if (inverses === null)
    throw new WispError('TokenInvalid', 'blinding failed (a value shares a factor with the key modulus)', {
      recovery: 'try again; if it repeats, the relay key is broken',
    });
  const blinded = encoded.map((m, i) => {
    const x = toBig(rsavp1(pk.key, toBytes(blinds[i]!, pk.size)));
    return toBytes((m * x) % pk.n, pk.size);
  });
  return { blinded, inverses, encoded: ems };
}

/** EM is ⌈(modBits − 1)/8⌉ bytes, one short of the modulus when modBits ≡ 1 (mod 8). */
function leftPad(b: Buffer, size: number): Buffer {
  return b.length >= size ? b : Buffer.concat([Buffer.alloc(size - b.length), b]);
}

function notVerified(): WispError {
  return new WispError(
    'TokenInvalid',
    'a token signature from the relay does not verify under its published key',
    {
      recovery: 'the relay may be trying to mark your tokens; none of this batch was kept',
    },
  );
}

/** s = z · inv mod n (RFC 9474 Finalize, before its verification). */
function unblind(pk: Pick<TokenPublicKey, 'n' | 'size'>, z: Uint8Array, inverse: bigint): Buffer {
  if (z.length !== pk.size) throw new WispError('TokenInvalid', 'a blind signature has the wrong length');
  return toBytes((toBig(z) * inverse) % pk.n, pk.size);
}

/**
 * RFC 9474 Finalize for a batch this client blinded, every signature verified on its own: s^e mod
 * n (node:crypto's native RSA) must equal the EM this client encoded for that message. That is
 * RSASSA-PSS-VERIFY with the salt already known (EMSA-PSS-VERIFY would recover it from the same
 * EM), minus its re-hashing. A signature under any other key, or one multiplied by a factor (a tag
 * the relay could recognise later), maps to another number and is refused: nothing of the batch
 * is kept. Not a batch check over a product of signatures: that would let such tags cancel out.
 */
export function finalizeBlinded(
  pk: Pick<TokenPublicKey, 'key' | 'n' | 'size'>,
  batch: Blinded,
  blindSignatures: readonly Uint8Array[],
): Buffer[] {
  if (blindSignatures.length > batch.inverses.length)
    throw new WispError('TokenInvalid', 'the relay answered with more signatures than asked for');
  return blindSignatures.map((z, i) => {
    const sig = unblind(pk, z, batch.inverses[i]!);
    if (!rsavp1(pk.key, sig).equals(batch.encoded[i]!)) throw notVerified();
    return sig;
  });
}

/**
 * RFC 9474 Finalize as written: s = z · inv mod n, then RSASSA-PSS-VERIFY (node:crypto) against
 * the published key, for signatures of messages blinded elsewhere (the wallet uses
 * finalizeBlinded, the same check without re-hashing). A
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
    const sig = unblind(pk, z, inverses[i]!);
    if (!verifyPss(pk.key, messages[i]!, sig)) throw notVerified();
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
