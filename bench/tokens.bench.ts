// Anonymous-send tokens: what a client pays to be issued a day's allowance (blind, finalize and
// verify every token: core/tokens/blindRsa.ts, in the wallet's batches of 500, the relay's blind
// signatures made in-process beforehand and not timed), next to the floor measured in the same
// run (one native RSA-PSS verification per token, which finalizing must do anyway) and the same
// count of Ed25519 verifications; and the relay's blind-signing rate with node:crypto's native RSA
// next to plain RSA-PSS signing and a pure-JS BigInt exponentiation.
// Run: npx tsx bench/tokens.bench.ts     Target: a day's allowance issued in < 100 ms on the client.
import { constants, createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  encodeTokenChallenge,
  encodeTokenInput,
  MAX_TOKEN_BATCH,
  TOKEN_PSS_SALT_BYTES,
} from '../common/wire';
import { blindBatch, finalizeBatch, rsaParts, toBig, toBytes } from '../core/tokens/blindRsa';
import { DEFAULT_LIMITS } from '../relay/config';
import { blindSign } from '../relay/tokens';
import { quantile, resultLine } from './lib';

const TARGET_MS = 100;
const ROUNDS = 3;
const ALLOWANCE = DEFAULT_LIMITS.tokensPerDay;
const line = resultLine('tokens');
const round = (n: number): number => Math.round(n * 100) / 100;

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pk = { key: publicKey, ...rsaParts(publicKey) };
const digest = createHash('sha256').update(encodeTokenChallenge('wisp-relay')).digest();
const keyId = randomBytes(32);

/** Client CPU for `count` tokens: blind + finalize (with its PSS verification), relay signing excluded. */
function clientIssuance(count: number): number {
  let clientMs = 0;
  for (let done = 0; done < count; done += MAX_TOKEN_BATCH) {
    const size = Math.min(MAX_TOKEN_BATCH, count - done);
    const inputs = Array.from({ length: size }, () => encodeTokenInput(randomBytes(32), digest, keyId));
    let t = performance.now();
    const { blinded, inverses } = blindBatch(pk, inputs);
    clientMs += performance.now() - t;
    const sigs = blinded.map((b) => blindSign({ privateKey, publicKey }, b));
    t = performance.now();
    finalizeBatch(pk, inputs, sigs, inverses);
    clientMs += performance.now() - t;
  }
  return clientMs;
}

function pssVerifications(count: number): number {
  const msg = randomBytes(98);
  const opts = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: TOKEN_PSS_SALT_BYTES };
  const sig = sign('sha384', msg, {
    key: privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 48,
  });
  const t = performance.now();
  for (let i = 0; i < count; i++) verify('sha384', msg, opts, sig);
  return performance.now() - t;
}

function ed25519Verifications(count: number): number {
  const k = generateKeyPairSync('ed25519');
  const msg = randomBytes(98);
  const sig = sign(null, msg, k.privateKey);
  const t = performance.now();
  for (let i = 0; i < count; i++) verify(null, msg, k.publicKey, sig);
  return performance.now() - t;
}

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

// Warm up the JIT and OpenSSL's key caches.
clientIssuance(100);
pssVerifications(100);

