// The messaging engine: one profile, one relay. Sends through a persisted outbox, receives
// envelope → decrypt → commit → ack, keeps every message's deadlines in the store and the one
// BurnScheduler, and emits events. main/, the CLI and the test harness all drive this class.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Fingerprint, IdentityKeyPair, PublicKey, type SenderCertificate } from '@signalapp/libsignal-client';
import type {
  ContactView,
  ConversationTimers,
  ConversationView,
  EngineEvent,
  EngineListener,
  MessageView,
  ReceiptSettings,
  RoomRequestView,
  SafetyNumberView,
} from '../../common/engine';
import { decodeContent, encodeContent, type AttachmentPointer, type Content } from '../../common/content';
import { WispError, isWispError } from '../../common/errors';
import { expiresAtFor, validateTimers } from '../../common/timers';
import type { DeliveredEnvelope } from '../../common/wire';
import { loggerFor } from '../log';
import {
  ATTACHMENTS_DIR,
  DATABASE_FILE,
  METADATA_FILE,
  createProfile,
  openProfile,
  type Profile,
} from '../profile';
import { signalStoresFor } from '../signal';
import { sql, type Message, type Store } from '../store';
import type { EncryptedFile } from '../store/attachmentFiles';
import {
  RelayClient,
  accountMovedError,
  httpBaseUrl,
  type RelayConnectionState,
} from '../relayClient/relayClient';
import { exportBackup, type ExportResult } from '../backup';
import { BurnScheduler } from './burnScheduler';
import { takeReset } from './resetBudget';
import { BufferedSignalStores } from './bufferedStores';
import {
  DEVICE_ID,
  InnerDecryptionError,
  addressOf,
  b64,
  fromB64,
  newIdentity,
  newRegistrationId,
  parseSenderCertificate,
  processDistribution,
  unseal,
  SenderCertificateChecker,
  type SignalStores,
} from './signalCrypto';
import {
  contactView,
  conversationView,
  messageState,
  messageView,
  roomRequestView,
  type NameBook,
} from './views';
import { IdentityGuard, UUID_RE } from './identityGuard';
import { directConversation, roomIdRefusal } from './roomIntake';
import { timerNotice } from './notices';
import { refillPreKeys, uploadPreKeys, type PreKeyDeps } from './prekeys';
import { ensureSession, ensureSessions, type SessionDeps } from './sessions';
import { destroyDue, destroyOverdue, startEphemeral, type EphemeralDeps } from './ephemeral';
import { ROOM_KEY, Rooms, type RoomState } from './rooms';
import { attachmentRow, downloadAttachment, uploadAttachment } from './attachments';
import { newContentId, uuidBytes } from './ids';
import { EngineQueries } from './queries';
import { ContentIntake, RECEIPTS_KEY } from './contentIntake';
import { Outbox } from './outbox';
import { DeliveryKeys, rotateDeliveryKey } from './deliveryKeys';
import { SealedRoute, type RouteCounts, type TokenSource } from './sealedRoute';
import { SealedConnection } from '../relayClient/sealedConnection';
import { anonymousKeySource, createTokenWallet } from '../tokens';
import type {
  Clock,
  EngineApi,
  EngineCreateOptions,
  EngineExportOptions,
  EngineOpenOptions,
  SendOptions,
  SyncOptions,
} from './index';

const log = loggerFor('engine');

/** One-time prekeys uploaded at a time, and the count below which we refill. */
const SAFETY_NUMBER_ITERATIONS = 5200;
/** Matches the content schema's text limit (common/content). */
const MAX_TEXT_CHARS = 64 * 1024;
/**
 * Envelopes committed together at most (small enough that a long backlog shows progress).
 * bench/store.bench.ts ingests in batches of the same size.
 */
export const INBOX_BATCH = 32;

