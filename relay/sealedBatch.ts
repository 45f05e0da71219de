// message.sendSealedBatch: many 1:1 sends without identity in one request and one durable commit,
// each item checked as message.sendSealed checks it (its recipient's delivery key, its own token)
// and answered on its own, so one refused item does not sink the others. docs/PROTOCOL.md.
import { randomUUID } from 'node:crypto';
import { WispError } from '../common/errors';
import type { OpResult, ParsedOpBody } from '../common/wire';
import type { RelayContext } from './context';
import { storedHashes } from './accountIds';
import { fromB64 } from './identity';
import { caps, expiry, keyMatches, limit, type SealedSession } from './sealed';
import type { NewEnvelope, SpentToken } from './storage/types';

type Result = OpResult<'message.sendSealedBatch'>['results'][number];

export async function sendSealedBatch(
  ctx: RelayContext,
  s: SealedSession,
  body: ParsedOpBody<'message.sendSealedBatch'>,
): Promise<OpResult<'message.sendSealedBatch'>> {
  const items = body.items;
  // What refuses the whole request is checked before anything else, as for message.sendBatch: an
  // oversized payload or a deadline already past (nothing stored, no token spent, nothing charged).
  const planned = items.map((m) => {
    const payload = fromB64(m.payload);
    if (payload.byteLength > ctx.limits.maxEnvelopeBytes)
      throw new WispError('PayloadTooLarge', `envelope payload is over ${ctx.limits.maxEnvelopeBytes} bytes`);
    return { payload, expiresAt: expiry(ctx, m.expiresAt) };
  });
  // A batch larger than the sealed-send buckets' burst could never be admitted: refused as input
  // before the buckets are charged, so the client sends those items one by one.
  const { sealedSendsPerConnection: perConnection, sealedSendsPerAddress: perAddress } = ctx.limits.rates;
  const burst = Math.min(perConnection.burst, perAddress.burst);
  if (items.length > burst) {
    throw new WispError(
      'InvalidInput',
      `a batch of ${items.length} is more than this relay's sealed-send burst (${burst})`,
      {
        recovery: 'send fewer messages at once',
      },
    );
  }
  limit(ctx, s, items.length);

  const results: (Result | undefined)[] = new Array<Result | undefined>(items.length);
  const hashes = await storedHashes(
    ctx,
    items.map((m) => m.to),
    true,
  );
  const stored = await ctx.storage.deliveryKeyHashes(hashes);
  // The delivery key first: an item refused for it keeps its token unspent (as message.sendSealed).
  const keyed: number[] = [];
  items.forEach((m, i) => {
    if (keyMatches(stored[i] ?? null, fromB64(m.deliveryKey))) keyed.push(i);
    else results[i] = { refused: 'deliveryKey' };
  });
  const verified =
    keyed.length > 0 ? await ctx.tokens.verifyEach(keyed.map((i) => fromB64(items[i]!.token))) : [];
  const paid: { index: number; token: SpentToken; envelope: NewEnvelope }[] = [];
  keyed.forEach((index, k) => {
    const token = verified[k];
    if (!token) {
      results[index] = { refused: 'token' };
      return;
    }
    paid.push({
      index,
      token,
      envelope: { recipientHash: hashes[index]!, id: randomUUID(), ...planned[index]! },
    });
  });
  if (paid.length > 0) {
    // One write: each token recorded spent with its own envelope; a token spent before (or
    // presented twice in this batch: the second use) refuses its item alone and stores nothing.
    const outcomes = await ctx.storage.enqueueSpendingEach(
      paid.map((p) => p.envelope),
      caps(ctx),
      paid.map((p) => p.token),
    );
    ctx.metrics.enqueued(outcomes);
    paid.forEach((p, k) => {
      const outcome = outcomes[k];
      results[p.index] =
        outcome === 'stored'
          ? {
              envelopeId: p.envelope.id as OpResult<'message.send'>['envelopeId'],
              expiresAt: p.envelope.expiresAt,
            }
          : outcome === 'spent'
            ? { refused: 'token' }
            : outcome === 'full'
              ? { refused: 'RelayQueueFull' }
              : // An account gone since the key check: the same answer as a missing key.
                { refused: 'deliveryKey' };
    });
  }
  return { results: results.map((r) => r ?? { refused: 'token' }) };
}

/**
 * Whether a sealed op's answer spent a token (relay/session.ts: only then may its connection stay
 * open unauthenticated). A refused key or token spends none; a full queue or a recipient gone
 * after the check spends it.
 */
export function spentAToken(result: unknown): boolean {
  if (typeof result !== 'object' || result === null) return false;
  const r = result as Record<string, unknown>;
  if ('envelopeId' in r) return true; // message.sendSealed
  if (Array.isArray(r.results))
    return (r.results as { refused?: string }[]).some(
      (x) => x.refused === undefined || x.refused === 'RelayQueueFull',
    );
  // message.sendSealedMulti
  return ['delivered', 'fullRecipients', 'staleRecipients', 'unknownRecipients'].some(
    (k) => Array.isArray(r[k]) && r[k].length > 0,
  );
}
