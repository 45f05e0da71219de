// Sends without identity: the ops a connection that never authenticated may use (message.sendSealed,
// message.sendSealedMulti), and deliveryKey.set, with which an account states who may reach it so.
// Abuse control without an account: the recipient's delivery key (consent) and one anonymous token
// per recipient (rate), both checked before anything is stored. docs/PROTOCOL.md, "Sealed sends".
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { isWispError, WispError } from '../common/errors';
import { AccountId, DELIVERY_KEY_CONTEXT, type OpResult, type ParsedOpBody } from '../common/wire';
import type { RelayContext } from './context';
import { storedHash, storedHashes } from './accountIds';
import { coarseDeadline } from '../common/coarseTime';
import { fromB64 } from './identity';
import { splitMessage } from './multiRecipient';
import type { NewEnvelope, QueueCaps, SpentToken } from './storage/types';

/** What a sealed handler needs from its connection: keys for the in-memory limits, nothing else. */
export interface SealedSession {
  readonly connectionKey: string;
  readonly addressKey: string;
}

/** SHA-256(utf8(DELIVERY_KEY_CONTEXT) ‖ key): what the relay stores; clients compute the same. */
export function deliveryKeyHash(key: Uint8Array): Uint8Array {
  return createHash('sha256').update(DELIVERY_KEY_CONTEXT).update(key).digest();
}

function refused(reason: 'deliveryKey' | 'token', message: string, recovery: string): WispError {
  const error = new WispError('Unauthorized', message, { recovery });
  (error as WispError & { reason?: string }).reason = reason;
  return error;
}

const KEY_REFUSED = () =>
  refused(
    'deliveryKey',
    'the recipient takes no sends without identity from this sender (no matching delivery key)',
    'send over the authenticated connection (message.send), or ask the recipient for a fresh key',
  );
export const TOKEN_REFUSED = () =>
  refused('token', 'the send token is invalid or already spent', 'send again with an unspent token');

export function limit(ctx: RelayContext, s: SealedSession, cost: number): void {
  // Per connection and per client address, in memory only: an unauthenticated socket (or many
  // from one address) cannot flood, whatever tokens it holds.
  const rates = ctx.limits.rates;
  for (const [key, spec] of [
    [`sc:${s.connectionKey}`, rates.sealedSendsPerConnection],
    [`sa:${s.addressKey}`, rates.sealedSendsPerAddress],
  ] as const) {
    const wait = ctx.limiter.take(key, spec, cost);
    if (wait > 0) {
      ctx.metrics.rateLimited();
      const err = new WispError('RelayRateLimited', 'too many sends; slow down', {
        recovery: `retry in ${wait} ms`,
      });
      (err as WispError & { retryAfterMs?: number }).retryAfterMs = wait;
      throw err;
    }
  }
}

export function expiry(ctx: RelayContext, requested: number | undefined): number {
  const now = ctx.now();
  const max = now + ctx.limits.maxEnvelopeTtlMs;
  const expiresAt = Math.min(requested ?? max, max);
  if (expiresAt <= now) throw new WispError('InvalidInput', 'expiresAt is already in the past');
  // Whole hours, as for every stored deadline (common/coarseTime.ts): it must not date the send.
  return coarseDeadline(expiresAt);
}

/** Constant-time: does `key` hash to `stored`? A missing hash (no key set, no account) never matches. */
export function keyMatches(stored: Uint8Array | null, key: Uint8Array): boolean {
  const presented = deliveryKeyHash(key);
  // Compared even when nothing is stored, so the answer takes the same time either way.
  const against = stored ?? new Uint8Array(presented.byteLength);
  return (
    against.byteLength === presented.byteLength && timingSafeEqual(against, presented) && stored !== null
  );
}

/**
 * Every token verified (type, challenge, key, signature; none twice): what to record as spent, in
 * the write that stores the envelopes (storage.enqueueSpending: one transaction, one durable commit
 * per send, as for an authenticated send). Null when one is refused: nothing is then written.
 */
export async function verified(ctx: RelayContext, tokens: string[]): Promise<SpentToken[] | null> {
  try {
    return await ctx.tokens.verify(tokens.map((t) => fromB64(t)));
  } catch (error) {
    // A refused token is the sender's problem (its answer says so); anything else is the relay's.
    if (
      isWispError(error, 'TokenInvalid') ||
      isWispError(error, 'TokenSpent') ||
      isWispError(error, 'InvalidInput')
    )
      return null;
    throw error;
  }
}

export const caps = (ctx: RelayContext): QueueCaps => ({
  maxEnvelopes: ctx.limits.maxQueuedEnvelopes,
  maxBytes: ctx.limits.maxQueuedBytes,
});

