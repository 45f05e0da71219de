// The one storage interface both backends (SQLite, PostgreSQL) implement. Accounts are keyed by
// an HMAC of their id under a server secret (idHash; AccountKeying), so a copy of the database
// holds no raw account ids except the ones their owners published with a username, and without
// the key not even a known id leads to its rows.

export type StorageKind = 'sqlite' | 'postgres';

export interface AccountRow {
  identityKey: Uint8Array;
  registrationId: number;
  createdOn: string;
  messagesReceived: number;
  username: string | null;
}

/**
 * How the relay hashes account ids (identity.ts AccountHasher, plus the hash relays used before
 * schema version 3), for the upgrade that rekeys stored accounts and the key check at start-up.
 */
export interface AccountKeying {
  hash(accountId: string): Uint8Array;
  legacyHash(accountId: string): Uint8Array;
  keyCheck(): Uint8Array;
}

export interface NewAccount {
  idHash: Uint8Array;
  identityKey: Uint8Array;
  registrationId: number;
  createdOn: string;
}

export interface UsernameEntry {
  accountId: string;
  identityKey: Uint8Array;
  registrationId: number;
}

export interface StoredPreKey {
  keyId: number;
  publicKey: Uint8Array;
  /** Empty for one-time EC prekeys (they are unsigned). */
  signature: Uint8Array;
}

export interface PreKeyUpload {
  signedPreKey?: StoredPreKey;
  lastResortKyberPreKey?: StoredPreKey;
  preKeys?: StoredPreKey[];
  kyberPreKeys?: StoredPreKey[];
}

export interface PreKeyCounts {
  preKeys: number;
  kyberPreKeys: number;
  hasSignedPreKey: boolean;
  hasLastResortKyberPreKey: boolean;
}

export interface TakenBundle {
  signedPreKey: StoredPreKey;
  preKey: StoredPreKey | null;
  kyberPreKey: StoredPreKey;
  kyberPreKeyIsLastResort: boolean;
}

export interface NewEnvelope {
  recipientHash: Uint8Array;
  id: string;
  payload: Uint8Array;
  expiresAt: number;
  /** Registration id the sender encrypted for, when known (multi-recipient); checked against the account. */
  expectRegistrationId?: number;
  /**
   * A multi-recipient send: `payload` is this recipient's own header and the rest, the same for
   * every recipient, is stored once (the envelopes of one enqueue call naming the same object
   * share one copy). The recipient receives payload ‖ shared.bytes, as if stored whole.
   */
  shared?: SharedPayload;
}

/**
 * The part of a multi-recipient payload every recipient receives. Stored once with a count of the
 * envelopes that still refer to it; it goes with the last of them (acknowledged, expired, or its
 * recipient's account deleted). Like the envelopes, it names no sender.
 */
export interface SharedPayload {
  bytes: Uint8Array;
}

/** A taken bundle with what the wire bundle needs from the account row. */
export interface AccountBundle {
  identityKey: Uint8Array;
  registrationId: number;
  bundle: TakenBundle;
}

export type EnqueueOutcome = 'stored' | 'noAccount' | 'full' | 'stale';

export interface QueueCaps {
  maxEnvelopes: number;
  maxBytes: number;
}

export interface QueuedEnvelope {
  seq: number;
  id: string;
  payload: Uint8Array;
  expiresAt: number;
}

export interface AttachmentRow {
  declaredSize: number;
  size: number;
  state: 'pending' | 'uploading' | 'complete';
  expiresAt: number;
}

export interface SpentToken {
  hash: Uint8Array;
  expiresAt: number;
}

export interface StoredTokenKey {
  issueFrom: number;
  issueUntil: number;
  spendUntil: number;
  /** AES-256-GCM nonce ‖ sealed PKCS#8 private key ‖ tag (relay/tokenKeys.ts). */
  sealedKey: Uint8Array;
}

