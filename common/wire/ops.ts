// Every request a client can make over the relay WebSocket, with its body and result schemas.
// The op table is the single source of truth: the relay dispatches on it, the client types its
// calls from it, and docs/PROTOCOL.md describes it op by op.
import { z } from 'zod';
import {
  AccountId,
  AttachmentId,
  DEFAULT_WIRE_LIMITS,
  EcPublicKeyB64,
  EnvelopeId,
  EpochMs,
  KyberPublicKeyB64,
  NonceB64,
  PreKeyId,
  RegistrationId,
  SignatureB64,
  Username,
  base64Bytes,
  base64Exact,
} from './primitives';
import { MAX_TOKEN_BATCH, TOKEN_KEY_ID_BYTES, TOKEN_NK } from './tokens';

const Empty = z.object({}).strict();

// ---- server info & authentication -------------------------------------------------------------

export const ServerInfoResult = z.object({
  protocolVersion: z.number().int(),
  /** The sealed-sender trust root public key (33 bytes, base64); clients pin it on first use. */
  trustRoot: EcPublicKeyB64,
  limits: z.object({
    maxEnvelopeBytes: z.number().int(),
    maxMultiRecipientBytes: z.number().int(),
    maxAttachmentBytes: z.number().int(),
    maxEnvelopeTtlMs: z.number().int(),
    maxQueuedEnvelopes: z.number().int(),
  }),
});

/** A fresh single-use nonce bound to this connection; valid for `expiresInMs`. */
export const ChallengeResult = z.object({ nonce: NonceB64, expiresInMs: z.number().int() });

/** Domain-separation prefixes for what the identity key signs (UTF-8 bytes, then the raw nonce). */
export const SIGNING_CONTEXT = {
  register: 'wisp-relay-register-v1:',
  auth: 'wisp-relay-auth-v1:',
} as const;

export const RegisterBody = z
  .object({
    /** libsignal identity public key, serialised, base64. */
    identityKey: EcPublicKeyB64,
    registrationId: RegistrationId,
    /** The nonce from `auth.challenge` on this connection. */
    nonce: NonceB64,
    /** identityPrivateKey.sign(utf8(SIGNING_CONTEXT.register) ‖ nonce), base64. */
    signature: SignatureB64,
  })
  .strict();
export const RegisterResult = z.object({ accountId: AccountId });

export const AuthBody = z
  .object({
    accountId: AccountId,
    nonce: NonceB64,
    /** identityPrivateKey.sign(utf8(SIGNING_CONTEXT.auth) ‖ nonce ‖ utf8(accountId)), base64. */
    signature: SignatureB64,
  })
  .strict();
export const AuthResult = z.object({ accountId: AccountId });

// ---- accounts & usernames ---------------------------------------------------------------------

export const UsernameSetBody = z.object({ username: Username }).strict();
export const UsernameSetResult = z.object({ username: z.string() });

/**
 * Names the account to delete: it must be the authenticated one, so a stray or mistaken frame on
 * a connection (a client bug, a fuzzer) cannot unregister anyone by itself.
 */
export const AccountDeleteBody = z.object({ accountId: AccountId }).strict();

export const UsernameLookupBody = z.object({ username: Username }).strict();
export const UsernameLookupResult = z.object({
  accountId: AccountId,
  identityKey: EcPublicKeyB64,
  registrationId: RegistrationId,
});

/**
 * Many usernames at once (creating or growing a room). Charged per name against its own allowance
 * (docs/PROTOCOL.md, "Directory batches"); duplicates are refused so a batch cannot be padded.
 */
export const DirectoryLookupBody = z
  .object({ usernames: z.array(Username).min(1).max(DEFAULT_WIRE_LIMITS.maxDirectoryBatch) })
  .strict();
/** One entry per requested name, in order; null where no account holds the name. */
export const DirectoryLookupResult = z.object({ results: z.array(UsernameLookupResult.nullable()) });

