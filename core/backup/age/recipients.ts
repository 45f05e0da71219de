// age's two native recipient types on Node's crypto: X25519 (`age1…` / `AGE-SECRET-KEY-1…`) and
// scrypt passphrases. Each wraps the 16-byte file key; unwrap says "not mine" by returning null.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
  scrypt,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64';
import { bech32Decode, bech32Encode } from './bech32';
import { AgeError } from './errors';
import { hkdf } from './header';
import type { Stanza } from './header';

const zeroNonce = Buffer.alloc(12);
const x25519Label = 'age-encryption.org/v1/X25519';
const scryptLabel = 'age-encryption.org/v1/scrypt';
const pkcs8Prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');
const spkiPrefix = Buffer.from('302a300506032b656e032100', 'hex');
/** age's own ceiling: 2^22 (4 GiB of scrypt memory) already takes many seconds. */
export const maxScryptWorkFactor = 22;
/** What the age CLI writes. */
export const defaultScryptWorkFactor = 18;

export type Recipient =
  | { readonly kind: 'x25519'; readonly publicKey: Buffer }
  | { readonly kind: 'scrypt'; readonly passphrase: string; readonly workFactor?: number };

export type Identity =
  | { readonly kind: 'x25519'; readonly secretKey: Buffer }
  | { readonly kind: 'scrypt'; readonly passphrase: string; readonly maxWorkFactor?: number };

function seal(key: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, zeroNonce, { authTagLength: 16 });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Uint8Array, sealed: Buffer): Buffer | null {
  const decipher = createDecipheriv('chacha20-poly1305', key, zeroNonce, { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  } catch {
    return null;
  }
}

function privateKeyObject(secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, secret]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(point: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([spkiPrefix, point]), format: 'der', type: 'spki' });
}

function publicBytes(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(spkiPrefix.length);
}

/** X25519 that refuses an all-zero shared secret (a low-order or identity point). */
function x25519(secret: KeyObject, point: Uint8Array): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: secret, publicKey: publicKeyObject(point) });
  } catch {
    throw new AgeError('Header', 'X25519 share is a low-order point');
  }
  if (shared.every((b) => b === 0)) throw new AgeError('Header', 'X25519 share is a low-order point');
  return shared;
}

export function x25519PublicKey(secretKey: Uint8Array): Buffer {
  return publicBytes(privateKeyObject(secretKey));
}

export function generateX25519SecretKey(): Buffer {
  return randomBytes(32);
}

export function encodeIdentity(secretKey: Uint8Array): string {
  return bech32Encode('age-secret-key-', secretKey).toUpperCase();
}

export function encodeRecipient(publicKey: Uint8Array): string {
  return bech32Encode('age', publicKey);
}

export function parseIdentity(text: string): Identity {
  const decoded = bech32Decode(text.trim());
  if (
    decoded?.hrp !== 'age-secret-key-' ||
    decoded.data.length !== 32 ||
    text.trim() !== text.trim().toUpperCase()
  ) {
    throw new AgeError('NoMatch', 'not an age X25519 identity (AGE-SECRET-KEY-1…)');
  }
  return { kind: 'x25519', secretKey: decoded.data };
}

export function parseRecipient(text: string): Recipient {
  const decoded = bech32Decode(text.trim());
  if (decoded?.hrp !== 'age' || decoded.data.length !== 32 || text.trim() !== text.trim().toLowerCase()) {
    throw new AgeError('NoMatch', 'not an age X25519 recipient (age1…)');
  }
  return { kind: 'x25519', publicKey: decoded.data };
}

/** An identity file as age-keygen writes it: one key a line, `#` comments and blank lines ignored. */
export function parseIdentityFile(text: string): Identity[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(parseIdentity);
}

function scryptKey(passphrase: string, salt: Buffer, workFactor: number): Promise<Buffer> {
  const N = 2 ** workFactor;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      Buffer.concat([Buffer.from(scryptLabel), salt]),
      32,
      { N, r: 8, p: 1, maxmem: 2 * 128 * 8 * N + (1 << 20) },
      (err, key) => (err === null ? resolve(key) : reject(err)),
    );
  });
}

export async function wrap(fileKey: Buffer, recipient: Recipient): Promise<Stanza> {
  if (recipient.kind === 'x25519') {
    const ephemeral = privateKeyObject(randomBytes(32));
    const share = publicBytes(ephemeral);
    const shared = x25519(ephemeral, recipient.publicKey);
    const key = hkdf(shared, Buffer.concat([share, recipient.publicKey]), x25519Label);
    return { type: 'X25519', args: [encodeBase64(share)], body: seal(key, fileKey) };
  }
  const workFactor = recipient.workFactor ?? defaultScryptWorkFactor;
  const salt = randomBytes(16);
  const key = await scryptKey(recipient.passphrase, salt, workFactor);
  return { type: 'scrypt', args: [encodeBase64(salt), String(workFactor)], body: seal(key, fileKey) };
}

async function unwrapOne(stanza: Stanza, identity: Identity): Promise<Buffer | null> {
  if (identity.kind === 'x25519') {
    if (stanza.type !== 'X25519') return null;
    if (stanza.args.length !== 1) throw new AgeError('Header', 'X25519 stanza needs exactly one argument');
    const share = decodeBase64(stanza.args[0]!, 'X25519 share');
    if (share.length !== 32) throw new AgeError('Header', 'X25519 share has the wrong length');
    if (stanza.body.length !== 32) throw new AgeError('Header', 'X25519 stanza body has the wrong length');
    const secret = privateKeyObject(identity.secretKey);
    const shared = x25519(secret, share);
    const key = hkdf(shared, Buffer.concat([share, publicBytes(secret)]), x25519Label);
    return open(key, stanza.body);
  }
  if (stanza.type !== 'scrypt') return null;
  if (stanza.args.length !== 2) throw new AgeError('Header', 'scrypt stanza needs exactly two arguments');
  const salt = decodeBase64(stanza.args[0]!, 'scrypt salt');
  if (salt.length !== 16) throw new AgeError('Header', 'scrypt salt has the wrong length');
  const workText = stanza.args[1]!;
  if (!/^[1-9][0-9]{0,2}$/.test(workText)) throw new AgeError('Header', 'scrypt work factor is malformed');
  const workFactor = Number(workText);
  if (workFactor > Math.min(identity.maxWorkFactor ?? maxScryptWorkFactor, maxScryptWorkFactor)) {
    throw new AgeError('Header', `scrypt work factor 2^${workFactor} is above the accepted maximum`);
  }
  if (stanza.body.length !== 32) throw new AgeError('Header', 'scrypt stanza body has the wrong length');
  return open(await scryptKey(identity.passphrase, salt, workFactor), stanza.body);
}

/** Finds the file key, trying every identity on every stanza of its type, as age does. */
export async function unwrap(stanzas: readonly Stanza[], identities: readonly Identity[]): Promise<Buffer> {
  if (stanzas.some((s) => s.type === 'scrypt') && stanzas.length !== 1) {
    throw new AgeError('Header', 'a scrypt stanza must be alone in the header');
  }
  for (const identity of identities) {
    for (const stanza of stanzas) {
      const fileKey = await unwrapOne(stanza, identity);
      if (fileKey !== null) return fileKey;
    }
  }
  throw new AgeError('NoMatch', 'no identity or passphrase opens this file');
}
