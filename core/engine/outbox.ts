// The send pipeline: the persisted outbox read in batches, each encrypted in order against one
// write-buffered view of the protocol state, sent pipelined and committed once; sender keys go to
// room members who lack them first. Failures leave items queued (transient) or fail the message.
// Each envelope goes without identity where it can (sealedRoute.ts); reaching out to someone also
// gives them our delivery key, inside that same message (deliveryKeys.ts).
import type { SenderCertificate } from '@signalapp/libsignal-client';
import type { EngineEvent } from '../../common/engine';
import { decodeContent, type Content } from '../../common/content';
import { WispError, isWispError } from '../../common/errors';
import { loggerFor } from '../log';
import type { OutboxItem, Store } from '../store';
import { RelayRequestError, type RelayClient } from '../relayClient/relayClient';
import { BufferedSignalStores } from './bufferedStores';
import { DeliveryKeys } from './deliveryKeys';
import { newContentId, uuidBytes } from './ids';
import { ROOM_KEY, type RoomState } from './rooms';
import type { SealedRoute } from './sealedRoute';
import { b64, hasSession, sealTo, senderKeyDistribution, type SignalStores } from './signalCrypto';
import { messageView, type NameBook } from './views';
import { coarseDeadline } from '../../common/coarseTime';

const log = loggerFor('engine');

/**
 * Outbox items encrypted, sent pipelined and committed together at most. A full room's creation (a
 * sender key for each of up to 499 members, then the creation update) takes two passes, so two
 * rounds of requests and two store commits instead of ten, each waiting on the relay's and the
 * profile's fsync in turn (issue 13); the pairwise sends of a pass leave together, as one
 * message.sendBatch on the account's connection and one message.sendSealedBatch on the one without
 * identity (relayClient/sendBatcher.ts). Not more: a relay connection takes 256 requests in flight
 * (relay/session.ts), and a sealed batch must stay within the relay's sealed-send burst.
 */
const OUTBOX_BATCH = 250;

/** What the send pipeline needs from the engine. */

/** How long a one-shot command waits in all for the relay's rate limit before it gives up. */
const RATE_LIMIT_WAIT_MS = 30_000;
export interface OutboxDeps {
  readonly store: Store;
  readonly signal: SignalStores;
  readonly accountId: string;
  readonly book: NameBook;
  clock(): number;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  inTransaction(fn: () => Promise<void>): Promise<void>;
  relayClient(): RelayClient;
  senderCertificate(): Promise<SenderCertificate>;
  ensureSession(accountId: string): Promise<void>;
  peersOf(conversationId: string): string[];
  roomState(id: string): RoomState | undefined;
  ensureRoomState(roomId: string): RoomState;
  encode(content: Content): Uint8Array;
  emit(event: EngineEvent): void;
  relayMode(): 'command' | 'live';
  isClosed(): boolean;
  readonly deliveryKeys: DeliveryKeys;
  /** Chooses the connection for each envelope (sealedRoute.ts). */
  readonly route: SealedRoute;
}

export class Outbox {
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(private readonly d: OutboxDeps) {}

