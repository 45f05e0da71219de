// One handler per op of common/wire's op table. Bodies arrive already validated by schema; the
// handlers check what a schema cannot (signatures, ownership, caps, rates) and throw WispError.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { KEMPublicKey, PublicKey } from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { WispError } from '../common/errors';
import {
  AccountId,
  PROTOCOL_VERSION,
  SIGNING_CONTEXT,
  attachmentPath,
  type OpName,
  type OpResult,
  type ParsedOpBody,
} from '../common/wire';
import { coarseDeadline } from '../common/coarseTime';
import { storedHash, storedHashes } from './accountIds';
import type { RateSpec } from './config';
import type { RelayContext } from './context';
import {
  concatBytes,
  fromB64,
  parsePublicKey,
  randomBase64Url,
  sha256,
  toB64,
  verifySignature,
} from './identity';
import { SEALED_HANDLERS } from './sealed';
import { sendSealedBatch } from './sealedBatch';
import { createSealedAttachment } from './sealedAttachments';
import { splitMessage } from './multiRecipient';
import type { NewEnvelope, StoredPreKey } from './storage/types';

/** The per-connection state a handler may read and change. */
export interface SessionState {
  account: {
    id: string;
    hash: Uint8Array;
    identityKey: PublicKey;
    /** Rate-limiter key for this account's sends, built once (it is looked up on every send). */
    sendRateKey: string;
  } | null;
  challenge: { nonce: Buffer; expiresAt: number } | null;
  /** Key for per-connection rate limits. */
  readonly connectionKey: string;
  /**
   * The client's address as a rate-limiter key (IPv4 address, IPv6 /64), for limits that must
   * hold across connections. Only ever in memory: never stored, logged or sent.
   */
  readonly addressKey: string;
  onAuthenticated(): void;
  onAcked(ids: string[]): void;
  onAccountDeleted(): void;
}

type Handler<K extends OpName> = (
  ctx: RelayContext,
  s: SessionState,
  body: ParsedOpBody<K>,
) => Promise<OpResult<K>>;
type HandlerTable = { [K in OpName]: Handler<K> };

const UNAUTHORIZED = 'authentication failed';

function rate(ctx: RelayContext, key: string, spec: RateSpec, cost = 1): void {
  const wait = ctx.limiter.take(key, spec, cost);
  if (wait > 0) {
    ctx.metrics.rateLimited();
    const err = new WispError('RelayRateLimited', 'too many requests; slow down', {
      recovery: `retry in ${wait} ms`,
    });
    (err as WispError & { retryAfterMs?: number }).retryAfterMs = wait;
    throw err;
  }
}

function authed(s: SessionState): NonNullable<SessionState['account']> {
  if (!s.account) throw new WispError('Unauthorized', 'this op needs an authenticated connection');
  return s.account;
}

/** Single use: any presented nonce ends the pending challenge, matched or not, so nothing can be replayed. */
function consumeChallenge(ctx: RelayContext, s: SessionState, nonceB64: string): Buffer {
  const pending = s.challenge;
  s.challenge = null;
  const nonce = Buffer.from(nonceB64, 'base64');
  if (
    !pending ||
    pending.expiresAt <= ctx.now() ||
    nonce.length !== pending.nonce.length ||
    !timingSafeEqual(nonce, pending.nonce)
  ) {
    throw new WispError('Unauthorized', UNAUTHORIZED, {
      recovery: 'request a new auth.challenge and sign it',
    });
  }
  return nonce;
}

/**
 * The stored deadline: the requested one (or the longest allowed), capped, then rounded up to the
 * next whole hour, so it dates neither the send nor, for a receipt, the read (issue 14).
 */
function resolveExpiry(ctx: RelayContext, requested: number | undefined, maxTtl: number): number {
  const now = ctx.now();
  const expiresAt = Math.min(requested ?? now + maxTtl, now + maxTtl);
  if (expiresAt <= now) throw new WispError('InvalidInput', 'expiresAt is already in the past');
  return coarseDeadline(expiresAt);
}