export interface Totals {
  accounts: number;
  queuedEnvelopes: number;
  attachments: number;
}

/** The keys a relay of schema version 1 kept in its database (server_keys), read once on upgrade. */
export interface LegacyServerKeys {
  trustRootPrivate: Uint8Array;
  serverPrivate: Uint8Array;
  serverCertificate: Uint8Array;
}

/**
 * Called during the upgrade that drops server_keys, before the drop commits, with the keys found
 * there (if any); a throw aborts the upgrade and leaves the database as it was.
 */
export type LegacyKeysHandler = (keys: LegacyServerKeys) => void | Promise<void>;

export interface NewAttachment {
  id: string;
  tokenHash: Uint8Array;
  declaredSize: number;
  expiresAt: number;
  /**
   * The uploading account, for its quota; null for one created without identity
   * (relay/sealedAttachments.ts): no account is stored and no quota applies (tokens paid for it).
   */
  ownerHash: Uint8Array | null;
}

/** The per-account attachment storage quota, checked in the same transaction as the insert. */
export interface AttachmentQuota {
  maxBytes: number;
  now: number;
}

export interface RelayStorage {
  readonly kind: StorageKind;
  close(): Promise<void>;

  createAccount(account: NewAccount): Promise<void>;
  getAccount(idHash: Uint8Array): Promise<AccountRow | null>;
  /** Sets (replacing any previous) the account's username; false if another account holds it. */
  setUsername(idHash: Uint8Array, accountId: string, username: string): Promise<boolean>;
  releaseUsername(idHash: Uint8Array): Promise<void>;
  /**
   * Unregisters an account in one transaction: its row, username, prekeys, queued envelopes and
   * the attachments it uploaded (with their chunks). Deleting an unknown account changes nothing.
   */
  deleteAccount(idHash: Uint8Array): Promise<void>;
  lookupUsername(username: string): Promise<UsernameEntry | null>;
  /** One entry per name, in order (directory.lookup). */
  lookupUsernames(usernames: string[]): Promise<(UsernameEntry | null)[]>;

  putPreKeys(idHash: Uint8Array, upload: PreKeyUpload): Promise<void>;
  countPreKeys(idHash: Uint8Array): Promise<PreKeyCounts>;
  /** Atomically consumes one one-time EC and one one-time Kyber prekey (or falls back to last resort). */
  takeBundle(idHash: Uint8Array): Promise<TakenBundle | null>;
  /** takeBundle for many accounts in one transaction, with each account's key and registration id. */
  takeBundles(idHashes: Uint8Array[]): Promise<(AccountBundle | null)[]>;

