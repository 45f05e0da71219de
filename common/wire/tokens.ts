// Privacy Pass token formats (RFC 9577 §2, RFC 9578 §6, token type 0x0002: publicly verifiable,
// blind RSA 2048 with RSABSSA-SHA384-PSS-Deterministic). Pure byte layouts shared by the relay
// (verifies and spends tokens) and the client wallet (builds them); hashing and RSA live on each side.

/** Token type 0x0002: Blind RSA (2048-bit), RFC 9578 §8.2. */
export const TOKEN_TYPE = 0x0002;
/** Nk: the length of the RSA modulus and of every blinded message, blind signature and authenticator. */
export const TOKEN_NK = 256;
export const TOKEN_NONCE_BYTES = 32;
export const TOKEN_DIGEST_BYTES = 32;
export const TOKEN_KEY_ID_BYTES = 32;
/** The PSS salt length of RSABSSA-SHA384-PSS-Deterministic (the SHA-384 output length). */
export const TOKEN_PSS_SALT_BYTES = 48;
/** token_type ‖ nonce ‖ challenge_digest ‖ token_key_id: the message the authenticator signs. */
export const TOKEN_INPUT_BYTES = 2 + TOKEN_NONCE_BYTES + TOKEN_DIGEST_BYTES + TOKEN_KEY_ID_BYTES;
/** A whole Token: token_input ‖ authenticator. */
export const TOKEN_BYTES = TOKEN_INPUT_BYTES + TOKEN_NK;
/** Most blinded messages in one `tokens.issue` request. */
export const MAX_TOKEN_BATCH = 500;
/** Issuer name of a relay that was not given one (the relay's keys are what tell relays apart). */
export const DEFAULT_TOKEN_ISSUER_NAME = 'wisp-relay';

export interface ParsedToken {
  tokenType: number;
  nonce: Uint8Array;
  challengeDigest: Uint8Array;
  tokenKeyId: Uint8Array;
  authenticator: Uint8Array;
  /** The signed part (token_type through token_key_id), a view into the token. */
  tokenInput: Uint8Array;
}

/**
 * The fixed TokenChallenge this relay's tokens are bound to: token type, issuer name, an empty
 * redemption context (so tokens can be fetched ahead of time, RFC 9577 §2.1.1) and no origin info.
 */
export function encodeTokenChallenge(issuerName: string): Uint8Array {
  const name = new TextEncoder().encode(issuerName);
  if (name.length < 1 || name.length > 0xffff) throw new RangeError('issuer name length');
  const out = new Uint8Array(2 + 2 + name.length + 1 + 2);
  const view = new DataView(out.buffer);
  view.setUint16(0, TOKEN_TYPE);
  view.setUint16(2, name.length);
  out.set(name, 4);
  // redemption_context<0..32>: one length byte, 0; origin_info<0..2^16-1>: two length bytes, 0.
  return out;
}

/** token_type ‖ nonce ‖ challenge_digest ‖ token_key_id. */
export function encodeTokenInput(
  nonce: Uint8Array,
  challengeDigest: Uint8Array,
  tokenKeyId: Uint8Array,
): Uint8Array {
  if (
    nonce.length !== TOKEN_NONCE_BYTES ||
    challengeDigest.length !== TOKEN_DIGEST_BYTES ||
    tokenKeyId.length !== TOKEN_KEY_ID_BYTES
  )
    throw new RangeError('token input field length');
  const out = new Uint8Array(TOKEN_INPUT_BYTES);
  new DataView(out.buffer).setUint16(0, TOKEN_TYPE);
  out.set(nonce, 2);
  out.set(challengeDigest, 2 + TOKEN_NONCE_BYTES);
  out.set(tokenKeyId, 2 + TOKEN_NONCE_BYTES + TOKEN_DIGEST_BYTES);
  return out;
}

export function encodeToken(tokenInput: Uint8Array, authenticator: Uint8Array): Uint8Array {
  if (tokenInput.length !== TOKEN_INPUT_BYTES || authenticator.length !== TOKEN_NK)
    throw new RangeError('token field length');
  const out = new Uint8Array(TOKEN_BYTES);
  out.set(tokenInput, 0);
  out.set(authenticator, TOKEN_INPUT_BYTES);
  return out;
}

/** Splits a token into its fields; null when the length or the type is not ours. */
export function parseToken(token: Uint8Array): ParsedToken | null {
  if (token.length !== TOKEN_BYTES) return null;
  const tokenType = (token[0]! << 8) | token[1]!;
  if (tokenType !== TOKEN_TYPE) return null;
  let at = 2;
  const take = (n: number) => token.subarray(at, (at += n));
  return {
    tokenType,
    nonce: take(TOKEN_NONCE_BYTES),
    challengeDigest: take(TOKEN_DIGEST_BYTES),
    tokenKeyId: take(TOKEN_KEY_ID_BYTES),
    authenticator: take(TOKEN_NK),
    tokenInput: token.subarray(0, TOKEN_INPUT_BYTES),
  };
}

/**
 * DER of the AlgorithmIdentifier RFC 9578 §6.5 requires in a token key's SubjectPublicKeyInfo:
 * id-RSASSA-PSS with SHA-384, MGF1-SHA-384 and a 48-byte salt (as OpenSSL writes it).
 */
export const RSASSA_PSS_SHA384_ALGORITHM_ID = hexBytes(
  '3041' +
    '06092a864886f70d01010a' +
    '3034' +
    'a00f300d06096086480165030402020500' +
    'a11c301a06092a864886f70d010108300d06096086480165030402020500' +
    'a203020130',
);

/** SubjectPublicKeyInfo (RSASSA-PSS, RFC 9578 §6.5) around a DER RSAPublicKey (PKCS#1). */
export function tokenKeySpki(rsaPublicKeyDer: Uint8Array): Uint8Array {
  const bitString = concat(
    new Uint8Array([0x03]),
    derLength(rsaPublicKeyDer.length + 1),
    new Uint8Array([0]),
    rsaPublicKeyDer,
  );
  const body = concat(RSASSA_PSS_SHA384_ALGORITHM_ID, bitString);
  return concat(new Uint8Array([0x30]), derLength(body.length), body);
}

/** The DER RSAPublicKey inside a token key's SPKI; null unless the SPKI is exactly that shape. */
export function rsaPublicKeyOfTokenSpki(spki: Uint8Array): Uint8Array | null {
  const outer = readDer(spki, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== spki.length) return null;
  const alg = RSASSA_PSS_SHA384_ALGORITHM_ID;
  const algEnd = outer.start + alg.length;
  if (algEnd > spki.length || !equalBytes(spki.subarray(outer.start, algEnd), alg)) return null;
  const bits = readDer(spki, algEnd);
  if (!bits || bits.tag !== 0x03 || bits.end !== spki.length || spki[bits.start] !== 0) return null;
  return spki.subarray(bits.start + 1, bits.end);
}

function readDer(b: Uint8Array, at: number): { tag: number; start: number; end: number } | null {
  if (at + 2 > b.length) return null;
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3 || start + n > b.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[start + i]!;
    start += n;
  }
  const end = start + len;
  return end <= b.length ? { tag, start, end } : null;
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return new Uint8Array([n]);
  if (n < 0x100) return new Uint8Array([0x81, n]);
  return new Uint8Array([0x82, n >> 8, n & 0xff]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