function checkSigned(
  identityKey: PublicKey,
  publicKey: Uint8Array<ArrayBuffer>,
  signature: string,
  what: string,
): void {
  if (!verifySignature(identityKey, publicKey, fromB64(signature))) {
    throw new WispError('InvalidInput', `${what}: signature does not verify with the account's identity key`);
  }
}

function ecKey(b64: string, what: string): Uint8Array<ArrayBuffer> {
  const bytes = fromB64(b64);
  if (!parsePublicKey(bytes)) throw new WispError('InvalidInput', `${what}: not a valid public key`);
  return bytes;
}

function kyberKey(b64: string, what: string): Uint8Array<ArrayBuffer> {
  const bytes = fromB64(b64);
  try {
    KEMPublicKey.deserialize(bytes);
  } catch {
    throw new WispError('InvalidInput', `${what}: not a valid Kyber public key`);
  }
  return bytes;
}

const toWireKey = (k: StoredPreKey) => ({ keyId: k.keyId, publicKey: toB64(k.publicKey) });
const toWireSignedKey = (k: StoredPreKey) => ({ ...toWireKey(k), signature: toB64(k.signature) });

export const HANDLERS: HandlerTable = {
  async 'server.info'(ctx) {
    const l = ctx.limits;
    return {
      protocolVersion: PROTOCOL_VERSION,
      trustRoot: toB64(ctx.authority.trustRoot.serialize()),
      limits: {
        maxEnvelopeBytes: l.maxEnvelopeBytes,
        maxMultiRecipientBytes: l.maxMultiRecipientBytes,
        maxAttachmentBytes: l.maxAttachmentBytes,
        maxEnvelopeTtlMs: l.maxEnvelopeTtlMs,
        maxQueuedEnvelopes: l.maxQueuedEnvelopes,
      },
    };
  },

  async 'auth.challenge'(ctx, s) {
    rate(ctx, `hs:${s.connectionKey}`, ctx.limits.rates.handshakes);
    const nonce = randomBytes(32);
    s.challenge = { nonce, expiresAt: ctx.now() + ctx.limits.challengeTtlMs };
    return { nonce: nonce.toString('base64'), expiresInMs: ctx.limits.challengeTtlMs };
  },

  async register(ctx, s, body) {
    rate(ctx, `hs:${s.connectionKey}`, ctx.limits.rates.handshakes);
    if (s.account) throw new WispError('InvalidInput', 'this connection is already authenticated');
    // Per address, not per connection: a fresh connection for each registration must not reset it.
    rate(ctx, `rg:${s.addressKey}`, ctx.limits.rates.registrations);
    const nonce = consumeChallenge(ctx, s, body.nonce);
    const identityBytes = fromB64(body.identityKey);
    const identityKey = parsePublicKey(identityBytes);
    if (!identityKey) throw new WispError('InvalidInput', 'identityKey is not a valid public key');
    if (
      !verifySignature(identityKey, concatBytes(SIGNING_CONTEXT.register, nonce), fromB64(body.signature))
    ) {
      throw new WispError('Unauthorized', UNAUTHORIZED, {
        recovery: 'sign the challenge with the identity private key',
      });
    }
    const accountId = randomUUID();
    const hash = ctx.accounts.hash(accountId);
    await ctx.storage.createAccount({
      idHash: hash,
      identityKey: identityBytes,
      registrationId: body.registrationId,
      createdOn: new Date(ctx.now()).toISOString().slice(0, 10),
    });
    s.account = { id: accountId, hash, identityKey, sendRateKey: `sd:${accountId}` };
    s.onAuthenticated();
    return { accountId: AccountId.parse(accountId) };
  },

  async auth(ctx, s, body) {
    rate(ctx, `hs:${s.connectionKey}`, ctx.limits.rates.handshakes);
    if (s.account) throw new WispError('InvalidInput', 'this connection is already authenticated');
    const nonce = consumeChallenge(ctx, s, body.nonce);
    const hash = await storedHash(ctx, body.accountId);
    const row = await ctx.storage.getAccount(hash);
    const identityKey = row ? parsePublicKey(new Uint8Array(row.identityKey)) : null;
    const signed = concatBytes(SIGNING_CONTEXT.auth, nonce, body.accountId);
    if (!identityKey || !verifySignature(identityKey, signed, fromB64(body.signature))) {
      throw new WispError('Unauthorized', UNAUTHORIZED, {
        recovery: 'sign a fresh challenge with the identity private key',
      });
    }
    s.account = { id: body.accountId, hash, identityKey, sendRateKey: `sd:${body.accountId}` };
    s.onAuthenticated();
    return { accountId: body.accountId };
  },

  async 'account.info'(ctx, s) {
    const a = authed(s);
    const row = await ctx.storage.getAccount(a.hash);
    if (!row) throw new WispError('NotFound', 'account not found');
    return {
      accountId: AccountId.parse(a.id),
      username: row.username,
      createdOn: row.createdOn,
      messagesReceived: Number(row.messagesReceived),
      queuedEnvelopes: await ctx.storage.countQueued(a.hash),
    };
  },

  async 'username.set'(ctx, s, body) {
    const a = authed(s);
    rate(ctx, `aw:${a.id}`, ctx.limits.rates.accountWrites);
    if (!(await ctx.storage.setUsername(a.hash, a.id, body.username))) {
      throw new WispError('UsernameTaken', 'that username is taken', { recovery: 'choose another username' });
    }
    return { username: body.username };
  },

  async 'username.release'(ctx, s) {
    const a = authed(s);
    rate(ctx, `aw:${a.id}`, ctx.limits.rates.accountWrites);
    await ctx.storage.releaseUsername(a.hash);
    return {};
  },

  async 'account.delete'(ctx, s, body) {
    const a = authed(s);
    rate(ctx, `aw:${a.id}`, ctx.limits.rates.accountWrites);
    if (body.accountId !== a.id) {
      throw new WispError('InvalidInput', 'account.delete names another account than the signed-in one', {
        recovery: 'send the accountId of the account this connection authenticated as',
      });
    }
    await ctx.storage.deleteAccount(a.hash);
    // The connection no longer speaks for anyone: it closes once this answer is out.
    s.onAccountDeleted();
    return {};
  },

  async 'username.lookup'(ctx, s, body) {
    const a = authed(s);
    rate(ctx, `ul:${a.id}`, ctx.limits.rates.usernameLookups);
    const entry = await ctx.storage.lookupUsername(body.username);
    if (!entry) throw new WispError('NotFound', 'no account has that username');
    return {
      accountId: AccountId.parse(entry.accountId),
      identityKey: toB64(entry.identityKey),
      registrationId: entry.registrationId,
    };
  },

  async 'directory.lookup'(ctx, s, body) {
    const a = authed(s);
    const names = body.usernames;
    if (new Set(names).size !== names.length)
      throw new WispError('InvalidInput', 'a username appears twice in the batch');
    // Per name, against its own allowance: a batch is a burst of lookups, not a way around them.
    rate(ctx, `dl:${a.id}`, ctx.limits.rates.directoryBatchLookups, names.length);
    const entries = await ctx.storage.lookupUsernames(names);
    return {
      results: entries.map((entry) =>
        entry
          ? {
              accountId: AccountId.parse(entry.accountId),
              identityKey: toB64(entry.identityKey),
              registrationId: entry.registrationId,
            }
          : null,
      ),
    };
  },

  async 'prekeys.upload'(ctx, s, body) {
    const a = authed(s);
    rate(ctx, `aw:${a.id}`, ctx.limits.rates.accountWrites);
    // Everything is checked before anything is stored: one bad signature rejects the whole upload.
    const signed = (
      k: { keyId: number; publicKey: string; signature: string },
      kind: 'ec' | 'kyber',
      what: string,
    ): StoredPreKey => {
      const publicKey = kind === 'ec' ? ecKey(k.publicKey, what) : kyberKey(k.publicKey, what);
      checkSigned(a.identityKey, publicKey, k.signature, what);
      return { keyId: k.keyId, publicKey, signature: fromB64(k.signature) };
    };
    await ctx.storage.putPreKeys(a.hash, {
      signedPreKey: body.signedPreKey && signed(body.signedPreKey, 'ec', 'signedPreKey'),
      lastResortKyberPreKey:
        body.lastResortKyberPreKey && signed(body.lastResortKyberPreKey, 'kyber', 'lastResortKyberPreKey'),
      preKeys: body.preKeys?.map((k, i) => ({
        keyId: k.keyId,
        publicKey: ecKey(k.publicKey, `preKeys[${i}]`),
        signature: new Uint8Array(0),
      })),
      kyberPreKeys: body.kyberPreKeys?.map((k, i) => signed(k, 'kyber', `kyberPreKeys[${i}]`)),
    });
    return ctx.storage.countPreKeys(a.hash);
  },

  async 'prekeys.count'(ctx, s) {
    return ctx.storage.countPreKeys(authed(s).hash);
  },

  async 'prekeys.bundle'(ctx, s, body) {
    const a = authed(s);
    rate(ctx, `bf:${a.id}`, ctx.limits.rates.bundleFetches);
    rate(ctx, `bt:${body.accountId}`, ctx.limits.rates.bundleFetchesPerTarget);
    const hash = await storedHash(ctx, body.accountId);
    const row = await ctx.storage.getAccount(hash);
    const bundle = row ? await ctx.storage.takeBundle(hash) : null;
    if (!row || !bundle)
      throw new WispError('NotFound', 'no such account, or it has no signed and last-resort prekeys');
    return {
      accountId: body.accountId,
      deviceId: 1 as const,
      registrationId: row.registrationId,
      identityKey: toB64(row.identityKey),
      signedPreKey: toWireSignedKey(bundle.signedPreKey),
      preKey: bundle.preKey && toWireKey(bundle.preKey),
      kyberPreKey: toWireSignedKey(bundle.kyberPreKey),
      kyberPreKeyIsLastResort: bundle.kyberPreKeyIsLastResort,
    };
  },

  async 'prekeys.bundles'(ctx, s, body) {
    const a = authed(s);
    const ids = body.accountIds;
    if (new Set(ids).size !== ids.length)
      throw new WispError('InvalidInput', 'an account id appears twice in the batch');
    rate(ctx, `db:${a.id}`, ctx.limits.rates.directoryBatchBundles, ids.length);
    // Each target's own budget still applies: a batch cannot drain one account's one-time keys.
    for (const id of ids) rate(ctx, `bt:${id}`, ctx.limits.rates.bundleFetchesPerTarget);
    const taken = await ctx.storage.takeBundles(await storedHashes(ctx, ids));
    return {
      results: taken.map((t, i) =>
        t
          ? {
              accountId: ids[i]!,
              deviceId: 1 as const,
              registrationId: t.registrationId,
              identityKey: toB64(t.identityKey),
              signedPreKey: toWireSignedKey(t.bundle.signedPreKey),
              preKey: t.bundle.preKey && toWireKey(t.bundle.preKey),
              kyberPreKey: toWireSignedKey(t.bundle.kyberPreKey),
              kyberPreKeyIsLastResort: t.bundle.kyberPreKeyIsLastResort,
            }
          : null,
      ),
    };
  },

  async 'certificate.sender'(ctx, s) {
    const a = authed(s);
    const expiresAt = ctx.now() + ctx.limits.senderCertificateTtlMs;
    return { certificate: toB64(ctx.authority.issue(a.id, a.identityKey, expiresAt)), expiresAt };
  },

  async 'message.send'(ctx, s, body) {
    const a = authed(s);
    const payload = fromB64(body.payload);
    if (payload.byteLength > ctx.limits.maxEnvelopeBytes) {
      throw new WispError('PayloadTooLarge', `envelope payload is over ${ctx.limits.maxEnvelopeBytes} bytes`);
    }
    rate(ctx, a.sendRateKey, ctx.limits.rates.sends);
    const expiresAt = resolveExpiry(ctx, body.expiresAt, ctx.limits.maxEnvelopeTtlMs);
    const id = randomUUID();
    const [outcome] = await ctx.storage.enqueue(
      [{ recipientHash: await storedHash(ctx, body.to, true), id, payload, expiresAt }],
      queueCaps(ctx),
    );
    ctx.metrics.enqueued([outcome]);
    if (outcome === 'noAccount') throw new WispError('NotFound', 'no such recipient account');
    if (outcome === 'full') {
      throw new WispError('RelayQueueFull', "the recipient's queue is full", {
        recovery: 'retry later, once the recipient has synced',
      });
    }
    return { envelopeId: id as OpResult<'message.send'>['envelopeId'], expiresAt };
  },

  async 'message.sendBatch'(ctx, s, body) {
    const a = authed(s);
    // Everything is checked before anything is stored, as for one message.send each.
    const planned = body.messages.map((m) => {
      const payload = fromB64(m.payload);
      if (payload.byteLength > ctx.limits.maxEnvelopeBytes) {
        throw new WispError(
          'PayloadTooLarge',
          `envelope payload is over ${ctx.limits.maxEnvelopeBytes} bytes`,
        );
      }
      return { payload, expiresAt: resolveExpiry(ctx, m.expiresAt, ctx.limits.maxEnvelopeTtlMs) };
    });
    // A batch the bucket can never hold (more than its burst) would be refused forever: refused as
    // input instead, so the client sends those messages one by one (core/relayClient/sendBatcher.ts).
    if (planned.length > ctx.limits.rates.sends.burst) {
      throw new WispError(
        'InvalidInput',
        `a batch of ${planned.length} is more than this relay's send burst (${ctx.limits.rates.sends.burst})`,
        { recovery: 'send fewer messages at once' },
      );
    }
    rate(ctx, a.sendRateKey, ctx.limits.rates.sends, planned.length);
    const hashes = await storedHashes(
      ctx,
      body.messages.map((m) => m.to),
      true,
    );
    const envelopes: NewEnvelope[] = planned.map((p, i) => ({
      recipientHash: hashes[i]!,
      id: randomUUID(),
      payload: p.payload,
      expiresAt: p.expiresAt,
    }));
    // One write, so one durable commit for the whole batch.
    const outcomes = await ctx.storage.enqueue(envelopes, queueCaps(ctx));
    ctx.metrics.enqueued(outcomes);
    return {
      results: outcomes.map((o, i) =>
        o === 'stored'
          ? {
              envelopeId: envelopes[i]!.id as OpResult<'message.send'>['envelopeId'],
              expiresAt: envelopes[i]!.expiresAt,
            }
          : { refused: o === 'full' ? ('RelayQueueFull' as const) : ('NotFound' as const) },
      ),
    };
  },

  async 'message.sendMulti'(ctx, s, body) {
    const a = authed(s);
    const payload = fromB64(body.payload);
    if (payload.byteLength > ctx.limits.maxMultiRecipientBytes) {
      throw new WispError(
        'PayloadTooLarge',
        `multi-recipient payload is over ${ctx.limits.maxMultiRecipientBytes} bytes`,
      );
    }
    const expiresAt = resolveExpiry(ctx, body.expiresAt, ctx.limits.maxEnvelopeTtlMs);
    let message: SealedSenderMultiRecipientMessage;
    let recipients: ReturnType<SealedSenderMultiRecipientMessage['recipientsByServiceIdString']>;
    try {
      message = new SealedSenderMultiRecipientMessage(payload);
      recipients = message.recipientsByServiceIdString();
    } catch {
      throw new WispError('InvalidInput', 'payload is not a multi-recipient sealed sender message');
    }
    const split = splitMessage(message);
    const unknownRecipients: string[] = [];
    const planned: { accountId: string; envelope: NewEnvelope }[] = [];
    for (const [serviceId, recipient] of Object.entries(recipients)) {
      const parsed = AccountId.safeParse(serviceId);
      const device = recipient.deviceIds.indexOf(1);
      if (!parsed.success || device < 0) {
        unknownRecipients.push(serviceId.slice(0, 64));
        continue;
      }
      planned.push({
        accountId: parsed.data,
        envelope: {
          recipientHash: ctx.accounts.recipient(parsed.data),
          id: randomUUID(),
          // This recipient's header; the part all receive is stored once (relay/multiRecipient.ts).
          payload: split.headerFor(recipient),
          shared: split.shared,
          expiresAt,
          expectRegistrationId: recipient.registrationIds[device],
        },
      });
    }
    rate(ctx, a.sendRateKey, ctx.limits.rates.sends, Math.max(1, planned.length));
    // Recipients still stored under a pre-version-3 hash move to their keyed one first.
    await storedHashes(
      ctx,
      planned.map((p) => p.accountId),
      true,
    );
    const outcomes = await ctx.storage.enqueue(
      planned.map((p) => p.envelope),
      queueCaps(ctx),
    );
    ctx.metrics.enqueued(outcomes);
    const result: OpResult<'message.sendMulti'> = {
      delivered: [],
      unknownRecipients,
      staleRecipients: [],
      fullRecipients: [],
      expiresAt,
    };
    planned.forEach((p, i) => {
      const id = AccountId.parse(p.accountId);
      const outcome = outcomes[i];
      if (outcome === 'stored') result.delivered.push(id);
      else if (outcome === 'stale') result.staleRecipients.push(id);
      else if (outcome === 'full') result.fullRecipients.push(id);
      else result.unknownRecipients.push(p.accountId);
    });
    return result;
  },

  async 'message.ack'(ctx, s, body) {
    const a = authed(s);
    const deleted = await ctx.storage.ack(a.hash, body.ids);
    ctx.metrics.delivered(deleted);
    s.onAcked(body.ids);
    return { deleted };
  },

  async 'attachment.create'(ctx, s, body) {
    const a = authed(s);
    rate(ctx, `at:${a.id}`, ctx.limits.rates.attachments);
    if (body.size > ctx.limits.maxAttachmentBytes) {
      throw new WispError(
        'PayloadTooLarge',
        `attachments are limited to ${ctx.limits.maxAttachmentBytes} bytes`,
      );
    }
    const expiresAt = resolveExpiry(ctx, body.expiresAt, ctx.limits.attachmentRetentionMs);
    const attachmentId = randomBase64Url(32);
    const uploadToken = randomBase64Url(32);
    const quota = ctx.limits.maxAccountAttachmentBytes;
    const { created, usedBytes } = await ctx.storage.createAttachment(
      {
        id: attachmentId,
        tokenHash: sha256(uploadToken),
        declaredSize: body.size,
        expiresAt,
        ownerHash: a.hash,
      },
      { maxBytes: quota, now: ctx.now() },
    );
    if (!created) {
      throw new WispError(
        'PayloadTooLarge',
        `attachment storage quota exceeded: ${usedBytes} of ${quota} bytes are held by unexpired attachments`,
        { recovery: 'send a smaller attachment, or wait until earlier attachments expire' },
      );
    }
    return {
      attachmentId: attachmentId as OpResult<'attachment.create'>['attachmentId'],
      uploadPath: attachmentPath(attachmentId),
      uploadToken,
      expiresAt,
    };
  },

  // Anonymous-send tokens (relay/tokens.ts). The key list is served without authentication so a
  // client can fetch it anonymously and notice a key served to it alone.
  async 'tokens.keys'(ctx) {
    return ctx.tokens.keys();
  },

  async 'tokens.issue'(ctx, s, body) {
    return ctx.tokens.issue(authed(s).id, body);
  },

  // Sends without identity (relay/sealed.ts); session.ts keeps them off authenticated connections.
  async 'deliveryKey.set'(ctx, s, body) {
    const a = authed(s);
    rate(ctx, `aw:${a.id}`, ctx.limits.rates.accountWrites);
    return SEALED_HANDLERS['deliveryKey.set'](ctx, a, body);
  },
  'message.sendSealed': (ctx, s, body) => SEALED_HANDLERS['message.sendSealed'](ctx, s, body),
  'message.sendSealedMulti': (ctx, s, body) => SEALED_HANDLERS['message.sendSealedMulti'](ctx, s, body),
  'message.sendSealedBatch': (ctx, s, body) => sendSealedBatch(ctx, s, body),
  'attachment.createSealed': (ctx, s, body) => createSealedAttachment(ctx, s, body),
};

function queueCaps(ctx: RelayContext) {
  return { maxEnvelopes: ctx.limits.maxQueuedEnvelopes, maxBytes: ctx.limits.maxQueuedBytes };
}
