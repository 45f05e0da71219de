// The receive pipeline: pushed envelopes are drained in order, unsealed against one write-buffered
// view of the protocol state and committed INBOX_BATCH at a time with their inbox marks, then
// acknowledged; the marks are forgotten once the relay confirmed deleting them. Also `sync`.
import type { EngineEvent, MessageView } from '../../common/engine';
import { decodeContent, type Content } from '../../common/content';
import { WispError, isWispError } from '../../common/errors';
import type { DeliveredEnvelope } from '../../common/wire';
import { loggerFor } from '../log';
import { sql, type Store } from '../store';
import type { RelayClient, RelayConnectionState } from '../relayClient/relayClient';
import { BufferedSignalStores } from './bufferedStores';
import type { ContentIntake } from './contentIntake';
import type { IdentityGuard } from './identityGuard';
import { newContentId, uuidBytes } from './ids';
import type { Outbox } from './outbox';
import { takeReset } from './resetBudget';
import {
  InnerDecryptionError,
  fromB64,
  processDistribution,
  unseal,
  type SenderCertificateChecker,
  type SignalStores,
} from './signalCrypto';
import { messageView, type NameBook } from './views';
import type { SyncOptions } from './index';

const log = loggerFor('engine');

/**
 * Envelopes committed together at most (small enough that a long backlog shows progress).
 * bench/store.bench.ts ingests in batches of the same size.
 */
export const INBOX_BATCH = 32;

/** What the receive pipeline needs from the engine. */
export interface InboxDeps {
  readonly store: Store;
  readonly signal: SignalStores;
  readonly certificates: SenderCertificateChecker;
  readonly accountId: string;
  readonly book: NameBook;
  readonly guard: IdentityGuard;
  readonly intake: ContentIntake;
  readonly outbox: Outbox;
  /** The engine's serial chain as it stands (sync waits for the work queued on it). */
  readonly chain: Promise<unknown>;
  clock(): number;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  assertOpen(): void;
  isClosed(): boolean;
  relayClient(): RelayClient;
  refillPreKeys(): Promise<void>;
  destroyOverdue(): Promise<void>;
  ensureSession(accountId: string): Promise<void>;
  enqueueDirect(to: string, content: Content, messageId: string | null): void;
  flagIdentityChange(accountId: string): void;
  emit(event: EngineEvent): void;
}

export class Inbox {
  private queueEmptyWaiters: (() => void)[] = [];
  private queueEmptySeen = false;
  private readonly inboxQueue: DeliveredEnvelope[] = [];
  private readonly pendingAcks = new Set<Promise<void>>();
  /** A manual BEGIN…COMMIT (inTransaction) is open. */
  private txOpen = false;
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

  constructor(private readonly d: InboxDeps) {}

  /** The relay delivered this connection's backlog. */
  queueEmpty(): void {
    this.queueEmptySeen = true;
    const waiters = this.queueEmptyWaiters;
    this.queueEmptyWaiters = [];
    for (const w of waiters) w();
  }

  /** Lets a sync waiting for the relay's queueEmpty go (the account moved: it never comes). */
  releaseWaiters(): void {
    for (const waiter of this.queueEmptyWaiters.splice(0)) waiter();
  }

  connectionChanged(state: RelayConnectionState): void {
    // A new connection gets its own queueEmpty push once its backlog is delivered.
    if (state !== 'online') this.queueEmptySeen = false;
  }

  /** A manual transaction (inTransaction) is open: ephemeral destruction must not start its own. */
  get inTransactionNow(): boolean {
    return this.txOpen;
  }

  /** At close: forgets the marks the relay confirmed, if any, in a transaction of their own. */
  forgetMarksAtClose(): void {
    if (this.confirmedAcks.length > 0) this.d.store.transaction(() => this.forgetConfirmedMarks());
  }