const client: number[] = [];
const floor: number[] = [];
const ed: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  client.push(clientIssuance(ALLOWANCE));
  floor.push(pssVerifications(ALLOWANCE));
  ed.push(ed25519Verifications(ALLOWANCE));
}
const dayMs = median(client);
const perToken = dayMs / ALLOWANCE;
line({
  metric: `client issuance of a day's allowance (${ALLOWANCE} tokens: blind + finalize + verify; median of ${ROUNDS})`,
  value: round(dayMs),
  unit: 'ms',
  baseline: round(median(floor)),
  baselineIs: `${ALLOWANCE} native RSA-PSS verifications (node:crypto), the floor`,
  ratio: round(dayMs / median(floor)),
  ed25519VerifyMs: round(median(ed)),
  perTokenUs: round(perToken * 1000),
  tokensWithinTarget: Math.floor(TARGET_MS / perToken),
  target: `< ${TARGET_MS} ms`,
  pass: dayMs < TARGET_MS,
  rounds: client.map(round),
});
const batch: number[] = [];
for (let r = 0; r < ROUNDS; r++) batch.push(clientIssuance(MAX_TOKEN_BATCH));
line({
  metric: `client cost of one refill batch (${MAX_TOKEN_BATCH} tokens)`,
  value: round(median(batch)),
  unit: 'ms',
  baseline: round(median(floor) * (MAX_TOKEN_BATCH / ALLOWANCE)),
  baselineIs: `${MAX_TOKEN_BATCH} native RSA-PSS verifications (scaled from the floor above)`,
  ratio: round(median(batch) / (median(floor) * (MAX_TOKEN_BATCH / ALLOWANCE))),
  target: `< ${TARGET_MS} ms (informational)`,
  pass: median(batch) < TARGET_MS,
});

// Relay side: blind signatures per second (native m^d mod n with its fault check).
const SIGNS = 1000;
const blinded = blindBatch(
  pk,
  Array.from({ length: SIGNS }, () => encodeTokenInput(randomBytes(32), digest, keyId)),
).blinded;
let t = performance.now();
for (const b of blinded) blindSign({ privateKey, publicKey }, b);
const signMs = performance.now() - t;
const msg = randomBytes(98);
t = performance.now();
for (let i = 0; i < SIGNS; i++)
  sign('sha384', msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
const pssSignMs = performance.now() - t;
// The same m^d mod n in pure-JS BigInt (square-and-multiply), what a BigInt signer would pay.
const d = toBig(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'));
const BIGINT_SIGNS = 5;
t = performance.now();
for (let i = 0; i < BIGINT_SIGNS; i++) {
  let base = toBig(blinded[i]!);
  let e = d;
  let acc = 1n;
  while (e > 0n) {
    if (e & 1n) acc = (acc * base) % pk.n;
    base = (base * base) % pk.n;
    e >>= 1n;
  }
  toBytes(acc, pk.size);
}
const bigintPerSign = (performance.now() - t) / BIGINT_SIGNS;
// Relay side: verifying spent tokens (what a send to a full room costs: one per recipient).
const inputs = Array.from({ length: SIGNS }, () => encodeTokenInput(randomBytes(32), digest, keyId));
const forSpend = blindBatch(pk, inputs);
const auths = finalizeBatch(
  pk,
  inputs,
  forSpend.blinded.map((b) => blindSign({ privateKey, publicKey }, b)),
  forSpend.inverses,
);
const verifyOpts = {
  key: publicKey,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: TOKEN_PSS_SALT_BYTES,
};
t = performance.now();
for (let i = 0; i < SIGNS; i++) verify('sha384', inputs[i]!, verifyOpts, auths[i]!);
const spendVerifyMs = performance.now() - t;
line({
  metric: 'relay token verification rate at spending (native RSA-PSS)',
  value: Math.round(SIGNS / (spendVerifyMs / 1000)),
  unit: 'tokens/s',
  baseline: Math.round(SIGNS / (ed25519Verifications(SIGNS) / 1000)),
  baselineIs: 'Ed25519 verifications/s (node:crypto)',
  ratio: null,
  fullRoomSendMs: round((spendVerifyMs / SIGNS) * 499),
  target: 'informational',
  pass: true,
});

line({
  metric: 'relay blind-signing rate (node:crypto RSA without padding + fault check)',
  value: Math.round(SIGNS / (signMs / 1000)),
  unit: 'tokens/s',
  baseline: Math.round(SIGNS / (pssSignMs / 1000)),
  baselineIs: 'RSA-2048 PSS signatures/s (node:crypto sign)',
  ratio: round(signMs > 0 ? pssSignMs / signMs : 0),
  pureJsBigIntPerSec: round(1000 / bigintPerSign),
  target: 'informational',
  pass: true,
});