/** Everything the relay holds about the calling account (the transparency view of one's own row). */
export const AccountInfoResult = z.object({
  accountId: AccountId,
  username: z.string().nullable(),
  /** Creation date at day precision, YYYY-MM-DD (UTC). */
  createdOn: z.string(),
  /** Envelopes queued for this account since it was created. Nothing counts what it sent. */
  messagesReceived: z.number().int(),
  queuedEnvelopes: z.number().int(),
});

// ---- prekeys ----------------------------------------------------------------------------------

export const SignedEcPreKey = z
  .object({ keyId: PreKeyId, publicKey: EcPublicKeyB64, signature: SignatureB64 })
  .strict();
export const UnsignedEcPreKey = z.object({ keyId: PreKeyId, publicKey: EcPublicKeyB64 }).strict();
export const SignedKyberPreKey = z
  .object({ keyId: PreKeyId, publicKey: KyberPublicKeyB64, signature: SignatureB64 })
  .strict();

/**
 * Any subset of the account's prekeys. Signatures are identityPrivateKey.sign(publicKey.serialize())
 * and are checked against the account's identity key before anything is stored.
 * A new signed prekey or last-resort Kyber key replaces the old one; one-time keys are added
 * (an id already present is replaced).
 */
export const PreKeysUploadBody = z
  .object({
    signedPreKey: SignedEcPreKey.optional(),
    lastResortKyberPreKey: SignedKyberPreKey.optional(),
    preKeys: z.array(UnsignedEcPreKey).max(DEFAULT_WIRE_LIMITS.maxPreKeysPerUpload).optional(),
    kyberPreKeys: z.array(SignedKyberPreKey).max(DEFAULT_WIRE_LIMITS.maxPreKeysPerUpload).optional(),
  })
  .strict();
export const PreKeyCountResult = z.object({
  /** One-time EC prekeys left. */
  preKeys: z.number().int(),
  /** One-time Kyber prekeys left (the last-resort key is not counted). */
  kyberPreKeys: z.number().int(),
  hasSignedPreKey: z.boolean(),
  hasLastResortKyberPreKey: z.boolean(),
});

export const PreKeyBundleBody = z.object({ accountId: AccountId }).strict();
/** Enough to build a libsignal `PreKeyBundle` (device id is always 1). */
export const PreKeyBundleResult = z.object({
  accountId: AccountId,
  deviceId: z.literal(1),
  registrationId: RegistrationId,
  identityKey: EcPublicKeyB64,
  signedPreKey: SignedEcPreKey,
  /** A one-time EC prekey, consumed by this fetch; null when the account has run out. */
  preKey: UnsignedEcPreKey.nullable(),
  /** A one-time Kyber prekey (consumed) or, when none is left, the last-resort one (not consumed). */
  kyberPreKey: SignedKyberPreKey,
  kyberPreKeyIsLastResort: z.boolean(),
});

/**
 * Bundles of many accounts at once (the sessions a new room needs). Each consumes one-time keys
 * like `prekeys.bundle` and is charged per account, against its own allowance and each target's.
 */
export const PreKeyBundlesBody = z
  .object({ accountIds: z.array(AccountId).min(1).max(DEFAULT_WIRE_LIMITS.maxDirectoryBatch) })
  .strict();
/** One entry per requested account, in order; null where there is no such account or it has no keys. */
export const PreKeyBundlesResult = z.object({ results: z.array(PreKeyBundleResult.nullable()) });

// ---- sealed sender ----------------------------------------------------------------------------

/** A short-lived libsignal `SenderCertificate` for the calling account (device 1), base64. */
export const SenderCertificateResult = z.object({
  certificate: base64Bytes(4096),
  expiresAt: EpochMs,
});

// ---- mailbox ----------------------------------------------------------------------------------

export const MessageSendBody = z
  .object({
    /** The only party the relay learns: the recipient account. */
    to: AccountId,
    /** Sealed sender (v1) ciphertext from sealedSenderEncryptMessage, base64. */
    payload: base64Bytes(DEFAULT_WIRE_LIMITS.maxEnvelopeBytes),
    /**
     * When the relay must drop the envelope if still undelivered (ms since epoch). Omitted means
     * the relay's maximum retention. Capped to now + maxEnvelopeTtlMs; refused if already past.
     */
    expiresAt: EpochMs.optional(),
  })
  .strict();
