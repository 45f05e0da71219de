// RFC 9474's RSABSSA-SHA384-PSS-Deterministic test vector through both halves: the client's
// blinding and finalizing (core/tokens/blindRsa.ts) and the relay's native blind signature
// (relay/tokens.ts), byte for byte.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  batchInverse,
  blindBatch,
  emsaPssEncode,
  finalizeBatch,
  finalizeBlinded,
  rsaParts,
  toBig,
  toBytes,
  verifyPss,
} from '../../../core/tokens/blindRsa';
import { blindSign } from '../../../relay/tokens';

const v = JSON.parse(
  readFileSync(new URL('./rfc9474-pss-deterministic.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const big = (hex: string) => BigInt(`0x${hex}`);
const b64u = (x: bigint) => {
  let hex = x.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function vectorKeys() {
  const [n, e, d, p, q] = [v.n!, v.e!, v.d!, v.p!, v.q!].map(big) as [bigint, bigint, bigint, bigint, bigint];
  const inv = (a: bigint, m: bigint) => batchInverse([a], m)![0]!;
  const jwk = {
    kty: 'RSA',
    n: b64u(n),
    e: b64u(e),
    d: b64u(d),
    p: b64u(p),
    q: b64u(q),
    dp: b64u(d % (p - 1n)),
    dq: b64u(d % (q - 1n)),
    qi: b64u(inv(q, p)),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey), n, inv };
}

describe('blind RSA against the RFC 9474 test vector (RSABSSA-SHA384-PSS-Deterministic)', () => {
  const { privateKey, publicKey, n, inv } = vectorKeys();
  const parts = rsaParts(publicKey);
  const msg = Buffer.from(v.msg!, 'hex');

  it('encodes, blinds, signs natively and finalizes to the vector’s bytes', () => {
    expect(parts.n).toBe(n);
    expect(hex(emsaPssEncode(msg, parts.modBits - 1, Buffer.from(v.salt!, 'hex')))).toBe(v.encoded_msg);
    // The vector gives inv; the blind r is its inverse.
    const r = inv(big(v.inv!), n);
    const { blinded, inverses } = blindBatch({ key: publicKey, ...parts }, [msg], {
      salts: [Buffer.from(v.salt!, 'hex')],
      blinds: [r],
    });
    expect(hex(blinded[0]!)).toBe(v.blinded_msg);
    expect(inverses[0]).toBe(big(v.inv!));
    const blindSig = blindSign({ privateKey, publicKey }, blinded[0]!);
    expect(hex(blindSig)).toBe(v.blind_sig);
    const [sig] = finalizeBatch({ key: publicKey, ...parts }, [msg], [blindSig], inverses);
    expect(hex(sig!)).toBe(v.sig);
  });

  it('refuses a blind signature that is not the key’s (finalize verifies)', () => {
    const { blinded, inverses } = blindBatch({ key: publicKey, ...parts }, [msg]);
    const blindSig = blindSign({ privateKey, publicKey }, blinded[0]!);
    blindSig[blindSig.length - 1]! ^= 1;
    expect(() => finalizeBatch({ key: publicKey, ...parts }, [msg], [blindSig], inverses)).toThrow(
      expect.objectContaining({ kind: 'TokenInvalid' }),
    );
  });

  it('inverts a batch with one inversion: each result times its value is 1', () => {
    const values = [3n, 5n, 7n, 123456789n, n - 2n];
    const out = batchInverse(values, n)!;
    values.forEach((x, i) => expect((x * out[i]!) % n).toBe(1n));
    expect(batchInverse([0n], n)).toBeNull();
  });

  it('finalizes a batch it blinded to the vector’s signature, each one a valid RSA-PSS signature', () => {
    const r = inv(big(v.inv!), n);
    const batch = blindBatch({ key: publicKey, ...parts }, [msg], {
      salts: [Buffer.from(v.salt!, 'hex')],
      blinds: [r],
    });
    expect(hex(batch.encoded[0]!)).toBe(v.encoded_msg);
    const [sig] = finalizeBlinded({ key: publicKey, ...parts }, batch, [
      blindSign({ privateKey, publicKey }, batch.blinded[0]!),
    ]);
    expect(hex(sig!)).toBe(v.sig);
    expect(verifyPss(publicKey, msg, sig!)).toBe(true);
  });

  it('refuses tagged signatures token by token, even when the tags cancel out over the batch', () => {
    // A relay marking tokens: it multiplies one blind signature by t and another by t⁻¹. The
    // product of the batch's signatures is unchanged, so a check over the product alone would
    // pass; each signature on its own no longer maps back to its encoding.
    const msgs = [Buffer.from('token one'), Buffer.from('token two')];
    const batch = blindBatch({ key: publicKey, ...parts }, msgs);
    const sigs = batch.blinded.map((b) => blindSign({ privateKey, publicKey }, b));
    const t = 0x1234567n;
    const tagged = [
      toBytes((toBig(sigs[0]!) * t) % n, parts.size),
      toBytes((toBig(sigs[1]!) * inv(t, n)) % n, parts.size),
    ];
    const product = (xs: Uint8Array[]) => xs.reduce((acc, x) => (acc * toBig(x)) % n, 1n);
    expect(product(tagged)).toBe(product(sigs));
    expect(() => finalizeBlinded({ key: publicKey, ...parts }, batch, tagged)).toThrow(
      expect.objectContaining({ kind: 'TokenInvalid' }),
    );
    // The untouched signatures of the same batch finalize.
    expect(finalizeBlinded({ key: publicKey, ...parts }, batch, sigs)).toHaveLength(2);
  });

  it('refuses signatures under a key other than the published one (a per-user key)', () => {
    const published = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const perUser = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pk = { key: published.publicKey, ...rsaParts(published.publicKey) };
    const batch = blindBatch(pk, [msg]);
    // Reduced below the other key's modulus, as a relay signing with it would.
    const m = Buffer.from(batch.blinded[0]!);
    m[0] = 0;
    expect(() => finalizeBlinded(pk, batch, [blindSign(perUser, m)])).toThrow(
      expect.objectContaining({ kind: 'TokenInvalid' }),
    );
    // The published key's own signature of the same batch finalizes.
    expect(finalizeBlinded(pk, batch, [blindSign(published, batch.blinded[0]!)])).toHaveLength(1);
  });
});