  /**
   * Stores envelopes in one transaction (committed before this resolves) and bumps the recipients'
   * received counters; one outcome per envelope, in order. Wakes the recipients' connections on
   * every node. Takes nothing about the sender: nothing stored links an envelope to it.
   */
  enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]>;
  /** Envelopes for the recipient after `afterSeq`, oldest first, skipping expired ones. */
  fetchQueued(
    recipientHash: Uint8Array,
    afterSeq: number,
    limit: number,
    now: number,
  ): Promise<QueuedEnvelope[]>;
  ack(recipientHash: Uint8Array, ids: string[]): Promise<number>;
  countQueued(recipientHash: Uint8Array): Promise<number>;

  /**
   * Stores a pending attachment unless the owner's unexpired attachments (declared size until
   * complete, then actual size) plus this one exceed the quota. `usedBytes` is the usage before it.
   * Without an owner it is stored as it is (`usedBytes` 0): the quota is per account.
   */
  createAttachment(
    a: NewAttachment,
    quota: AttachmentQuota,
  ): Promise<{ created: boolean; usedBytes: number }>;
  /** Claims the single-use upload token: true once, for a pending attachment whose token hash matches. */
  claimAttachmentUpload(id: string, tokenHash: Uint8Array, now: number): Promise<AttachmentRow | null>;
  /**
   * Stores one chunk, in the same transaction as a check that its attachment is still uploading
   * and unexpired; false (nothing stored) once the attachment expired or was purged.
   */
  putAttachmentChunk(id: string, index: number, data: Uint8Array, now: number): Promise<boolean>;
  /** Marks an uploading, unexpired attachment complete; false if it expired or was purged meanwhile. */
  completeAttachment(id: string, size: number, now: number): Promise<boolean>;
  deleteAttachment(id: string): Promise<void>;
  getAttachment(id: string, now: number): Promise<AttachmentRow | null>;
  getAttachmentChunk(id: string, index: number): Promise<Uint8Array | null>;

  /** Sets (replacing any previous) the hash of the account's delivery key (relay/sealed.ts). */
  setDeliveryKeyHash(idHash: Uint8Array, keyHash: Uint8Array): Promise<void>;
  /** One entry per account, in order: its delivery key hash, or null (no key set, or no account). */
  deliveryKeyHashes(idHashes: Uint8Array[]): Promise<(Uint8Array | null)[]>;
  /**
   * A send without identity (relay/sealed.ts) in one write: records the tokens spent as
   * spendTokens does and, only if none was spent before, enqueues as enqueue does, in the same
   * transaction and durable commit (a crash loses both or neither). `alreadySpent` is the index of
   * the first token found spent or listed twice (then nothing at all is written and `outcomes` is empty), or -1.
   * Tokens stay spent whatever the envelopes' outcomes (a full queue, no account): the relay did the
   * work, and a full queue must not be probed for free.
   */
  enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }>;
  /**
   * A batch of sends without identity (message.sendSealedBatch) in one write: `tokens[i]` pays for
   * `envelopes[i]` alone. Per item, in order: a token already spent (before, or earlier in this
   * call) gives 'spent' and stores nothing for that item; otherwise the token is recorded spent and
   * the envelope enqueued as enqueue does (its token stays spent whatever the outcome, as in
   * enqueueSpending). One transaction and durable commit for all of it.
   */
  enqueueSpendingEach(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<(EnqueueOutcome | 'spent')[]>;

  /**
   * Records spent tokens (SHA-256 of each token's signed input, kept until `expiresAt`) in one
   * durable transaction, all or none: returns the index of the first one already recorded (nothing
   * is then written), or -1 when all were new. Concurrent calls on any node cannot both win.
   */
  spendTokens(tokens: readonly SpentToken[]): Promise<number>;
  /** The stored token issuer keys (sealed), oldest first. */
  tokenKeys(): Promise<StoredTokenKey[]>;
  /** Stores a token key unless one for its `issueFrom` exists already (another node made it first). */
  addTokenKey(key: StoredTokenKey): Promise<void>;

  /** Deletes expired envelopes and attachments (and spent tokens and token keys past their key's life), and chunks without an attachment; counts the first two. */
  purgeExpired(now: number): Promise<{ envelopes: number; attachments: number }>;
  totals(): Promise<Totals>;

  /** True while some account is still stored under its pre-version-3 (unkeyed) hash. */
  readonly legacyAccountsRemain: boolean;
  /**
   * For accounts a request just named: moves each one still under its legacy hash to its keyed
   * hash (all its rows, one transaction). Accounts already keyed are left alone.
   */
  upgradeLegacyAccounts(accounts: { legacy: Uint8Array; keyed: Uint8Array }[]): Promise<void>;

  /**
   * Registers the callback for wake-ups of a recipient (hex idHash), including from other nodes;
   * null means "wake every connection" (after a lost notification channel came back).
   * `envelope` is given only when the backend guarantees that wakes for one recipient arrive in
   * commit order and none is missed (a single SQLite node): a caught-up connection may then push
   * it without reading it back.
   */
  onWake(callback: (recipientHashHex: string | null, envelope?: QueuedEnvelope) => void): void;
}