/** Sent only after the envelope is durably committed. */
export const MessageSendResult = z.object({ envelopeId: EnvelopeId, expiresAt: EpochMs });

/**
 * Issue 13: many `message.send` bodies in one request, stored in one durable commit (a room's
 * sender keys, one per member). Each is checked and stored as `message.send` would; the answer
 * has one result per message, in order: its envelope, or why it was not stored.
 */
export const MAX_SEND_BATCH = 500;
export const MessageSendBatchBody = z
  .object({ messages: z.array(MessageSendBody).min(1).max(MAX_SEND_BATCH) })
  .strict();
export const MessageSendBatchResult = z.object({
  results: z.array(
    z.union([MessageSendResult, z.object({ refused: z.enum(['NotFound', 'RelayQueueFull']) })]),
  ),
});

export const MessageSendMultiBody = z
  .object({
    /** Multi-recipient sealed sender (v2) "SentMessage" from sealedSenderMultiRecipientEncrypt, base64. */
    payload: base64Bytes(DEFAULT_WIRE_LIMITS.maxMultiRecipientBytes),
    expiresAt: EpochMs.optional(),
  })
  .strict();
export const MessageSendMultiResult = z.object({
  /** Recipients for whom an envelope was durably stored. */
  delivered: z.array(AccountId),
  /** Service ids in the message that name no account here; nothing was stored for them. */
  unknownRecipients: z.array(z.string()),
  /** Recipients whose registration id in the message does not match the account (stale session). */
  staleRecipients: z.array(AccountId),
  /** Recipients whose queue is at its cap; nothing was stored for them. */
  fullRecipients: z.array(AccountId),
  expiresAt: EpochMs,
});

export const MessageAckBody = z
  .object({ ids: z.array(EnvelopeId).min(1).max(DEFAULT_WIRE_LIMITS.maxAckIds) })
  .strict();
export const MessageAckResult = z.object({ deleted: z.number().int() });

// ---- sealed sends (no sender identity) -------------------------------------------------------

/**
 * Domain separation for a delivery key's hash: the relay stores
 * SHA-256(utf8(DELIVERY_KEY_CONTEXT) ‖ key) per account and sees the key itself only on a send.
 */
export const DELIVERY_KEY_CONTEXT = 'wisp-delivery-key-v1:';
/** A delivery key: 32 random bytes an account gives its contacts inside the encrypted channel. */
export const DeliveryKeyB64 = base64Exact(32);
/** An anonymous rate-limit token (a Privacy Pass token, serialized), spent once per recipient. */
export const SendTokenB64 = base64Bytes(2048, 16);

/** The account's delivery key hash; replaces the previous one (a rotation refuses the old key). */
export const DeliveryKeySetBody = z.object({ keyHash: base64Exact(32) }).strict();

/**
 * A 1:1 sealed envelope over a connection that never authenticated. The relay checks the delivery
 * key against the recipient's stored hash and spends the token; it learns `to` and nothing else.
 */
export const MessageSendSealedBody = MessageSendBody.extend({
  deliveryKey: DeliveryKeyB64,
  token: SendTokenB64,
}).strict();

/**
 * Many 1:1 sealed envelopes over the connection that never authenticated, stored in one durable
 * commit (issue 14). Each item is checked as message.sendSealed checks it (its own recipient, key
 * and token; a token presented twice in one batch is refused the second time); the answer has one
 * result per item, in order: its envelope, or why it was refused — `deliveryKey` and `token`
 * spend no token, `RelayQueueFull` does (as for message.sendSealed). At most the relay's sealed-send
 * burst per connection, and MAX_SEND_BATCH.
 */
export const MessageSendSealedBatchBody = z
  .object({ items: z.array(MessageSendSealedBody).min(1).max(MAX_SEND_BATCH) })
  .strict();
export const MessageSendSealedBatchResult = z.object({
  results: z.array(
    z.union([MessageSendResult, z.object({ refused: z.enum(['deliveryKey', 'token', 'RelayQueueFull']) })]),
  ),
});