export const SEALED_HANDLERS = {
  async 'deliveryKey.set'(
    ctx: RelayContext,
    account: { hash: Uint8Array; id: string },
    body: ParsedOpBody<'deliveryKey.set'>,
  ): Promise<OpResult<'deliveryKey.set'>> {
    await ctx.storage.setDeliveryKeyHash(account.hash, fromB64(body.keyHash));
    return {};
  },

  async 'message.sendSealed'(
    ctx: RelayContext,
    s: SealedSession,
    body: ParsedOpBody<'message.sendSealed'>,
  ): Promise<OpResult<'message.sendSealed'>> {
    const payload = fromB64(body.payload);
    if (payload.byteLength > ctx.limits.maxEnvelopeBytes) {
      throw new WispError('PayloadTooLarge', `envelope payload is over ${ctx.limits.maxEnvelopeBytes} bytes`);
    }
    limit(ctx, s, 1);
    const expiresAt = expiry(ctx, body.expiresAt);
    const hash = await storedHash(ctx, body.to, true);
    const [stored] = await ctx.storage.deliveryKeyHashes([hash]);
    // The same refusal for an unknown account, one without a key and a wrong key: a sender without
    // the key learns nothing about the account.
    if (!keyMatches(stored ?? null, fromB64(body.deliveryKey))) throw KEY_REFUSED();
    const spent = await verified(ctx, [body.token]);
    if (!spent) throw TOKEN_REFUSED();
    const id = randomUUID();
    // The token is recorded in the envelope's own write: spent already → nothing stored. Stored
    // or not (a full queue), a token that was good stays spent.
    const { alreadySpent, outcomes } = await ctx.storage.enqueueSpending(
      [{ recipientHash: hash, id, payload, expiresAt }],
      caps(ctx),
      spent,
    );
    if (alreadySpent >= 0) throw TOKEN_REFUSED();
    const outcome = outcomes[0]!;
    ctx.metrics.enqueued([outcome]);
    if (outcome === 'noAccount') throw KEY_REFUSED();
    if (outcome === 'full') {
      throw new WispError('RelayQueueFull', "the recipient's queue is full", {
        recovery: 'retry later, once the recipient has synced',
      });
    }
    return { envelopeId: id as OpResult<'message.send'>['envelopeId'], expiresAt };
  },

  async 'message.sendSealedMulti'(
    ctx: RelayContext,
    s: SealedSession,
    body: ParsedOpBody<'message.sendSealedMulti'>,
  ): Promise<OpResult<'message.sendSealedMulti'>> {
    const payload = fromB64(body.payload);
    if (payload.byteLength > ctx.limits.maxMultiRecipientBytes) {
      throw new WispError(
        'PayloadTooLarge',
        `multi-recipient payload is over ${ctx.limits.maxMultiRecipientBytes} bytes`,
      );
    }
    const byId = new Map(body.recipients.map((r) => [r.to, r]));
    if (byId.size !== body.recipients.length)
      throw new WispError('InvalidInput', 'a recipient appears twice in recipients');
    limit(ctx, s, body.recipients.length);
    const expiresAt = expiry(ctx, body.expiresAt);
    let message: SealedSenderMultiRecipientMessage;
    let inPayload: ReturnType<SealedSenderMultiRecipientMessage['recipientsByServiceIdString']>;
    try {
      message = new SealedSenderMultiRecipientMessage(payload);
      inPayload = message.recipientsByServiceIdString();
    } catch {
      throw new WispError('InvalidInput', 'payload is not a multi-recipient sealed sender message');
    }
    // Exactly the payload's recipients, each named once with its key and token: a token cannot
    // be made to cover an account the payload does not reach, nor a reached account go unpaid.
    const entries = Object.entries(inPayload);
    if (entries.length !== byId.size || entries.some(([serviceId]) => !byId.has(serviceId as never)))
      throw new WispError('InvalidInput', 'recipients must list exactly the accounts in the payload');

    const result: OpResult<'message.sendSealedMulti'> = {
      delivered: [],
      unknownRecipients: [],
      staleRecipients: [],
      fullRecipients: [],
      keyRefused: [],
      tokenRefused: [],
      expiresAt,
    };
    const candidates: { id: AccountId; token: string; recipient: (typeof entries)[number][1] }[] = [];
    const hashes = await storedHashes(
      ctx,
      entries.map(([serviceId]) => serviceId),
      true,
    );
    const hashOf = new Map(entries.map(([serviceId], i) => [serviceId, hashes[i]!]));
    const stored = await ctx.storage.deliveryKeyHashes(hashes);
    entries.forEach(([serviceId, recipient], i) => {
      const r = byId.get(serviceId as never)!;
      if (!keyMatches(stored[i] ?? null, fromB64(r.deliveryKey)) || recipient.deviceIds.indexOf(1) < 0)
        result.keyRefused.push(r.to);
      else candidates.push({ id: r.to, token: r.token, recipient });
    });
    if (candidates.length === 0) return result;
    // Tokens are spent only for recipients whose key matched (a refused one keeps its token), and
    // all together: one bad token refuses them all, and none of them is spent.
    const spent = await verified(
      ctx,
      candidates.map((c) => c.token),
    );
    if (!spent) {
      result.tokenRefused.push(...candidates.map((c) => c.id));
      return result;
    }
    // Split before anything is written: a payload that does not split spends no token.
    // The part all recipients receive is stored once (relay/multiRecipient.ts), as for sendMulti.
    const split = splitMessage(message);
    const planned: { id: AccountId; envelope: NewEnvelope }[] = candidates.map((c) => {
      return {
        id: c.id,
        envelope: {
          recipientHash: hashOf.get(c.id)!,
          id: randomUUID(),
          payload: split.headerFor(c.recipient),
          shared: split.shared,
          expiresAt,
          expectRegistrationId: c.recipient.registrationIds[c.recipient.deviceIds.indexOf(1)],
        },
      };
    });
    // One write: the tokens, then the envelopes; a token found spent there stores nothing.
    const { alreadySpent, outcomes } = await ctx.storage.enqueueSpending(
      planned.map((p) => p.envelope),
      caps(ctx),
      spent,
    );
    if (alreadySpent >= 0) {
      result.tokenRefused.push(...candidates.map((c) => c.id));
      return result;
    }
    ctx.metrics.enqueued(outcomes);
    planned.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome === 'stored') result.delivered.push(p.id);
      else if (outcome === 'stale') result.staleRecipients.push(p.id);
      else if (outcome === 'full') result.fullRecipients.push(p.id);
      else result.unknownRecipients.push(p.id);
    });
    return result;
  },
};