  /** Cancels a scheduled retry (the engine is closing). */
  stop(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  /** Sends what is queued; a relay that is down leaves it queued (the message shows as pending). */
  async tryFlush(): Promise<void> {
    let waited = 0;
    for (;;) {
      try {
        await this.flush();
        return;
      } catch (error) {
        if (isWispError(error, 'RelayRateLimited')) {
          // The messages are committed and queued: a rate limit delays them, it does not fail the
          // send. A live connection retries by itself (flushLater); a one-shot command waits here,
          // as the relay asks, up to RATE_LIMIT_WAIT_MS in all, then says so.
          if (this.d.relayMode() === 'live') {
            log.info({ kind: error.kind }, 'relay rate limit; the outbox retries when it allows');
            return;
          }
          const pause = Math.max(
            10,
            error instanceof RelayRequestError ? (error.retryAfterMs ?? 1000) : 1000,
          );
          if (waited + pause > RATE_LIMIT_WAIT_MS || this.d.isClosed()) throw error;
          waited += pause;
          await new Promise((resolve) => setTimeout(resolve, pause));
          continue;
        }
        if (!isWispError(error, 'RelayUnavailable')) throw error;
        log.info({ kind: error.kind }, 'relay unavailable; messages stay in the outbox');
        return;
      }
    }
  }

  /** Flushes now, or joins the flush under way. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.d
      .serial(() => this.flushOutboxNow())
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  private flushOutboxNow(): Promise<void> {
    return this.d.store.contacts.memoized(() => this.flushOutboxPasses());
  }

  private async flushOutboxPasses(): Promise<void> {
    for (;;) {
      // A flush runs on an event (send, sync, reconnect), so every queued item is tried now,
      // whatever its backoff; only what expired before it went out is dropped.
      const now = this.d.clock();
      const enqueuedBefore = this.d.store.outbox.enqueueCount;
      this.d.store.outbox.dropExpired(now);
      // One more than a batch: enough to know whether another pass is needed, without reading
      // the whole queue (a 500-member room queues hundreds of items) on every pass.
      const queued = this.d.store.outbox
        .oldest(OUTBOX_BATCH + 1)
        .filter((i) => i.expiresAt === null || i.expiresAt > now);
      const items = queued.slice(0, OUTBOX_BATCH);
      if (items.length === 0) return;
      await this.publishDeliveryKey();
      // The batch is encrypted in order against one write-buffered view of the protocol state,
      // sent pipelined, then committed once: the ratchet steps, the removal of what was sent and
      // the message states. A crash after the relay took an item but before this commit resends
      // the same message id at the same ratchet step, which the recipient drops as a duplicate;
      // steps spent on items that failed are simply skipped counters for the recipient.
      const buffered = new BufferedSignalStores(this.d.signal);
      const prepared: { item: OutboxItem; send: () => Promise<void>; given: string[] }[] = [];
      const permanent: OutboxItem[] = [];
      let transient: { item: OutboxItem; error: WispError } | null = null;
      for (const item of items) {
        // Sender-key distributions go out (and commit) at once over the pairwise sessions, which
        // must not race ratchet steps still buffered in this batch: such an item starts a batch.
        if (item.kind === 'room' && prepared.length > 0 && this.roomNeedsDistribution(item.recipientId))
          break;
        try {
          const given: string[] = [];
          const send =
            item.kind === 'room'
              ? await this.prepareRoomItem(item.recipientId, item.payload, item.expiresAt, buffered, given)
              : await this.prepareDirect(item.recipientId, item.payload, item.expiresAt, buffered, given);
          prepared.push({ item, send, given });
        } catch (error) {
          if (isTransient(error)) {
            transient = { item, error };
            break;
          }
          permanent.push(item);
        }
      }
      const outcomes = await Promise.allSettled(prepared.map((p) => p.send()));
      const sent: OutboxItem[] = [];
      const keyGiven: string[] = [];
      outcomes.forEach((outcome, i) => {
        const item = prepared[i]!.item;
        if (outcome.status === 'fulfilled') {
          sent.push(item);
          keyGiven.push(...prepared[i]!.given);
        } else if (isTransient(outcome.reason)) transient ??= { item, error: outcome.reason };
        else permanent.push(item);
      });
      const changed: string[] = [];
      await this.d.inTransaction(async () => {
        if (sent.length > 0) await buffered.flush();
        this.d.deliveryKeys.markGiven(keyGiven);
        for (const item of sent) {
          this.d.store.outbox.remove(item.id);
          if (item.messageId && this.setStateInTransaction(item.messageId, 'sent'))
            changed.push(item.messageId);
        }
        for (const item of permanent) {
          // Unknown recipient, too large…: the message fails and the item goes.
          this.d.store.outbox.remove(item.id);
          if (item.messageId && this.setStateInTransaction(item.messageId, 'failed'))
            changed.push(item.messageId);
        }
      });
      if (permanent.length > 0) log.warn({ count: permanent.length }, 'outbox items could not be sent');
      for (const id of changed) this.emitUpdated(id);
      if (transient) {
        const { item, error } = transient;
        const retryAfterMs =
          error instanceof RelayRequestError && error.retryAfterMs !== undefined
            ? error.retryAfterMs
            : 1000 * Math.min(60, 2 ** item.attempts);
        this.d.store.outbox.retryLater(item.id, this.d.clock() + retryAfterMs);
        // A live connection retries a rate limit by itself; an outage retries on reconnect.
        if (this.d.relayMode() === 'live' && isWispError(error, 'RelayRateLimited'))
          this.flushLater(retryAfterMs);
        throw error;
      }
      // Another pass only if this one left items behind (the batch cap, a room item that starts its
      // own batch) or something was queued meanwhile; otherwise re-reading the outbox finds nothing.
      if (
        prepared.length + permanent.length >= queued.length &&
        this.d.store.outbox.enqueueCount === enqueuedBefore
      )
        return;
    }
  }

  /** The relay must hold our key's hash before a contact can use the key (once per key). */
  private async publishDeliveryKey(): Promise<void> {
    try {
      await this.d.deliveryKeys.publish(this.d.relayClient());
    } catch (error) {
      if (isTransient(error)) throw error;
      // A relay without sends without identity: contacts' sends to us stay authenticated.
      log.warn({ kind: isWispError(error) ? error.kind : 'Internal' }, 'could not publish the delivery key');
    }
  }

  /**
   * When this item is something the user chose to send (not a receipt or a key) and some of its
   * recipients do not hold our current delivery key, the key rides inside it (`deliveryKey`, so no
   * envelope of its own); `given` collects them, marked as holding it once the send commits.
   */
  private withDeliveryKey(recipients: string[], payload: Uint8Array, given: string[]): Uint8Array {
    const lacking = this.d.deliveryKeys.lacking(recipients);
    if (lacking.length === 0) return payload;
    let content: Content;
    try {
      content = decodeContent(payload);
    } catch {
      return payload;
    }
    if (!DeliveryKeys.reachesOut(content.type)) return payload;
    given.push(...lacking);
    return this.d.encode({ ...content, deliveryKey: this.d.deliveryKeys.current() });
  }

  private flushLater(ms: number): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (!this.d.isClosed()) void this.tryFlush().catch(() => undefined);
    }, ms);
    this.flushTimer.unref();
  }

  private setStateInTransaction(id: string, state: 'sent' | 'failed'): boolean {
    const before = this.d.store.messages.get(id);
    if (!before || before.state !== 'sending') return false;
    this.d.store.messages.setState(id, state);
    return true;
  }

  private emitUpdated(id: string): void {
    const m = this.d.store.messages.get(id);
    if (m) this.d.emit({ type: 'message.updated', message: messageView(this.d.book, m) });
  }

  /** Encrypts now; the returned function sends. */
  private async prepareDirect(
    to: string,
    payload: Uint8Array,
    expiresAt: number | null,
    stores: SignalStores,
    given: string[] = [],
  ): Promise<() => Promise<void>> {
    await this.d.ensureSession(to);
    const cert = await this.d.senderCertificate();
    const plaintext = new Uint8Array(this.withDeliveryKey([to], payload, given));
    const sealed = await sealTo(plaintext, to, this.d.accountId, cert, stores, this.d.clock());
    // Whole hours only: the relay's copy must not date the send (or a receipt's read) finely.
    const body = {
      to,
      payload: b64(sealed),
      ...(expiresAt === null ? {} : { expiresAt: coarseDeadline(expiresAt) }),
    };
    return this.d.route.prepareDirect(body);
  }

  /** Encrypts with the committed protocol state and sends at once (sender-key distribution). */
  private async sendDirect(to: string, payload: Uint8Array, expiresAt: number | null): Promise<void> {
    await (
      await this.prepareDirect(to, payload, expiresAt, this.d.signal)
    )();
  }

  private async prepareRoomItem(
    roomId: string,
    payload: Uint8Array,
    expiresAt: number | null,
    stores: SignalStores,
    given: string[],
  ): Promise<() => Promise<void>> {
    const state = this.d.ensureRoomState(roomId);
    const members = this.d.peersOf(roomId);
    if (members.length === 0) return async () => undefined;
    // Members without our current sender key get it over the pairwise session first.
    const shared = new Set(state.sharedWith);
    const missing = members.filter((m) => !shared.has(m));
    if (missing.length > 0) {
      const distribution = await senderKeyDistribution(this.d.accountId, state.distributionId, this.d.signal);
      for (const m of missing) {
        const content: Content = {
          v: 1,
          type: 'sender-key',
          id: newContentId(),
          sentAt: this.d.clock(),
          roomId,
          distributionId: state.distributionId,
          distribution: b64(distribution),
        };
        await this.sendDirect(m, this.d.encode(content), null);
        state.sharedWith.push(m);
        this.d.store.settings.set(ROOM_KEY(roomId), state);
      }
    }
    const cert = await this.d.senderCertificate();
    const prepare = () =>
      this.d.route.prepareRoom({
        plaintext: new Uint8Array(this.withDeliveryKey(members, payload, given)),
        members,
        localAccountId: this.d.accountId,
        distributionId: state.distributionId,
        groupId: uuidBytes(roomId),
        cert,
        stores,
        // Whole hours only (common/coarseTime.ts).
        expiresAt: expiresAt === null ? null : coarseDeadline(expiresAt),
      });
    // Every member's session is loaded by the multi-recipient encrypt, which throws when one is
    // missing; only then are they checked and made, so a send to 499 members does not read 499
    // session records twice (issue 13). A sender-key step spent on the failed try is skipped.
    try {
      return await prepare();
    } catch (error) {
      let made = false;
      for (const m of members) {
        if (await hasSession(m, this.d.signal, this.d.clock())) continue;
        await this.d.ensureSession(m);
        made = true;
      }
      if (!made) throw error;
      return prepare();
    }
  }

  private roomNeedsDistribution(roomId: string): boolean {
    const state = this.d.roomState(roomId);
    if (!state) return true;
    const shared = new Set(state.sharedWith);
    return this.d.peersOf(roomId).some((m) => !shared.has(m));
  }
}

function isTransient(error: unknown): error is WispError {
  return isWispError(error, 'RelayUnavailable') || isWispError(error, 'RelayRateLimited');
}
