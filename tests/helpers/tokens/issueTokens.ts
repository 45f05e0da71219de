// A test-side Privacy Pass client over a raw WireClient: fetches the key list, blinds, asks
// `tokens.issue` and finalizes with core/tokens/blindRsa.ts, and records what the relay saw.
import { createHash, randomBytes } from 'node:crypto';
import { encodeToken, encodeTokenChallenge, encodeTokenInput } from '../../../common/wire';
import { blindBatch, finalizeBatch, parseTokenKey } from '../../../core/tokens/blindRsa';
import type { WireClient } from '../relay/wireClient';

export interface Issued {
  tokens: Uint8Array[];
  /** The blinded messages exactly as sent to the relay (what it sees at issuance). */
  blinded: Buffer[];
  blindSignatures: Buffer[];
  remainingToday: number;
}

/** The key the relay issues with at `now` (the test's clock). */
export async function issuingKey(client: WireClient, now: number) {
  const list = await client.call('tokens.keys', {});
  const info = list.keys.find((k) => k.issueFrom <= now && now < k.issueUntil);
  if (!info) throw new Error('no issuing key');
  return { key: parseTokenKey(info), issuerName: list.issuerName };
}

export async function issueTokens(client: WireClient, count: number, now = Date.now()): Promise<Issued> {
  const { key, issuerName } = await issuingKey(client, now);
  const digest = createHash('sha256').update(encodeTokenChallenge(issuerName)).digest();
  const inputs = Array.from({ length: count }, () => encodeTokenInput(randomBytes(32), digest, key.id));
  const { blinded, inverses } = blindBatch(key, inputs);
  const result = await client.call('tokens.issue', {
    tokenKeyId: key.id.toString('base64'),
    blindedMessages: blinded.map((b) => b.toString('base64')),
  });
  const blindSignatures = result.blindSignatures.map((s) => Buffer.from(s, 'base64'));
  const auths = finalizeBatch(key, inputs, blindSignatures, inverses);
  return {
    tokens: auths.map((a, i) => encodeToken(inputs[i]!, a)),
    blinded,
    blindSignatures,
    remainingToday: result.remainingToday,
  };
}