/** One recipient of a multi-recipient sealed send: its delivery key and one token for it. */
export const SealedRecipient = z
  .object({ to: AccountId, deliveryKey: DeliveryKeyB64, token: SendTokenB64 })
  .strict();

/**
 * A multi-recipient (SSv2) sealed send without authentication. `recipients` names exactly the
 * accounts in the payload, each with its key and token (one token per recipient).
 */
export const MessageSendSealedMultiBody = MessageSendMultiBody.extend({
  recipients: z
    .array(SealedRecipient)
    .min(1)
    .max(DEFAULT_WIRE_LIMITS.maxDirectoryBatch + 1),
}).strict();
export const MessageSendSealedMultiResult = MessageSendMultiResult.extend({
  /** Wrong or missing delivery key (the account refuses sends from unknown senders); token not spent. */
  keyRefused: z.array(AccountId),
  /**
   * Tokens are spent all together: when one is invalid or already spent, every recipient whose key
   * matched is listed here, none of their tokens is spent and nothing is stored for them.
   */
  tokenRefused: z.array(AccountId),
});

// ---- attachments ------------------------------------------------------------------------------

export const AttachmentCreateBody = z
  .object({
    /** Declared size of the encrypted blob; the upload is refused past it and past the relay cap. */
    size: z.number().int().min(1),
    /** When the relay deletes the blob; omitted or later than the retention period means that period. */
    expiresAt: EpochMs.optional(),
  })
  .strict();
export const AttachmentCreateResult = z.object({
  attachmentId: AttachmentId,
  /** Path relative to the relay's HTTP base URL: PUT the bytes here. */
  uploadPath: z.string(),
  /** Single-use bearer token for the PUT (`authorization: Bearer <token>`). */
  uploadToken: z.string(),
  expiresAt: EpochMs,
});

/** Bytes one token pays for in `attachment.createSealed`: one token per started MiB. */
export const ATTACHMENT_BYTES_PER_TOKEN = 1024 * 1024;
/** Tokens `attachment.createSealed` costs for a blob of `size` bytes (docs/PROTOCOL.md). */
export const attachmentTokenCost = (size: number): number => Math.ceil(size / ATTACHMENT_BYTES_PER_TOKEN);

/**
 * `attachment.create` over a connection that never authenticated: no account is stored with the
 * attachment, and it is paid with exactly attachmentTokenCost(size) tokens (none spent on refusal).
 */
export const AttachmentCreateSealedBody = AttachmentCreateBody.extend({
  tokens: z.array(SendTokenB64).min(1).max(1000),
}).strict();

// ---- anonymous-send tokens (Privacy Pass, docs/PROTOCOL.md "Tokens") ---------------------------

/** One of the relay's token issuer keys. */
export const TokenKeyInfo = z.object({
  /** SHA-256 of `publicKey` (RFC 9578 token_key_id). */
  tokenKeyId: base64Exact(TOKEN_KEY_ID_BYTES),
  /** DER SubjectPublicKeyInfo with the id-RSASSA-PSS algorithm (SHA-384, MGF1-SHA-384, salt 48). */
  publicKey: base64Bytes(600),
  /** The relay signs with this key from `issueFrom` until `issueUntil`. */
  issueFrom: EpochMs,
  issueUntil: EpochMs,
  /** Tokens of this key are accepted until then (the overlap after issueUntil). */
  spendUntil: EpochMs,
});
/** Served on any connection, authenticated or not: clients fetch it anonymously (no per-user keys). */
export const TokensKeysResult = z.object({
  tokenType: z.literal(2),
  /** The issuer name in the fixed TokenChallenge every token of this relay is bound to. */
  issuerName: z.string().min(1).max(255),
  keys: z.array(TokenKeyInfo).max(64),
});

export const TokensIssueBody = z
  .object({
    /** The issuing key's id, as the client read it from `tokens.keys`. */
    tokenKeyId: base64Exact(TOKEN_KEY_ID_BYTES),
    /** RFC 9474 blinded messages, Nk bytes each. */
    blindedMessages: z.array(base64Exact(TOKEN_NK)).min(1).max(MAX_TOKEN_BATCH),
  })
  .strict();