export class Engine implements EngineApi {
  readonly accountId: string;
  private usernameValue: string | null;
  private readonly identityKeyPair: IdentityKeyPair;
  private readonly certificates: SenderCertificateChecker;
  private readonly relayUrl: string;
  private readonly signal: SignalStores;
  private readonly scheduler: BurnScheduler;
  private readonly listeners = new Set<EngineListener>();
  private relay: RelayClient | null = null;
  private relayMode: 'command' | 'live' = 'command';
  private certificate: { cert: SenderCertificate; expiresAt: number } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private queueEmptyWaiters: (() => void)[] = [];
  /** Set once the relay moved the account to a newer device: every later call fails with it. */
  private movedAway: WispError | null = null;
  private queueEmptySeen = false;
  private closed = false;
  private readonly inboxQueue: DeliveredEnvelope[] = [];
  private readonly pendingAcks = new Set<Promise<void>>();
  /** A manual BEGIN…COMMIT (inTransaction) is open. */
  private txOpen = false;
  private readonly commitQueue: {
    run: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private inboxDrain: Promise<void> | null = null;
  /** Envelopes pushed so far, and those of them already committed (the queue is drained in order). */
  private envelopesQueued = 0;
  private envelopesDrained = 0;
  /**
   * Envelope ids the relay confirmed deleting, with how many envelopes had been pushed at that
   * moment. Every copy of them that will ever arrive had arrived by then (the relay deleted them,
   * and a connection delivers in order), so once the drain has passed that count their inbox
   * marks are forgotten, inside the next inbox commit (no commit of their own).
   */
  private confirmedAcks: { ids: string[]; horizon: number }[] = [];
  /** Who a name or account id reaches, and the identity-change gate on sending. */
  private readonly guard: IdentityGuard;
  /** Room operations (rooms.ts). */
  private readonly rooms: Rooms;
  /** Applying decrypted content inside the inbox transaction (contentIntake.ts). */
  private readonly intake: ContentIntake;
  /** The send pipeline: the persisted outbox encrypted, sent and committed in batches (outbox.ts). */
  private readonly outbox: Outbox;
  /** Sends without identity: consent keys, the second connection, the route per envelope. */
  private readonly deliveryKeys = new DeliveryKeys(() => this.store);
  private readonly sealedConnection = new SealedConnection(() => this.relayClient().transportOptions());
  private tokenSource: TokenSource | null = null;
  private readonly route = new SealedRoute({
    deliveryKeys: this.deliveryKeys,
    tokens: () => this.tokenSource,
    relayClient: () => this.relayClient(),
    sealedRelay: () => this.sealedConnection.relay(),
  });

  private constructor(
    private readonly profile: Profile,
    private readonly clock: Clock,
    relayUrl?: string,
  ) {
    const identity = this.store.identity.require();
    this.accountId = identity.accountId;
    this.usernameValue = identity.username;
    this.identityKeyPair = IdentityKeyPair.deserialize(new Uint8Array(identity.identityKeyPair));
    if (identity.trustRoot === null)
      throw new WispError('DatabaseCorrupt', 'the profile has no pinned relay trust root');
    this.certificates = new SenderCertificateChecker(
      PublicKey.deserialize(new Uint8Array(identity.trustRoot)),
    );
    this.relayUrl = relayUrl ?? identity.relayUrl;
    // Tokens are issued over the account connection, keys fetched on a connection of their own.
    this.tokenSource = createTokenWallet(
      this.store,
      { request: (op, body) => this.relayClient().request(op, body) },
      // Keys on a connection of their own, with the account connection's transport (a proxy).
      () => anonymousKeySource(this.relayUrl, this.relayClient().transportOptions())(),
    );
    this.signal = signalStoresFor(this.store);
    this.scheduler = new BurnScheduler({ now: clock, onDue: (ids) => this.destroyDue(ids) });
    this.guard = new IdentityGuard({
      store: this.store,
      selfId: this.accountId,
      clock,
      lookup: async (username) => {
        const found = await this.relayClient().request('username.lookup', { username });
        return { accountId: found.accountId, identityKey: Buffer.from(found.identityKey, 'base64') };
      },
      lookupMany: async (usernames) => {
        const { results } = await this.relayClient().request('directory.lookup', { usernames });
        return results.map(
          (r) => r && { accountId: r.accountId, identityKey: Buffer.from(r.identityKey, 'base64') },
        );
      },
      emit: (event) => this.emit(event),
    });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the deps read live engine state
    const engine = this;
    this.rooms = new Rooms({
      get store() {
        return engine.store;
      },
      accountId: this.accountId,
      get usernameValue() {
        return engine.usernameValue;
      },
      guard: this.guard,
      clock: () => this.clock(),
      serial: (fn) => this.serial(fn),
      assertOpen: () => this.assertOpen(),
      peersOf: (id) => this.peersOf(id),
      isMember: (roomId, accountId) => this.intake.isMember(roomId, accountId),
      encode: (content) => this.encode(content),
      enqueueDirect: (to, content, messageId) => this.enqueueDirect(to, content, messageId),
      ensureSessions: (ids) => this.ensureSessions(ids),
      tryFlush: () => this.outbox.tryFlush(),
      emit: (event) => this.emit(event),
      conversationViewOf: (id) => this.conversationViewOf(id),
      roomState: (id) => this.roomState(id),
      ensureRoomState: (id) => this.ensureRoomState(id),
      rotateSenderKey: (id) => this.rotateSenderKey(id),
    });
    this.outbox = new Outbox({
      get store() {
        return engine.store;
      },
      signal: this.signal,
      accountId: this.accountId,
      get book() {
        return engine.book;
      },
      clock: () => this.clock(),
      serial: (fn) => this.serial(fn),
      inTransaction: (fn) => this.inTransaction(fn),
      relayClient: () => this.relayClient(),
      senderCertificate: () => this.senderCertificate(),
      ensureSession: (id) => this.ensureSession(id),
      peersOf: (id) => this.peersOf(id),
      roomState: (id) => this.roomState(id),
      ensureRoomState: (id) => this.ensureRoomState(id),
      encode: (content) => this.encode(content),
      emit: (event) => this.emit(event),
      relayMode: () => this.relayMode,
      isClosed: () => this.closed,
      deliveryKeys: this.deliveryKeys,
      route: this.route,
    });
    this.intake = new ContentIntake({
      get store() {
        return engine.store;
      },
      accountId: this.accountId,
      get book() {
        return engine.book;
      },
      scheduler: this.scheduler,
      deliveryKeys: this.deliveryKeys,
      relayMode: () => this.relayMode,
      emit: (event) => this.emit(event),
      conversationViewOf: (id) => this.conversationViewOf(id),
      roomState: (id) => this.roomState(id),
      ensureRoomState: (id) => this.ensureRoomState(id),
      rotateSenderKey: (id) => this.rotateSenderKey(id),
      enqueueDirect: (to, content, messageId) => this.enqueueDirect(to, content, messageId),
      insertRoomNotice: (...args) => this.rooms.insertRoomNotice(...args),
    });
  }

  private get store(): Store {
    return this.profile.store;
  }

  get username(): string | null {
    return this.usernameValue;
  }

  private get book(): NameBook {
    return { selfId: this.accountId, selfName: this.usernameValue, store: this.store };
  }

  // --- life cycle --------------------------------------------------------------------------

  /** Creates the profile, the identity and the relay account; uploads the first prekeys. */
  static async create(options: EngineCreateOptions): Promise<Engine> {
    const clock = options.clock ?? Date.now;
    const existedBefore = existsSync(options.profileDir);
    const profile = await createProfile(options.profileDir, options.keystore);
    try {
      const identity = newIdentity();
      const registrationId = newRegistrationId();
      const relay = new RelayClient({
        url: options.relayUrl,
        accountId: null,
        sign: (m) => identity.privateKey.sign(m),
        reconnect: false,
      });
      try {
        await relay.connect();
        const info = await relay.request('server.info', {});
        const accountId = await relay.register(identity.publicKey.serialize(), registrationId);
        let username: string | null = null;
        if (options.username !== undefined) {
          username = (await relay.request('username.set', { username: options.username })).username;
        }
        profile.store.identity.create({
          accountId,
          deviceId: DEVICE_ID,
          username,
          identityKeyPair: Buffer.from(identity.serialize()),
          registrationId,
          relayUrl: options.relayUrl,
          trustRoot: Buffer.from(info.trustRoot, 'base64'),
          createdAt: clock(),
        });
        const engine = new Engine(profile, clock);
        engine.relay = relay;
        await engine.uploadPreKeys(true);
        engine.relay = null;
        return engine;
      } finally {
        await relay.close();
      }
    } catch (error) {
      // A failed init (relay down, name taken) must not leave a half profile that blocks a retry.
      profile.close();
      await removeHalfProfile(options.profileDir, existedBefore);
      throw error;
    }
  }

  /**
   * Opens an existing profile. Overdue messages are destroyed here, before the engine is handed
   * out, so no read API can ever return one.
   */
  static async open(options: EngineOpenOptions): Promise<Engine> {
    const profile = await openProfile(options.profileDir, options.keystore);
    try {
      const engine = new Engine(profile, options.clock ?? Date.now, options.relayUrl);
      engine.startEphemeral();
      return engine;
    } catch (error) {
      profile.close();
      throw error;
    }
  }

  private startEphemeral(): void {
    startEphemeral(this.ephemeralDeps());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => undefined);
    await this.acksSettled();
    if (this.relay) await this.relay.close();
    await this.sealedConnection.close();
    await this.chain.catch(() => undefined);
    this.route.drainPool();
    try {
      if (this.confirmedAcks.length > 0) this.store.transaction(() => this.forgetConfirmedMarks());
    } catch (error) {
      // Not fatal: the marks stay until the start-up sweep after their relay expiry.
      log.warn({ kind: isWispError(error) ? error.kind : 'Internal' }, 'could not forget inbox marks');
    }
    this.outbox.stop();
    this.scheduler.dispose();
    this.profile.close();
  }

