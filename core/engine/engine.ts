// The messaging engine: one profile, one relay. Sends through a persisted outbox, receives
// envelope → decrypt → commit → ack, keeps every message's deadlines in the store and the one
// BurnScheduler, and emits events. main/, the CLI and the test harness all drive this class.
import { IdentityKeyPair, PublicKey } from '@signalapp/libsignal-client';
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
import { WispError, isWispError } from '../../common/errors';
import { loggerFor } from '../log';
import { openProfile, type Profile } from '../profile';
import { createAccount } from './accountSetup';
import { signalStoresFor } from '../signal';
import type { Store } from '../store';
import { accountMovedError, type RelayConnectionState } from '../relayClient/relayClient';
import { RelayLink } from './relayLink';
import { RelayRoute, proxyFrom, type ProxyAddress } from '../relayClient/relayRoute';
import { exportBackup, type ExportResult } from '../backup';
import { BurnScheduler } from './burnScheduler';
import { SenderCertificateChecker, type SignalStores } from './signalCrypto';
import { SenderCertificateCache } from './senderCertificate';
import type { NameBook } from './views';
import { IdentityGuard } from './identityGuard';
import { refillPreKeys, uploadPreKeys, type PreKeyDeps } from './prekeys';
import { ensureSession, ensureSessions, type SessionDeps } from './sessions';
import { destroyDue, destroyOverdue, startEphemeral, type EphemeralDeps } from './ephemeral';
import { Rooms, ensureRoomState, roomState, rotateSenderKey, type RoomsDeps } from './rooms';
import type { TransferProgress } from './attachments';
import { EngineQueries } from './queries';
import { ContentIntake, type ContentIntakeDeps } from './contentIntake';
import { Outbox, type OutboxDeps } from './outbox';
import { Inbox, type InboxDeps } from './inbox';
import { Contacts, type ContactsDeps } from './contacts';
import { RoomRequests, type RoomRequestsDeps } from './roomRequests';
import { Conversations, type ConversationsDeps } from './conversations';
import { AttachmentAccess, type AttachmentAccessDeps } from './attachmentAccess';
import { ownSafetyDigits } from './ownIdentity';
import type { KeyStore } from '../vault';
import type { RouteCounts, TokenSource } from './sealedRoute';
import { SealedSends, type SealedSendsDeps } from './sealedSends';
import { Compose, type ComposeDeps } from './compose';
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

/** Re-exported for bench/store.bench.ts, which ingests in batches of the inbox's size. */
export { INBOX_BATCH } from './inbox';

type EngineDeps = RoomsDeps &
  OutboxDeps &
  ContentIntakeDeps &
  InboxDeps &
  ContactsDeps &
  RoomRequestsDeps &
  ConversationsDeps &
  AttachmentAccessDeps &
  SessionDeps &
  PreKeyDeps &
  SealedSendsDeps &
  ComposeDeps;

export class Engine implements EngineApi {
  readonly accountId: string;
  private usernameValue: string | null;
  private readonly identityKeyPair: IdentityKeyPair;
  private readonly certificates: SenderCertificateChecker;
  private readonly senderCertificates: SenderCertificateCache;
  /**
   * The relay's address and the route to it (the user's SOCKS5 proxy, if any). Every connection
   * the engine opens is made from this one route — `new RelayClient({ url: this.relayUrl, … })` —
   * so each takes the proxy and follows setProxy() without further wiring.
   */
  private readonly relayUrl: RelayRoute;
  private readonly signal: SignalStores;
  private readonly scheduler: BurnScheduler;
  private readonly ephemeral: EphemeralDeps;
  private readonly listeners = new Set<EngineListener>();
  private readonly link: RelayLink;
  private chain: Promise<unknown> = Promise.resolve();
  /** Set once the relay moved the account to a newer device: every later call fails with it. */
  private movedAway: WispError | null = null;
  private closed = false;
  /** Set by deleteAccount: close() shreds the profile instead of only closing it. */
  private wipeOnClose = false;
  /** Who a name or account id reaches, and the identity-change gate on sending. */
  private readonly guard: IdentityGuard;
  /** What every part reads from the engine (one object, each part's Deps a slice of it). */
  private readonly deps: EngineDeps;
  /** Room operations (rooms.ts). */
  private readonly rooms: Rooms;
  /** Applying decrypted content inside the inbox transaction (contentIntake.ts). */
  private readonly intake: ContentIntake;
  /** The send pipeline: the persisted outbox encrypted, sent and committed in batches (outbox.ts). */
  private readonly outbox: Outbox;
  /** The receive pipeline: inbox drain, batches, acknowledgements and marks; sync (inbox.ts). */
  private readonly inbox: Inbox;
  /** Lookups, our username, the contact list, safety numbers (contacts.ts). */
  private readonly contactsPart: Contacts;
  /** Rooms from non-contacts waiting for an answer (roomRequests.ts). */
  private readonly roomRequestsPart: RoomRequests;
  /** Listing, reading, marking seen, timers, receipt settings (conversations.ts). */
  private readonly conversationsPart: Conversations;
  /** Saving and previewing attachments, one download each (attachmentAccess.ts). */
  private readonly attachmentsPart: AttachmentAccess;
  /** A written message stored and queued in a shared group commit (compose.ts). */
  private readonly compose: Compose;
  /** Sends without identity: delivery keys, the second connection, tokens, the route (sealedSends.ts). */
  private readonly sealed: SealedSends;