export const TokensIssueResult = z.object({
  /**
   * One blind signature per blinded message, in order; fewer (the first ones) when the account's
   * daily allowance had less left than asked for.
   */
  blindSignatures: z.array(base64Exact(TOKEN_NK)).max(MAX_TOKEN_BATCH),
  /** Tokens this account may still be issued today (UTC) on this relay node. */
  remainingToday: z.number().int().min(0),
});

// ---- the op table -----------------------------------------------------------------------------

export const OPS = {
  'server.info': { body: Empty, result: ServerInfoResult, auth: false },
  'auth.challenge': { body: Empty, result: ChallengeResult, auth: false },
  register: { body: RegisterBody, result: RegisterResult, auth: false },
  auth: { body: AuthBody, result: AuthResult, auth: false },
  'account.info': { body: Empty, result: AccountInfoResult, auth: true },
  'username.set': { body: UsernameSetBody, result: UsernameSetResult, auth: true },
  'username.release': { body: Empty, result: Empty, auth: true },
  /** Unregisters the authenticated account: its row, username, prekeys, queue and attachments go. */
  'account.delete': { body: AccountDeleteBody, result: Empty, auth: true },
  'username.lookup': { body: UsernameLookupBody, result: UsernameLookupResult, auth: true },
  'directory.lookup': { body: DirectoryLookupBody, result: DirectoryLookupResult, auth: true },
  'prekeys.upload': { body: PreKeysUploadBody, result: PreKeyCountResult, auth: true },
  'prekeys.count': { body: Empty, result: PreKeyCountResult, auth: true },
  'prekeys.bundle': { body: PreKeyBundleBody, result: PreKeyBundleResult, auth: true },
  'prekeys.bundles': { body: PreKeyBundlesBody, result: PreKeyBundlesResult, auth: true },
  'certificate.sender': { body: Empty, result: SenderCertificateResult, auth: true },
  'message.send': { body: MessageSendBody, result: MessageSendResult, auth: true },
  'message.sendMulti': { body: MessageSendMultiBody, result: MessageSendMultiResult, auth: true },
  'message.sendBatch': { body: MessageSendBatchBody, result: MessageSendBatchResult, auth: true },
  'message.ack': { body: MessageAckBody, result: MessageAckResult, auth: true },
  'attachment.create': { body: AttachmentCreateBody, result: AttachmentCreateResult, auth: true },
  'tokens.keys': { body: Empty, result: TokensKeysResult, auth: false },
  'tokens.issue': { body: TokensIssueBody, result: TokensIssueResult, auth: true },
  'deliveryKey.set': { body: DeliveryKeySetBody, result: Empty, auth: true },
  // `sealed`: only on a connection that never authenticated, and such a connection can never
  // authenticate afterwards (relay/session.ts), so the two kinds of traffic never share a socket.
  'message.sendSealed': {
    body: MessageSendSealedBody,
    result: MessageSendResult,
    auth: false,
    sealed: true,
  },
  'message.sendSealedMulti': {
    body: MessageSendSealedMultiBody,
    result: MessageSendSealedMultiResult,
    auth: false,
    sealed: true,
  },
  'message.sendSealedBatch': {
    body: MessageSendSealedBatchBody,
    result: MessageSendSealedBatchResult,
    auth: false,
    sealed: true,
  },
  'attachment.createSealed': {
    body: AttachmentCreateSealedBody,
    result: AttachmentCreateResult,
    auth: false,
    sealed: true,
  },
} as const;

export type OpName = keyof typeof OPS;
export const OP_NAMES = Object.keys(OPS) as OpName[];
/** What a client passes (input side: usernames may be mixed case). */
export type OpBody<K extends OpName> = z.input<(typeof OPS)[K]['body']>;
/** What the relay works with after validation. */
export type ParsedOpBody<K extends OpName> = z.output<(typeof OPS)[K]['body']>;
export type OpResult<K extends OpName> = z.infer<(typeof OPS)[K]['result']>;