  on(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        log.warn({ err: error }, 'an engine listener threw');
      }
    }
  }

  /** Runs store-mutating work one piece at a time (inbox, outbox, timers and API calls interleave safely). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.movedAway) throw this.movedAway;
    if (this.closed) throw new WispError('Internal', 'the engine is closed');
  }

  // --- relay -------------------------------------------------------------------------------

  private relayClient(): RelayClient {
    if (this.relay) return this.relay;
    this.relay = new RelayClient({
      url: this.relayUrl,
      accountId: this.accountId,
      sign: (m) => this.identityKeyPair.privateKey.sign(m),
      reconnect: this.relayMode === 'live',
      onEnvelope: async (envelope) => this.enqueueEnvelope(envelope),
      onQueueEmpty: () => {
        this.queueEmptySeen = true;
        const waiters = this.queueEmptyWaiters;
        this.queueEmptyWaiters = [];
        for (const w of waiters) w();
      },
      onState: (state) => this.onConnectionState(state),
      onAccountMoved: () => {
        this.movedAway = accountMovedError();
        for (const waiter of this.queueEmptyWaiters.splice(0)) waiter();
        this.emit({ type: 'account.moved' });
      },
    });
    return this.relay;
  }

  private onConnectionState(state: RelayConnectionState): void {
    this.emit({ type: 'connection.changed', state });
    // A new connection gets its own queueEmpty push once its backlog is delivered.
    if (state !== 'online') this.queueEmptySeen = false;
    if (state === 'online' && this.relayMode === 'live') {
      this.sealedConnection.prewarm();
      void this.outbox.flush().catch(() => undefined);
      void this.refillPreKeys().catch(() => undefined);
    }
  }

  /** App mode: keep a live connection, reconnecting with backoff; envelopes are processed as they come. */
  async connect(): Promise<void> {
    this.assertOpen();
    this.relayMode = 'live';
    if (this.relay && !this.relay.reconnects) {
      await this.relay.close();
      this.relay = null;
      await this.sealedConnection.close();
    }
    try {
      await this.relayClient().connect();
    } catch (error) {
      // Offline is a normal state for the app: the client keeps reconnecting with backoff, and
      // the outbox goes out when it is back (connection.changed tells the UI).
      if (!isWispError(error, 'RelayUnavailable')) throw error;
    }
  }

  private async senderCertificate(): Promise<SenderCertificate> {
    const now = this.clock();
    if (this.certificate && this.certificate.expiresAt - 60_000 > now) return this.certificate.cert;
    const result = await this.relayClient().request('certificate.sender', {});
    const cert = parseSenderCertificate(result.certificate);
    // Recipients check it against the trust root pinned at setup and drop what fails unseen, so
    // a certificate under another root (the relay's key was replaced) must not carry messages:
    // as a relay problem (transient) they stay in the outbox until it serves the pinned root again.
    if (!this.certificates.isValid(cert, now))
      throw new WispError(
        'RelayUnavailable',
        "the relay's sender certificate does not chain to the trust root pinned for this relay",
        { recovery: 'messages stay queued; the relay operator must start it with a key from its trust root' },
      );
    this.certificate = { cert, expiresAt: result.expiresAt };
    return cert;
  }

  private uploadPreKeys(withSigned: boolean): Promise<void> {
    return uploadPreKeys(this.preKeyDeps(), withSigned);
  }

  private refillPreKeys(): Promise<void> {
    return refillPreKeys(this.preKeyDeps());
  }

  private preKeyDeps(): PreKeyDeps {
    return {
      store: this.store,
      identityKeyPair: this.identityKeyPair,
      clock: this.clock,
      relay: () => this.relayClient(),
    };
  }

  // --- contacts ----------------------------------------------------------------------------

  /** The user looks a name up: bound to the account the relay names, gated like a send. */
  async lookup(username: string): Promise<ContactView> {
    this.assertOpen();
    const contact = UUID_RE.test(username)
      ? await this.guard.find(username)
      : await this.guard.forSend(username, false);
    return contactView(contact);
  }

  async setUsername(username: string | null): Promise<void> {
    this.assertOpen();
    if (username === null) {
      await this.relayClient().request('username.release', {});
      this.store.identity.setUsername(null);
      this.usernameValue = null;
      return;
    }
    const result = await this.relayClient().request('username.set', { username });
    this.store.identity.setUsername(result.username);
    this.usernameValue = result.username;
  }

  async contacts(): Promise<ContactView[]> {
    this.assertOpen();
    return this.store.contacts.list().map(contactView);
  }

  async safetyNumber(name: string): Promise<SafetyNumberView> {
    this.assertOpen();
    const contact = await this.guard.find(name);
    const remote =
      (await this.signal.identity.getIdentity(addressOf(contact.accountId))) ??
      (contact.identityKey ? PublicKey.deserialize(new Uint8Array(contact.identityKey)) : null);
    if (remote === null) throw new WispError('NotFound', 'no identity key known for that contact yet');
    const fingerprint = Fingerprint.new(
      SAFETY_NUMBER_ITERATIONS,
      2,
      uuidBytes(this.accountId),
      this.identityKeyPair.publicKey,
      uuidBytes(contact.accountId),
      remote,
    );
    const fresh = this.store.contacts.get(contact.accountId)!;
    return {
      accountId: contact.accountId,
      username: contact.username,
      digits: fingerprint.displayableFingerprint().toString(),
      scannable: b64(fingerprint.scannableFingerprint().toBuffer()),
      verified: fresh.verified,
      identityChanged: fresh.identityChanged,
    };
  }

  async setVerified(name: string, verified: boolean): Promise<ContactView> {
    this.assertOpen();
    const contact = await this.guard.find(name);
    this.store.contacts.setVerified(contact.accountId, verified);
    this.store.contacts.markAdded(contact.accountId);
    const view = contactView(this.store.contacts.get(contact.accountId)!);
    this.emit({ type: 'contact.changed', contact: view });
    return view;
  }

  // --- conversations -----------------------------------------------------------------------

  private roomState(id: string): RoomState | undefined {
    return this.store.settings.get<RoomState>(ROOM_KEY(id));
  }

  private conversationViewOf(id: string): ConversationView {
    const c = this.store.conversations.require(id);
    return conversationView(this.book, c, c.kind === 'room' ? (this.roomState(id)?.left ?? false) : false);
  }

  /**
   * A conversation by its id (a room's id, or a contact's account id), or a contact's direct
   * conversation by username. A typed name never reaches a room; a room request is not reachable.
   */
  private async conversationFor(target: string, createDirect: boolean): Promise<string> {
    const byId = this.store.conversations.get(target);
    if (byId && byId.requestFrom === null) return byId.id;
    if (!createDirect) {
      const contact = UUID_RE.test(target)
        ? this.store.contacts.get(target)
        : this.store.contacts.byUsername(target);
      const direct = contact && this.store.conversations.directWith(contact.accountId);
      if (!direct) throw new WispError('NotFound', 'no conversation with that name');
      return direct.id;
    }
    const contact = await this.guard.find(target);
    return directConversation(this.store, contact.accountId, this.clock()).id;
  }

  async conversations(): Promise<ConversationView[]> {
    this.assertOpen();
    await this.destroyOverdue();
    return this.store.conversations.list().map((c) => this.conversationViewOf(c.id));
  }

  async messages(withName: string): Promise<MessageView[]> {
    this.assertOpen();
    await this.destroyOverdue();
    let id: string;
    try {
      id = await this.conversationFor(withName, false);
    } catch (error) {
      // A known contact we have not talked to yet simply has no messages.
      const known = UUID_RE.test(withName)
        ? this.store.contacts.get(withName)
        : this.store.contacts.byUsername(withName);
      if (known && isWispError(error, 'NotFound')) return [];
      throw error;
    }
    return this.store.messages.all(id).map((m) => messageView(this.book, m));
  }

  /** Paging, previews, search and delete-for-me for the UI (core/engine/queries.ts). */
  get queries(): EngineQueries {
    this.assertOpen();
    return new EngineQueries({
      store: this.store,
      book: this.book,
      settle: () => this.destroyOverdue(),
      exclusive: (work) => this.serial(work),
      deleted: (id, conversationId) => {
        this.scheduler.cancel(id);
        this.emit({ type: 'message.destroyed', id, conversationId, reason: 'deleted' });
      },
    });
  }

  async setConversationTimers(conversation: string, timers: ConversationTimers): Promise<ConversationView> {
    this.assertOpen();
    const t = validateTimers({ expireAfterMs: timers.expireAfterMs, burnAfterMs: timers.burnAfterMs });
    const id = await this.conversationFor(conversation, true);
    const c = this.store.conversations.require(id);
    if (c.kind === 'room') this.rooms.requireAdmin(id);
    let notice: Message | undefined;
    await this.serial(async () => {
      const now = this.clock();
      this.store.transaction(() => {
        this.store.conversations.setDefaultTimers(id, t);
        const content: Content = {
          v: 1,
          type: 'timers',
          id: newContentId(),
          sentAt: now,
          roomId: c.kind === 'room' ? id : null,
          ...t,
          ...(c.kind === 'room' ? { epoch: this.rooms.nextEpoch(id) } : {}),
        };
        for (const to of this.peersOf(id)) this.enqueueDirect(to, content, null);
        notice = this.store.messages.insert(
          timerNotice({
            id: content.id,
            conversationId: id,
            senderId: this.accountId,
            outgoing: true,
            timers: t,
            now,
          }),
          now,
        );
      });
    });
    const view = this.conversationViewOf(id);
    this.emit({ type: 'conversation.changed', conversation: view });
    if (notice) this.emit({ type: 'message.added', message: messageView(this.book, notice) });
    await this.outbox.tryFlush();
    return view;
  }

  private peersOf(conversationId: string): string[] {
    const c = this.store.conversations.require(conversationId);
    if (c.kind === 'direct' && c.peerId !== null) return [c.peerId];
    return this.store.conversations
      .members(conversationId)
      .map((m) => m.accountId)
      .filter((id) => id !== this.accountId);
  }

  // --- backup ------------------------------------------------------------------------------

  /**
   * Exports this open profile (core/backup). Runs in the serial chain: nothing the engine writes
   * (arrivals, burns) lands between the tables, so a message and its attachment rows agree.
   */
  async exportBackup(options: EngineExportOptions): Promise<ExportResult> {
    this.assertOpen();
    return this.serial(() =>
      exportBackup({ ...options, store: this.store, attachmentsDir: this.profile.attachmentsDir }),
    );
  }

  // --- sends without identity (sealedRoute.ts, deliveryKeys.ts) ---------------------------------

  /**
   * Where sends without identity take their tokens from (core/tokens' wallet); null sends
   * everything the authenticated way. Returns the previous source (the benchmark switches paths).
   */
  useTokens(source: TokenSource | null): TokenSource | null {
    const previous = this.tokenSource;
    this.tokenSource = source;
    return previous;
  }

  /** Envelopes sent without identity and over the account connection since this engine opened. */
  sendRoutes(): RouteCounts {
    return { ...this.route.counts };
  }

  /**
   * A fresh delivery key for every contact that held ours but `except` (after blocking someone;
   * Wisp has no block feature yet, so this is the rotation it will call). Returns who gets it.
   */
  async rotateDeliveryKey(except: readonly string[] = []): Promise<string[]> {
    this.assertOpen();
    const holders = await this.serial(() =>
      rotateDeliveryKey(
        this.deliveryKeys,
        { store: this.store, relay: this.relayClient(), now: this.clock(), encode: (c) => this.encode(c) },
        except,
      ),
    );
    await this.outbox.tryFlush();
    return holders;
  }

  // --- receipts ----------------------------------------------------------------------------

  async receiptSettings(): Promise<ReceiptSettings> {
    return (
      this.store.settings.get<ReceiptSettings>(RECEIPTS_KEY) ?? { deliveryReceipts: true, readReceipts: true }
    );
  }

  async setReceiptSettings(settings: Partial<ReceiptSettings>): Promise<ReceiptSettings> {
    const next = { ...(await this.receiptSettings()), ...settings };
    this.store.settings.set(RECEIPTS_KEY, next);
    return next;
  }

  // --- sending -----------------------------------------------------------------------------

  /** Encodes outgoing content, stamped with our username so the recipient can name us. */
  private encode(content: Content): Uint8Array {
    return encodeContent({ ...content, senderName: this.usernameValue });
  }

  private enqueueDirect(
    to: string,
    content: Content,
    messageId: string | null,
    expiresAt: number | null = null,
  ): void {
    this.store.outbox.enqueue(
      { messageId, recipientId: to, kind: 'direct', payload: this.encode(content), expiresAt },
      this.clock(),
    );
  }

  /**
   * A direct message to a contact: `to` is a username or an account id, never a room. Names are
   * re-resolved at the relay on each send; a name now held by another account, a key that differs
   * from the pinned one or an unacknowledged identity change stops the send (IdentityChanged) unless
   * options.acceptIdentityChange.
   */
  async sendText(to: string, text: string, options: SendOptions = {}): Promise<MessageView> {
    this.assertOpen();
    checkTextLength(text);
    const contact = await this.guard.forSend(to, options.acceptIdentityChange === true);
    const conversationId = directConversation(this.store, contact.accountId, this.clock()).id;
    return this.sendInto(conversationId, text, options);
  }

  /** A message to a room, by its id only. Stopped like sendText if a member's identity changed. */
  async sendToRoom(roomId: string, text: string, options: SendOptions = {}): Promise<MessageView> {
    this.assertOpen();
    checkTextLength(text);
    const id = this.rooms.requireRoom(roomId);
    for (const peer of this.peersOf(id)) {
      const contact = this.store.contacts.get(peer);
      if (contact) this.guard.gateFlag(contact, options.acceptIdentityChange === true);
    }
    return this.sendInto(id, text, options);
  }

  private async sendInto(conversationId: string, text: string, options: SendOptions): Promise<MessageView> {
    const conversation = this.store.conversations.require(conversationId);
    const isRoom = conversation.kind === 'room';
    const timers = validateTimers({
      expireAfterMs: options.expireAfterMs === undefined ? conversation.expireAfterMs : options.expireAfterMs,
      burnAfterMs: options.burnAfterMs === undefined ? conversation.burnAfterMs : options.burnAfterMs,
    });
    const id = newContentId();
    const sentAt = this.clock();
    const expiresAt = expiresAtFor({ sentAt, receivedAt: null, expireAfterMs: timers.expireAfterMs });
    const attachments: AttachmentPointer[] = [];
    let localCopy: EncryptedFile | null = null;
    if (options.file !== undefined) {
      const uploaded = await uploadAttachment(
        this.relayClient(),
        httpBaseUrl(this.relayUrl),
        options.file,
        expiresAt,
        this.store.attachments.folder,
      );
      attachments.push(uploaded.pointer);
      localCopy = uploaded.local;
    }
    const content: Content = {
      v: 1,
      type: 'text',
      id,
      sentAt,
      roomId: isRoom ? conversationId : null,
      text,
      ...timers,
      attachments,
    };
    const commit = this.groupCommit(() => {
      const message = this.store.messages.insert(
        {
          id,
          conversationId,
          senderId: this.accountId,
          outgoing: true,
          kind: attachments.length > 0 ? 'attachment' : 'text',
          body: text,
          sentAt,
          receivedAt: sentAt,
          expireAfterMs: timers.expireAfterMs,
          burnAfterMs: timers.burnAfterMs,
          expiresAt,
          seenAt: sentAt,
          // Sender-side burn starts at sending (PRODUCT.md).
          burnAt: timers.burnAfterMs === null ? null : sentAt + timers.burnAfterMs,
          state: 'sending',
        },
        sentAt,
      );
      for (const a of attachments) {
        this.store.attachments.add(attachmentRow(a, a.id, id), sentAt);
        if (localCopy) this.store.attachments.adoptFile(a.id, localCopy);
      }
      this.store.outbox.enqueue(
        {
          messageId: id,
          recipientId: conversationId,
          kind: isRoom ? 'room' : 'direct',
          payload: this.encode(content),
          expiresAt,
        },
        sentAt,
      );
      return message;
    });
    const stored = await commit.catch((error: unknown) => {
      // Not stored: the sender's copy written during the upload goes too.
      if (localCopy) this.store.attachments.discardFile(localCopy);
      throw error;
    });
    this.scheduler.schedule(id, stored.destroyAt);
    const view = messageView(this.book, stored);
    this.emit({ type: 'message.added', message: view });
    await this.outbox.tryFlush();
    // Sending changes only the state (pending → sent, delivered, read, or failed): reuse the view.
    const after = this.store.messages.get(id);
    return after ? { ...view, state: messageState(after) } : view;
  }

  /**
   * Runs `fn` in a transaction shared with every other groupCommit call waiting at that moment:
   * a burst of sends costs one durable commit, not one each. Each call gets its own savepoint,
   * so one failing insert does not undo the others.
   */
  private groupCommit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.commitQueue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.commitQueue.length > 1) return;
      void this.serial(async () => {
        const jobs = this.commitQueue.splice(0);
        const results: { ok: boolean; value: unknown }[] = [];
        try {
          this.store.transaction(() => {
            for (const job of jobs) {
              try {
                results.push({ ok: true, value: this.store.transaction(job.run) });
              } catch (error) {
                results.push({ ok: false, value: error });
              }
            }
          });
        } catch (error) {
          for (const job of jobs) job.reject(error);
          return;
        }
        jobs.forEach((job, i) => {
          const r = results[i]!;
          if (r.ok) job.resolve(r.value);
          else job.reject(r.value);
        });
      });
    });
  }

  private ensureSession(accountId: string): Promise<void> {
    return ensureSession(this.sessionDeps(), accountId);
  }

  private ensureSessions(accountIds: readonly string[]): Promise<void> {
    return ensureSessions(this.sessionDeps(), accountIds);
  }

  private sessionDeps(): SessionDeps {
    return {
      signal: this.signal,
      selfId: this.accountId,
      clock: this.clock,
      relay: () => this.relayClient(),
      identityChanged: (id) => this.flagIdentityChange(id),
    };
  }

  private flagIdentityChange(accountId: string): void {
    const contact = this.store.contacts.get(accountId);
    if (contact) this.emit({ type: 'identity.changed', contact: contactView(contact) });
  }

  private ensureRoomState(roomId: string): RoomState {
    const state = this.roomState(roomId);
    if (state) return state;
    const fresh: RoomState = { distributionId: randomUUID(), sharedWith: [], left: false };
    this.store.settings.set(ROOM_KEY(roomId), fresh);
    return fresh;
  }

  /** A member left or was removed: our next room message goes out under a new sender key. */
  private rotateSenderKey(roomId: string): void {
    const state = this.ensureRoomState(roomId);
    this.store.settings.set(ROOM_KEY(roomId), { ...state, distributionId: randomUUID(), sharedWith: [] });
  }

  // --- rooms (rooms.ts) ----------------------------------------------------------------------

  createRoom(name: string, members: string[]): Promise<ConversationView> {
    return this.rooms.createRoom(name, members);
  }

  addRoomMembers(roomIdOrName: string, members: string[]): Promise<ConversationView> {
    return this.rooms.addRoomMembers(roomIdOrName, members);
  }

  removeRoomMember(roomIdOrName: string, member: string): Promise<ConversationView> {
    return this.rooms.removeRoomMember(roomIdOrName, member);
  }

  renameRoom(roomIdOrName: string, name: string): Promise<ConversationView> {
    return this.rooms.renameRoom(roomIdOrName, name);
  }

  leaveRoom(roomIdOrName: string): Promise<void> {
    return this.rooms.leaveRoom(roomIdOrName);
  }

  promoteRoomMember(roomId: string, member: string): Promise<ConversationView> {
    return this.rooms.promoteRoomMember(roomId, member);
  }

  demoteRoomMember(roomId: string, member: string): Promise<ConversationView> {
    return this.rooms.demoteRoomMember(roomId, member);
  }

  // --- receiving ---------------------------------------------------------------------------

  /**
   * Command mode: send the outbox, receive everything queued, optionally wait for more. Returns
   * every message not yet reported by a sync, including ones that arrived while another command
   * (a send, a read) had the connection open.
   */
  async sync(options: SyncOptions = {}): Promise<MessageView[]> {
    this.assertOpen();
    const relay = this.relayClient();
    const queueEmpty = new Promise<void>((resolve) => {
      if (this.queueEmptySeen) resolve();
      else this.queueEmptyWaiters.push(resolve);
    });
    await relay.connect();
    await this.outbox.flush();
    await queueEmpty;
    await this.inboxIdle();
    await this.refillPreKeys();
    if (options.waitMs && options.waitMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.waitMs));
    }
    this.assertOpen();
    await relay.drained();
    await this.inboxIdle();
    await this.chain;
    await this.outbox.flush();
    await this.acksSettled();
    this.assertOpen();
    const reported = await this.unreportedMessages();
    this.store.unreported.clear();
    return reported;
  }

  /** Messages received in command mode that no sync() has returned yet (persisted across processes). */
  async unreportedMessages(): Promise<MessageView[]> {
    this.assertOpen();
    await this.destroyOverdue();
    const ids = this.store.unreported.list();
    const out: MessageView[] = [];
    for (const id of ids) {
      const m = this.store.messages.get(id);
      if (m) out.push(messageView(this.book, m));
    }
    return out;
  }

  /** Pushed envelopes wait here; one drain at a time commits them in batches. */
  private enqueueEnvelope(envelope: DeliveredEnvelope): void {
    this.inboxQueue.push(envelope);
    this.envelopesQueued++;
    this.startInboxDrain();
  }

  private startInboxDrain(): void {
    if (this.inboxDrain || this.closed) return;
    this.inboxDrain = this.serial(async () => {
      while (this.inboxQueue.length > 0 && !this.closed) {
        const batch = this.inboxQueue.splice(0, INBOX_BATCH);
        await this.receiveBatch(batch);
        this.envelopesDrained += batch.length;
      }
    })
      .catch((error: unknown) =>
        log.error({ kind: isWispError(error) ? error.kind : 'Internal' }, 'inbox processing failed'),
      )
      .finally(() => {
        this.inboxDrain = null;
        if (this.inboxQueue.length > 0) this.startInboxDrain();
      });
  }

  /** Resolves when every envelope pushed so far has been committed and acknowledged. */
  private async inboxIdle(): Promise<void> {
    while (this.inboxDrain) await this.inboxDrain;
  }

  /**
   * A batch of envelopes: those already processed are only acknowledged; the others are decrypted
   * in order against one write-buffered view of the protocol state, and the protocol writes, every
   * decrypted content and every inbox mark commit in ONE transaction before one acknowledgement.
   * A crash before the commit leaves no trace and the relay redelivers; after it, the redelivery
   * is recognised. A forged or damaged envelope commits nothing but its inbox mark, so the session
   * stays usable and it is not retried forever.
   */
  private receiveBatch(batch: DeliveredEnvelope[]): Promise<void> {
    // One batch reads the same senders' contact rows many times (identity checks, names, views).
    return this.store.contacts.memoized(() => this.receiveBatchNow(batch));
  }

  private async receiveBatchNow(batch: DeliveredEnvelope[]): Promise<void> {
    const now = this.clock();
    const buffered = new BufferedSignalStores(this.signal);
    const opened: { envelope: DeliveredEnvelope; sender: string; content: Content }[] = [];
    const rejected: DeliveredEnvelope[] = [];
    const brokenSessions = new Set<string>();
    const ids = new Set<string>();
    for (const envelope of batch) {
      if (ids.has(envelope.id) || this.store.inbox.isProcessed(envelope.id)) {
        ids.add(envelope.id);
        continue;
      }
      ids.add(envelope.id);
      try {
        const unsealed = await unseal(
          new Uint8Array(Buffer.from(envelope.payload, 'base64')),
          this.certificates,
          this.accountId,
          buffered,
          now,
        );
        const content = decodeContent(unsealed.plaintext);
        if (
          unsealed.groupId !== null &&
          (content.roomId === null ||
            Buffer.compare(Buffer.from(unsealed.groupId), Buffer.from(uuidBytes(content.roomId))) !== 0)
        ) {
          throw new WispError('DecryptionFailed', 'room message with a mismatched room id');
        }
        if (content.senderName && !this.store.contacts.get(unsealed.sender)?.username) {
          await this.guard.noteSenderName(unsealed.sender, content.senderName);
        }
        if (content.type === 'room.update') await this.guard.confirmMemberNames(content.members);
        if (
          content.type === 'sender-key' &&
          this.store.conversations.get(content.roomId) &&
          this.intake.isMember(content.roomId, unsealed.sender)
        ) {
          // Into the buffered store, so the sender key commits with this batch.
          await processDistribution(unsealed.sender, fromB64(content.distribution), buffered);
        }
        opened.push({ envelope, sender: unsealed.sender, content });
      } catch (error) {
        log.warn(
          { kind: isWispError(error) ? error.kind : 'Internal' },
          'rejected an envelope that did not decrypt',
        );
        rejected.push(envelope);
        if (error instanceof InnerDecryptionError && error.sessionBroken) brokenSessions.add(error.sender);
      }
    }
    const effects: (() => void)[] = [];
    await this.inTransaction(async () => {
      await buffered.flush();
      this.forgetConfirmedMarks();
      for (const { envelope, sender, content } of opened) {
        try {
          // A savepoint each: content that cannot be applied is dropped alone, not the batch.
          this.store.transaction(() => this.intake.apply(sender, content, now, effects));
        } catch (error) {
          log.warn(
            { kind: isWispError(error) ? error.kind : 'Internal' },
            'could not apply decrypted content',
          );
        }
        this.store.inbox.markProcessed(envelope.id, envelope.expiresAt);
      }
      for (const envelope of rejected) this.store.inbox.markProcessed(envelope.id, envelope.expiresAt);
    });
    for (const identity of buffered.replacedIdentities) this.flagIdentityChange(identity);
    for (const effect of effects) effect();
    // Not awaited: the commit is what matters; the next batch need not wait for the round trip.
    this.ack([...ids]);
    for (const sender of brokenSessions) await this.resetSession(sender);
  }

  /**
   * A sender's messages no longer decrypt (e.g. our ratchet was restored from an older copy):
   * start a fresh session from a new prekey bundle and tell them, so both sides show the reset
   * and their next messages use it. Anyone can provoke one and each costs a bundle fetch, so the
   * persisted budget of resetBudget.ts (per contact and across all senders) decides.
   */
  private async resetSession(accountId: string): Promise<void> {
    const now = this.clock();
    if (!takeReset(this.store.settings, accountId, now)) {
      log.info({}, 'skipped a session reset: the reset budget is spent');
      return;
    }
    try {
      this.store.signal.deleteSessions(accountId);
      await this.ensureSession(accountId);
      const content: Content = { v: 1, type: 'session.reset', id: newContentId(), sentAt: now, roomId: null };
      this.enqueueDirect(accountId, content, null);
      this.emit({ type: 'session.reset', accountId });
    } catch (error) {
      log.warn({ kind: isWispError(error) ? error.kind : 'Internal' }, 'could not reset a broken session');
    }
  }

  /** BEGIN … COMMIT around async work whose SQL runs synchronously (the engine is serialised). */
  private async inTransaction(fn: () => Promise<void>): Promise<void> {
    const db = this.store.write;
    db.run(sql`BEGIN IMMEDIATE`);
    this.txOpen = true;
    try {
      await fn();
      db.run(sql`COMMIT`);
    } catch (error) {
      if (db.inTransaction) db.run(sql`ROLLBACK`);
      throw error;
    } finally {
      this.txOpen = false;
    }
  }

  private ack(envelopeIds: string[]): void {
    const done = this.sendAcks(envelopeIds).finally(() => this.pendingAcks.delete(done));
    this.pendingAcks.add(done);
  }

  /**
   * Forgets the inbox marks of envelopes the relay confirmed deleting, once every envelope pushed
   * before that confirmation has been committed. Runs inside a transaction the caller holds.
   */
  private forgetConfirmedMarks(): void {
    const ready = this.confirmedAcks.filter((a) => a.horizon <= this.envelopesDrained);
    if (ready.length === 0) return;
    this.confirmedAcks = this.confirmedAcks.filter((a) => a.horizon > this.envelopesDrained);
    for (const { ids } of ready) this.store.inbox.forget(ids);
  }

  /** Resolves when every acknowledgement sent so far has been answered (or has failed). */
  private async acksSettled(): Promise<void> {
    while (this.pendingAcks.size > 0) await Promise.all([...this.pendingAcks]);
  }

  private async sendAcks(envelopeIds: string[]): Promise<void> {
    try {
      for (let i = 0; i < envelopeIds.length; i += 500) {
        const ids = envelopeIds.slice(i, i + 500);
        await this.relayClient().request('message.ack', { ids });
        this.confirmedAcks.push({ ids, horizon: this.envelopesQueued });
      }
    } catch (error) {
      // Redelivery is harmless: the inbox mark makes it a no-op next time.
      log.info(
        { kind: isWispError(error) ? error.kind : 'Internal' },
        'ack failed; the envelope will be redelivered',
      );
    }
  }

  // --- room requests -----------------------------------------------------------------------

  /** Rooms from people who are not contacts, waiting to be accepted or declined. */
  async roomRequests(): Promise<RoomRequestView[]> {
    this.assertOpen();
    return this.store.conversations.requests().map((c) => roomRequestView(this.book, c));
  }

  private requireRequest(roomId: string): string {
    const c = this.store.conversations.get(roomId);
    if (!c || c.kind !== 'room' || c.requestFrom === null) {
      throw new WispError('NotFound', 'no room request with that id', {
        recovery: '`wisp room requests` lists the rooms waiting for an answer.',
      });
    }
    return c.id;
  }

  /**
   * The user accepts a room request: it becomes a conversation, and the messages it held are
   * reported (next sync) and shown. Refused if its id now collides with a known account.
   */
  async acceptRoomRequest(roomId: string): Promise<ConversationView> {
    this.assertOpen();
    const id = this.requireRequest(roomId);
    const held = await this.serial(async () =>
      this.store.transaction(() => {
        const c = this.store.conversations.require(id);
        const members = this.store.conversations.members(id).map((m) => m.accountId);
        if (roomIdRefusal(this.store, this.accountId, id, c.requestFrom ?? '', members) !== null) {
          throw new WispError('InvalidInput', 'this room uses the id of an account and cannot be joined', {
            recovery: 'Decline it (`wisp room decline --room ID`).',
          });
        }
        this.store.conversations.acceptRequest(id);
        const messages = this.store.messages.all(id).filter((m) => !m.outgoing);
        // Notices (the invitation itself, timer changes) are shown, never reported by sync.
        if (this.relayMode === 'command')
          for (const m of messages) if (m.kind !== 'system') this.store.unreported.add(m.id);
        return messages;
      }),
    );
    this.emit({ type: 'room.request.settled', id, accepted: true });
    const view = this.rooms.roomChanged(id);
    for (const m of held) this.emit({ type: 'message.added', message: messageView(this.book, m) });
    return view;
  }

  /** The user declines a room request: the room and everything it held are destroyed, silently. */
  async declineRoomRequest(roomId: string): Promise<void> {
    this.assertOpen();
    const id = this.requireRequest(roomId);
    await this.serial(async () =>
      this.store.transaction(() => {
        this.store.deleteConversation(id);
        this.store.settings.delete(ROOM_KEY(id));
      }),
    );
    this.emit({ type: 'room.request.settled', id, accepted: false });
  }

  // --- reading and destruction -------------------------------------------------------------

  async markSeen(id: string): Promise<MessageView> {
    this.assertOpen();
    await this.destroyOverdue();
    const before = this.store.messages.get(id);
    if (!before) throw new WispError('NotFound', 'no such message (it may have been destroyed)');
    if (before.outgoing) return messageView(this.book, before);
    const now = this.clock();
    const after = await this.serial(async () =>
      this.store.transaction(() => {
        const m = this.store.messages.markSeen(id, now)!;
        const settings = this.store.settings.get<ReceiptSettings>(RECEIPTS_KEY);
        if (before.seenAt === null && settings?.readReceipts !== false) {
          this.enqueueDirect(
            m.senderId,
            {
              v: 1,
              type: 'receipt',
              id: newContentId(),
              sentAt: now,
              roomId: null,
              kind: 'read',
              messageIds: [id],
            },
            null,
          );
        }
        return m;
      }),
    );
    this.scheduler.schedule(id, after.destroyAt);
    const view = messageView(this.book, after);
    this.emit({ type: 'message.updated', message: view });
    // Sends the read receipt now if there is one (a relay that is down keeps it in the outbox).
    if (before.seenAt === null) await this.outbox.tryFlush();
    return view;
  }

  /** Destroys everything already due (also run by every read API, so none can return an overdue message). */
  private destroyOverdue(): Promise<void> {
    return destroyOverdue(this.ephemeralDeps());
  }

  private destroyDue(ids: string[]): Promise<void> {
    return destroyDue(this.ephemeralDeps(), ids);
  }

  private ephemeralDeps(): EphemeralDeps {
    return {
      store: this.store,
      clock: this.clock,
      scheduler: this.scheduler,
      inTransaction: () => this.txOpen,
      emit: (event) => this.emit(event),
    };
  }

  // --- attachments -------------------------------------------------------------------------

  async saveAttachment(messageId: string, attachmentId: string, outPath: string): Promise<void> {
    this.assertOpen();
    await this.destroyOverdue();
    const attachment = this.store.attachments.get(attachmentId);
    if (!attachment || attachment.messageId !== messageId)
      throw new WispError('NotFound', 'no such attachment');
    if (attachment.localPath === null) {
      if (!attachment.blobId || !attachment.remoteKey || !attachment.digest) {
        throw new WispError('NotFound', 'the attachment cannot be fetched');
      }
      const file = await downloadAttachment(
        httpBaseUrl(this.relayUrl),
        attachment.blobId,
        attachment.remoteKey,
        attachment.digest,
        attachment.size,
        this.store.attachments.folder,
        attachmentId,
      );
      this.store.attachments.adoptFile(attachmentId, file);
    }
    await this.store.attachments.saveFileTo(attachmentId, outPath);
  }

  /** Test seam: destroy what is due now (after moving an injected clock). */
  async runTimers(): Promise<void> {
    await this.destroyOverdue();
    await this.scheduler.poke();
  }
}

function checkTextLength(text: string): void {
  if (text.length > MAX_TEXT_CHARS) {
    throw new WispError('InvalidInput', `a message holds at most ${MAX_TEXT_CHARS} characters`, {
      recovery: 'Send a long text as a file (--file).',
    });
  }
}

async function removeHalfProfile(dir: string, existedBefore: boolean): Promise<void> {
  if (!existedBefore) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  for (const name of [
    METADATA_FILE,
    DATABASE_FILE,
    `${DATABASE_FILE}-wal`,
    `${DATABASE_FILE}-shm`,
    ATTACHMENTS_DIR,
  ]) {
    await rm(join(dir, name), { recursive: true, force: true });
  }
}