  private constructor(
    private readonly profile: Profile,
    private readonly clock: Clock,
    relayUrl?: string,
    proxy: ProxyAddress | null = null,
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
    this.senderCertificates = new SenderCertificateCache(
      this.certificates,
      () => this.link.client().request('certificate.sender', {}),
      () => this.clock(),
    );
    this.relayUrl = new RelayRoute(relayUrl ?? identity.relayUrl, proxy);
    this.link = new RelayLink({
      url: this.relayUrl,
      accountId: this.accountId,
      sign: (m) => this.identityKeyPair.privateKey.sign(m),
      onEnvelope: async (envelope) => this.inbox.enqueueEnvelope(envelope),
      onQueueEmpty: () => this.inbox.queueEmpty(),
      onState: (state) => this.onConnectionState(state),
      onAccountMoved: () => {
        this.movedAway = accountMovedError();
        this.inbox.releaseWaiters();
        this.emit({ type: 'account.moved' });
      },
    });
    this.signal = signalStoresFor(this.store);
    this.scheduler = new BurnScheduler({ now: clock, onDue: (ids) => destroyDue(this.ephemeral, ids) });
    // Destruction of what is due (ephemeral.ts); every read API runs destroyOverdue first.
    this.ephemeral = {
      store: this.store,
      clock,
      scheduler: this.scheduler,
      inTransaction: () => this.inbox.inTransactionNow,
      emit: (event) => this.emit(event),
    };
    this.guard = new IdentityGuard({
      store: this.store,
      selfId: this.accountId,
      clock,
      lookup: async (username) => {
        const found = await this.link.client().request('username.lookup', { username });
        return { accountId: found.accountId, identityKey: Buffer.from(found.identityKey, 'base64') };
      },
      lookupMany: async (usernames) => {
        const { results } = await this.link.client().request('directory.lookup', { usernames });
        return results.map(
          (r) => r && { accountId: r.accountId, identityKey: Buffer.from(r.identityKey, 'base64') },
        );
      },
      emit: (event) => this.emit(event),
    });
    // One object serves every part's Deps (each reads only its own slice); getters read live state.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the deps read live engine state
    const engine = this;
    const deps: EngineDeps = {
      get store() {
        return engine.store;
      },
      get book() {
        return engine.book;
      },
      get usernameValue() {
        return engine.usernameValue;
      },
      get chain() {
        return engine.chain;
      },
      get intake() {
        return engine.intake;
      },
      get outbox() {
        return engine.outbox;
      },
      get rooms() {
        return engine.rooms;
      },
      get deliveryKeys() {
        return engine.sealed.deliveryKeys;
      },
      get route() {
        return engine.sealed.route;
      },
      signal: this.signal,
      certificates: this.certificates,
      accountId: this.accountId,
      identityKeyPair: this.identityKeyPair,
      relayRoute: this.relayUrl,
      guard: this.guard,
      scheduler: this.scheduler,
      clock: () => this.clock(),
      serial: (fn) => this.serial(fn),
      inTransaction: (fn) => this.inbox.inTransaction(fn),
      assertOpen: () => this.assertOpen(),
      isClosed: () => this.closed,
      relayMode: () => this.link.mode,
      relayClient: () => this.link.client(),
      senderCertificate: () => this.senderCertificates.get(),
      refillPreKeys: () => refillPreKeys(deps),
      destroyOverdue: () => destroyOverdue(this.ephemeral),
      peersOf: (id) => this.conversationsPart.peersOf(id),
      isMember: (roomId, accountId) => this.intake.isMember(roomId, accountId),
      encode: (content) => this.compose.encode(content),
      enqueueDirect: (to, content, messageId) => this.compose.enqueueDirect(to, content, messageId),
      ensureSession: (id) => ensureSession(deps, id),
      ensureSessions: (ids) => ensureSessions(deps, ids),
      tryFlush: () => this.outbox.tryFlush(),
      createAttachment: (id, body) =>
        this.sealed.attachments.create(this.conversationsPart.peersOf(id), body),
      emit: (event) => this.emit(event),
      conversationViewOf: (id) => this.conversationsPart.conversationViewOf(id),
      roomState: (id) => roomState(this.store, id),
      ensureRoomState: (id) => ensureRoomState(this.store, id),
      rotateSenderKey: (id) => rotateSenderKey(this.store, id),
      insertRoomNotice: (...args) => this.rooms.insertRoomNotice(...args),
      flagIdentityChange: (id) => this.contactsPart.flagIdentityChange(id),
      setOwnUsername: (username) => {
        this.usernameValue = username;
      },
    };
    this.deps = deps;
    this.sealed = new SealedSends(deps);
    this.rooms = new Rooms(deps);
    this.outbox = new Outbox(deps);
    this.intake = new ContentIntake(deps);
    this.inbox = new Inbox(deps);
    this.contactsPart = new Contacts(deps);
    this.roomRequestsPart = new RoomRequests(deps);
    this.conversationsPart = new Conversations(deps);
    this.attachmentsPart = new AttachmentAccess(deps);
    this.compose = new Compose(deps);
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
    // Checked before anything is made: a bad proxy must not leave a profile, nor be skipped.
    const proxy = proxyFrom(options.proxy);
    return createAccount(options, proxy, clock, async ({ profile, relay }) => {
      const engine = new Engine(profile, clock, undefined, proxy);
      engine.link.lend(relay);
      await uploadPreKeys(engine.deps, true);
      engine.link.lend(null);
      return engine;
    });
  }