  /**
   * Command mode: send the outbox, receive everything queued, optionally wait for more. Returns
   * every message not yet reported by a sync, including ones that arrived while another command
   * (a send, a read) had the connection open.
   */
  async sync(options: SyncOptions = {}): Promise<MessageView[]> {
    this.d.assertOpen();
    const relay = this.d.relayClient();
    const queueEmpty = new Promise<void>((resolve) => {
      if (this.queueEmptySeen) resolve();
      else this.queueEmptyWaiters.push(resolve);
    });
    await relay.connect();
    await this.d.outbox.flush();
    await queueEmpty;
    await this.inboxIdle();
    await this.d.refillPreKeys();
    if (options.waitMs && options.waitMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.waitMs));
    }
    this.d.assertOpen();
    await relay.drained();
    await this.inboxIdle();
    await this.d.chain;
    await this.d.outbox.flush();
    await this.acksSettled();
    this.d.assertOpen();
    const reported = await this.unreportedMessages();
    this.d.store.unreported.clear();
    return reported;
  }

  /** Messages received in command mode that no sync() has returned yet (persisted across processes). */
  async unreportedMessages(): Promise<MessageView[]> {
    this.d.assertOpen();
    await this.d.destroyOverdue();
    const ids = this.d.store.unreported.list();
    const out: MessageView[] = [];
    for (const id of ids) {
      const m = this.d.store.messages.get(id);
      if (m) out.push(messageView(this.d.book, m));
    }
    return out;
  }

  /** Pushed envelopes wait here; one drain at a time commits them in batches. */
  enqueueEnvelope(envelope: DeliveredEnvelope): void {
    this.inboxQueue.push(envelope);
    this.envelopesQueued++;
    this.startInboxDrain();
  }

  private startInboxDrain(): void {
    if (this.inboxDrain || this.d.isClosed()) return;
    this.inboxDrain = this.d
      .serial(async () => {
        while (this.inboxQueue.length > 0 && !this.d.isClosed()) {
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
    return this.d.store.contacts.memoized(() => this.receiveBatchNow(batch));
  }

  private async receiveBatchNow(batch: DeliveredEnvelope[]): Promise<void> {
    const now = this.d.clock();
    const buffered = new BufferedSignalStores(this.d.signal);
    const opened: { envelope: DeliveredEnvelope; sender: string; content: Content }[] = [];
    const rejected: DeliveredEnvelope[] = [];
    const brokenSessions = new Set<string>();
    const ids = new Set<string>();
    for (const envelope of batch) {
      if (ids.has(envelope.id) || this.d.store.inbox.isProcessed(envelope.id)) {
        ids.add(envelope.id);
        continue;
      }
      ids.add(envelope.id);
      try {
        const unsealed = await unseal(
          new Uint8Array(Buffer.from(envelope.payload, 'base64')),
          this.d.certificates,
          this.d.accountId,
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
        if (content.senderName && !this.d.store.contacts.get(unsealed.sender)?.username) {
          await this.d.guard.noteSenderName(unsealed.sender, content.senderName);
        }
        if (content.type === 'room.update') await this.d.guard.confirmMemberNames(content.members);
        if (content.type === 'sender-key' && this.takesSenderKey(content.roomId, unsealed.sender)) {
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
          this.d.store.transaction(() => this.d.intake.apply(sender, content, now, effects));
        } catch (error) {
          log.warn(
            { kind: isWispError(error) ? error.kind : 'Internal' },
            'could not apply decrypted content',
          );
        }
        this.d.store.inbox.markProcessed(envelope.id, envelope.expiresAt);
      }
      for (const envelope of rejected) this.d.store.inbox.markProcessed(envelope.id, envelope.expiresAt);
    });
    for (const identity of buffered.replacedIdentities) this.d.flagIdentityChange(identity);
    for (const effect of effects) effect();
    // Not awaited: the commit is what matters; the next batch need not wait for the round trip.
    this.ack([...ids]);
    for (const sender of brokenSessions) await this.resetSession(sender);
  }

  /**
   * Whether a member's sender key for a room is kept: from a member of a room we hold, or for a
   * room we do not hold yet — a room's creation update comes under the creator's sender key, right
   * after it. That key admits nothing by itself: the update is applied only under the rules of
   * roomIntake.ts (a new room from a non-contact is a request, the inviter must be a listed admin),
   * and a room's content only from its members.
   */
  private takesSenderKey(roomId: string, sender: string): boolean {
    const room = this.d.store.conversations.get(roomId);
    if (!room) return true;
    return room.kind === 'room' && this.d.intake.isMember(roomId, sender);
  }

  /**
   * A sender's messages no longer decrypt (e.g. our ratchet was restored from an older copy):
   * start a fresh session from a new prekey bundle and tell them, so both sides show the reset
   * and their next messages use it. Anyone can provoke one and each costs a bundle fetch, so the
   * persisted budget of resetBudget.ts (per contact and across all senders) decides.
   */
  private async resetSession(accountId: string): Promise<void> {
    const now = this.d.clock();
    if (!takeReset(this.d.store.settings, accountId, now)) {
      log.info({}, 'skipped a session reset: the reset budget is spent');
      return;
    }
    try {
      this.d.store.signal.deleteSessions(accountId);
      await this.d.ensureSession(accountId);
      const content: Content = { v: 1, type: 'session.reset', id: newContentId(), sentAt: now, roomId: null };
      this.d.enqueueDirect(accountId, content, null);
      this.d.emit({ type: 'session.reset', accountId });
    } catch (error) {
      log.warn({ kind: isWispError(error) ? error.kind : 'Internal' }, 'could not reset a broken session');
    }
  }

  /** BEGIN … COMMIT around async work whose SQL runs synchronously (the engine is serialised). */
  async inTransaction(fn: () => Promise<void>): Promise<void> {
    const db = this.d.store.write;
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
  forgetConfirmedMarks(): void {
    const ready = this.confirmedAcks.filter((a) => a.horizon <= this.envelopesDrained);
    if (ready.length === 0) return;
    this.confirmedAcks = this.confirmedAcks.filter((a) => a.horizon > this.envelopesDrained);
    for (const { ids } of ready) this.d.store.inbox.forget(ids);
  }

  /** Resolves when every acknowledgement sent so far has been answered (or has failed). */
  async acksSettled(): Promise<void> {
    while (this.pendingAcks.size > 0) await Promise.all([...this.pendingAcks]);
  }

  private async sendAcks(envelopeIds: string[]): Promise<void> {
    try {
      for (let i = 0; i < envelopeIds.length; i += 500) {
        const ids = envelopeIds.slice(i, i + 500);
        await this.d.relayClient().request('message.ack', { ids });
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
}