  /**
   * Opens an existing profile. Overdue messages are destroyed here, before the engine is handed
   * out, so no read API can ever return one.
   */
  static async open(options: EngineOpenOptions): Promise<Engine> {
    const proxy = proxyFrom(options.proxy);
    const profile = await openProfile(options.profileDir, options.keystore);
    try {
      const engine = new Engine(profile, options.clock ?? Date.now, options.relayUrl, proxy);
      startEphemeral(engine.ephemeral);
      return engine;
    } catch (error) {
      profile.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => undefined);
    await this.inbox.acksSettled();
    // Tokens the relay is issuing now are stored before their connection goes (sealedSends.ts).
    await this.sealed.settleTokens();
    await this.link.close();
    await this.sealed.closeConnection();
    await this.chain.catch(() => undefined);
    await this.sealed.drain();
    try {
      this.inbox.forgetMarksAtClose();
    } catch (error) {
      // Not fatal: the marks stay until the start-up sweep after their relay expiry.
      log.warn({ kind: isWispError(error) ? error.kind : 'Internal' }, 'could not forget inbox marks');
    }
    this.outbox.stop();
    this.scheduler.dispose();
    if (this.wipeOnClose) await this.profile.wipe();
    else this.profile.close();
  }

  // --- own account (core/engine/ownIdentity.ts) ---------------------------------------------

  selfInfo(): { accountId: string; username: string | null; relayUrl: string; safetyDigits: string } {
    this.assertOpen();
    const safetyDigits = ownSafetyDigits(this.accountId, this.identityKeyPair.publicKey);
    return {
      accountId: this.accountId,
      username: this.usernameValue,
      relayUrl: this.relayUrl.url,
      safetyDigits,
    };
  }

  async changeKeyStore(next: KeyStore, current?: KeyStore): Promise<void> {
    this.assertOpen();
    await this.serial(() => this.profile.changeKeyStore(next, current));
  }

  async deleteAccount(): Promise<void> {
    this.assertOpen();
    await this.serial(() => this.link.client().request('account.delete', { accountId: this.accountId }));
    this.wipeOnClose = true;
    await this.close();
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

  private onConnectionState(state: RelayConnectionState): void {
    this.emit({ type: 'connection.changed', state });
    this.inbox.connectionChanged(state);
    if (state === 'online' && this.link.mode === 'live') {
      this.sealed.online();
      void this.outbox.flush().catch(() => undefined);
      void refillPreKeys(this.deps).catch(() => undefined);
    }
  }

  /** App mode: keep a live connection, reconnecting with backoff; envelopes are processed as they come. */
  async connect(): Promise<void> {
    this.assertOpen();
    await this.link.goLive(() => this.sealed.closeConnection());
  }

  /**
   * Routes every relay connection through `proxy` (socks5h://HOST:PORT…), or directly with null.
   * Open connections are dropped and reopened on the new route; none falls back to the other.
   */
  setProxy(proxy: string | null): void {
    this.assertOpen();
    this.relayUrl.setProxy(proxyFrom(proxy));
  }

  // --- contacts (contacts.ts) ---------------------------------------------------------------

  lookup(username: string): Promise<ContactView> {
    return this.contactsPart.lookup(username);
  }

  setUsername(username: string | null): Promise<void> {
    return this.contactsPart.setUsername(username);
  }

  contacts(): Promise<ContactView[]> {
    return this.contactsPart.contacts();
  }

  safetyNumber(name: string): Promise<SafetyNumberView> {
    return this.contactsPart.safetyNumber(name);
  }

  setVerified(name: string, verified: boolean): Promise<ContactView> {
    return this.contactsPart.setVerified(name, verified);
  }

  // --- conversations (conversations.ts) -------------------------------------------------------

  conversations(): Promise<ConversationView[]> {
    return this.conversationsPart.conversations();
  }

  messages(withName: string): Promise<MessageView[]> {
    return this.conversationsPart.messages(withName);
  }

  /** Paging, previews, search and delete-for-me for the UI (core/engine/queries.ts). */
  get queries(): EngineQueries {
    return this.conversationsPart.queries;
  }

  setConversationTimers(conversation: string, timers: ConversationTimers): Promise<ConversationView> {
    return this.conversationsPart.setConversationTimers(conversation, timers);
  }

  markSeen(id: string): Promise<MessageView> {
    return this.conversationsPart.markSeen(id);
  }

  markSeenMany(ids: readonly string[]): Promise<MessageView[]> {
    return this.conversationsPart.markSeenMany(ids);
  }

  receiptSettings(): Promise<ReceiptSettings> {
    return this.conversationsPart.receiptSettings();
  }

  setReceiptSettings(settings: Partial<ReceiptSettings>): Promise<ReceiptSettings> {
    return this.conversationsPart.setReceiptSettings(settings);
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
    return this.sealed.useTokens(source);
  }

  /** Envelopes sent without identity and over the account connection since this engine opened. */
  sendRoutes(): RouteCounts {
    return this.sealed.counts();
  }

  /** Attachments created without identity and over the account connection since this engine opened. */
  uploadRoutes(): RouteCounts {
    return { ...this.sealed.attachments.counts };
  }

  /**
   * A fresh delivery key for every contact that held ours but `except` (after blocking someone;
   * Wisp has no block feature yet, so this is the rotation it will call). Returns who gets it.
   */
  async rotateDeliveryKey(except: readonly string[] = []): Promise<string[]> {
    this.assertOpen();
    const holders = await this.sealed.rotateDeliveryKey(except);
    await this.outbox.tryFlush();
    return holders;
  }

  // --- sending -----------------------------------------------------------------------------

  /** A direct message to a contact by username or account id (compose.ts: the identity gate). */
  async sendText(to: string, text: string, options: SendOptions = {}): Promise<MessageView> {
    this.assertOpen();
    return this.compose.sendText(to, text, options);
  }

  /** A message to a room, by its id only (compose.ts: every member's identity gate). */
  async sendToRoom(roomId: string, text: string, options: SendOptions = {}): Promise<MessageView> {
    this.assertOpen();
    return this.compose.sendToRoom(roomId, text, options);
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

  // --- receiving (inbox.ts) -----------------------------------------------------------------

  sync(options: SyncOptions = {}): Promise<MessageView[]> {
    return this.inbox.sync(options);
  }

  unreportedMessages(): Promise<MessageView[]> {
    return this.inbox.unreportedMessages();
  }

  // --- room requests (roomRequests.ts) -----------------------------------------------------

  roomRequests(): Promise<RoomRequestView[]> {
    return this.roomRequestsPart.roomRequests();
  }

  acceptRoomRequest(roomId: string): Promise<ConversationView> {
    return this.roomRequestsPart.acceptRoomRequest(roomId);
  }

  declineRoomRequest(roomId: string): Promise<void> {
    return this.roomRequestsPart.declineRoomRequest(roomId);
  }

  // --- attachments (attachmentAccess.ts) ---------------------------------------------------

  saveAttachment(
    messageId: string,
    attachmentId: string,
    outPath: string,
    onProgress?: TransferProgress,
  ): Promise<void> {
    return this.attachmentsPart.saveAttachment(messageId, attachmentId, outPath, onProgress);
  }

  readAttachment(
    messageId: string,
    attachmentId: string,
    maxBytes: number,
    onProgress?: TransferProgress,
  ): Promise<Buffer> {
    return this.attachmentsPart.readAttachment(messageId, attachmentId, maxBytes, onProgress);
  }

  /** Test seam: destroy what is due now (after moving an injected clock). */
  async runTimers(): Promise<void> {
    await destroyOverdue(this.ephemeral);
    await this.scheduler.poke();
  }
}
