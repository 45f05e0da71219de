// One WebSocket connection: parses and validates frames, runs them one at a time (so a client's
// sends keep their order), answers each, and pushes the account's mailbox with flow control: a
// window of unacknowledged pushes (envelopes and bytes) and backpressure on every write.
import type { Socket } from 'node:net';
import type { WebSocket, RawData } from 'ws';
import { randomUUID } from 'node:crypto';
import { isWispError, WispError } from '../common/errors';
import {
  ACCOUNT_MOVED_CLOSE,
  OPS,
  RequestFrame,
  RequestId,
  type OpName,
  type PushFrame,
  type ResponseFrame,
  type WireError,
} from '../common/wire';
import type { RelayContext } from './context';
import { HANDLERS, type SessionState } from './handlers';
import { spentAToken } from './sealedBatch';
import { toB64 } from './identity';
import type { QueuedEnvelope } from './storage/types';

/** Requests a connection may have waiting before further ones are refused. */
const MAX_PENDING_REQUESTS = 256;
/** A client this far over its frame budget is disconnected instead of answered. */
const HARD_LIMIT_WAIT_MS = 10_000;
/** Close codes of this connection's own limits (docs/PROTOCOL.md lists them all). */
export const CLOSE_SLOW_CONSUMER = 4008;
export const CLOSE_ACCOUNT_CONNECTIONS = 4010;
/** The account was deleted (account.delete): the connection ends once that is answered. */
export const CLOSE_ACCOUNT_DELETED = 4011;
/** A push frame's bytes beyond its payload's base64 (id, expiresAt, JSON keys), rounded up. */
const PUSH_FRAME_OVERHEAD = 160;

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(frame)'}: ${i.message}`)
    .join('; ')
    .slice(0, 400);
}

export interface SessionHooks {
  /** Registers an authenticated connection; false refuses it (the account is at its connection cap). */
  authenticated(s: Session): boolean;
  closed(s: Session): void;
}

export class Session implements SessionState {
  account: SessionState['account'] = null;
  challenge: SessionState['challenge'] = null;
  readonly connectionKey = randomUUID();
  /** Built once: a fresh template string per frame costs a rehash on every rate-limiter lookup. */
  private readonly frameRateKey = `fr:${this.connectionKey}`;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;
  // Mailbox push state: the highest sequence pushed on this connection, and the ids awaiting ack
  // with the bytes each push frame took (the window is counted both ways).
  private lastSeq = 0;
  private readonly inFlight = new Map<string, number>();
  private inFlightBytes = 0;
  private pumping = false;
  private pumpAgain = false;
  private queueEmptySent = false;
  /** The last read found the queue exhausted, so in-order wakes may be pushed without a read. */
  private caughtUp = false;
  /** The last pump stopped because the in-flight window was full; an ack should resume it. */
  private windowFull = false;
  // Backpressure: over the high-water mark of unsent bytes (ws.bufferedAmount) the connection is
  // `stalled` — no pushes, no reading, no requests run — until its socket has drained.
  private stalled = false;
  private stalledTimer: NodeJS.Timeout | null = null;
  /** A pump was skipped while stalled; run one when the connection drains. */
  private pumpOnDrain = false;
  private drainWaiters: (() => void)[] = [];
  /** Set when this connection is being closed by the relay: nothing more is read or run. */
  private closing = false;
  /** A close the relay owes this connection once the current request is answered. */
  private closeAfterAnswer: { code: number; reason: string } | null = null;
  /**
   * What this connection is for, fixed by its first op that decides it: 'account' once it asked
   * for a challenge (or registered, or authenticated), 'sealed' once it sent without identity.
   * Neither can become the other, so a sealed send never shares a socket with an account.
   */
  private purpose: 'open' | 'account' | 'sealed' = 'open';

  constructor(
    private readonly ws: WebSocket,
    /** The TCP socket under `ws`: its 'drain' says when a stalled connection may go on. */
    private readonly raw: Socket,
    private readonly ctx: RelayContext,
    private readonly hooks: SessionHooks,
    /** The client address as a limiter key (rateLimiter.ts addressKey); in memory only. */
    readonly addressKey = 'unknown',
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', () => ws.terminate());
    ws.on('pong', () => (this.alive = true));
    this.authDeadline = setTimeout(() => {
      if (!this.account) ws.close(4001, 'authenticate sooner');
    }, ctx.limits.unauthenticatedTimeoutMs);
    this.authDeadline.unref();
  }

  private alive = true;
  private readonly authDeadline: NodeJS.Timeout;

  /** Called every keepalive interval: terminates a peer that did not answer the previous ping. */
  keepalive(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  get accountHashHex(): string | null {
    return this.account ? Buffer.from(this.account.hash).toString('hex') : null;
  }

  onAuthenticated(): void {
    if (!this.hooks.authenticated(this)) {
      // Over the per-account cap: this connection stays unauthenticated and is closed once the
      // refusal is answered. Each connection may hold up to sendHighWaterBytes, so the cap is
      // what bounds one account's share of the relay's memory.
      this.account = null;
      this.closeAfterAnswer = {
        code: CLOSE_ACCOUNT_CONNECTIONS,
        reason: 'too many connections for this account',
      };
      throw new WispError(
        'RelayRateLimited',
        `too many connections for this account (at most ${this.ctx.limits.maxConnectionsPerAccount})`,
        { recovery: 'close another client of this account, then connect again' },
      );
    }
    void this.pump();
  }

  onAccountDeleted(): void {
    // The account stays set until the close, so the connection table drops this session as usual.
    this.closeAfterAnswer = { code: CLOSE_ACCOUNT_DELETED, reason: 'account deleted' };
  }

  onAcked(ids: string[]): void {
    let freed = false;
    for (const id of ids) {
      const bytes = this.inFlight.get(id);
      if (bytes === undefined) continue;
      this.inFlight.delete(id);
      this.inFlightBytes -= bytes;
      freed = true;
    }
    if (freed && this.windowFull) void this.pump();
  }

  /** Room in the push window for one more envelope of `bytes` (an empty window takes any one). */
  private windowHas(bytes: number): boolean {
    const l = this.ctx.limits;
    if (this.inFlight.size >= l.maxInFlightPushes) return false;
    return this.inFlight.size === 0 || this.inFlightBytes + bytes <= l.maxInFlightPushBytes;
  }

  /** A new envelope for this account was stored: push it directly when that is safe, else read. */
  deliver(envelope?: QueuedEnvelope): void {
    if (!envelope || !this.caughtUp || this.pumping || this.stalled || this.closed || !this.account) {
      void this.pump();
      return;
    }
    if (envelope.seq <= this.lastSeq) return; // already pushed by an earlier read
    if (!this.windowHas(pushBytes(envelope))) {
      this.caughtUp = false;
      this.windowFull = true;
      return;
    }
    this.pushEnvelope(envelope);
  }

  private pushEnvelope(row: QueuedEnvelope): void {
    this.lastSeq = row.seq;
    const bytes = this.send({
      push: 'envelope',
      body: { id: row.id as never, payload: toB64(row.payload), expiresAt: Number(row.expiresAt) },
    });
    this.inFlight.set(row.id, bytes);
    this.inFlightBytes += bytes;
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.authDeadline);
    if (this.stalledTimer) clearTimeout(this.stalledTimer);
    this.raw.off('drain', this.onDrain);
    this.releaseDrainWaiters();
    this.hooks.closed(this);
  }

  /**
   * Writes one frame and returns its size (frames are ASCII JSON but for rare error texts, so its
   * length stands for its bytes). Bytes the kernel did not take stay in ws.bufferedAmount, the
   * relay's memory: past the high-water mark the connection stalls.
   */
  private send(frame: ResponseFrame | PushFrame): number {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return 0;
    const text = JSON.stringify(frame);
    this.ws.send(text);
    // writableNeedDrain: the socket will say 'drain' (a mark below its own 16 KiB never stalls).
    if (
      !this.stalled &&
      this.ws.bufferedAmount > this.ctx.limits.sendHighWaterBytes &&
      this.raw.writableNeedDrain
    )
      this.stall();
    return text.length;
  }

  private stall(): void {
    this.stalled = true;
    this.ws.pause();
    this.raw.once('drain', this.onDrain);
    this.stalledTimer = setTimeout(() => this.closeSlowConsumer(), this.ctx.limits.slowConsumerTimeoutMs);
    this.stalledTimer.unref();
  }

  private readonly onDrain = (): void => {
    if (!this.stalled) return;
    this.stalled = false;
    if (this.stalledTimer) clearTimeout(this.stalledTimer);
    this.stalledTimer = null;
    if (this.closed || this.closing) return;
    this.ws.resume();
    this.releaseDrainWaiters();
    if (this.pumpOnDrain) {
      this.pumpOnDrain = false;
      void this.pump();
    }
  };

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when the connection is under its high-water mark (or gone). */
  private writable(): Promise<void> | null {
    if (!this.stalled || this.closed) return null;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * The peer has not read for slowConsumerTimeoutMs: close with 4008. The close frame waits behind
   * the unsent bytes; ws destroys the socket if the peer never reads it (its 30 s close timeout).
   * Reading resumes so a peer that does read can complete the close handshake.
   */
  private closeSlowConsumer(): void {
    this.stalledTimer = null;
    if (!this.stalled || this.closed) return;
    this.closing = true;
    this.releaseDrainWaiters();
    this.ws.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
    this.ws.resume();
  }

  private sendError(id: number | null, error: WireError): void {
    this.send({ id, ok: false, error });
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    const wait = this.ctx.limiter.take(this.frameRateKey, this.ctx.limits.rates.frames, 1, true);
    if (wait > 0) this.ctx.metrics.rateLimited();
    if (wait > HARD_LIMIT_WAIT_MS) {
      this.ws.close(1008, 'rate limit');
      return;
    }
    if (wait > 0) {
      this.sendError(null, {
        kind: 'RelayRateLimited',
        message: 'too many frames; slow down',
        retryAfterMs: wait,
      });
      return;
    }
    if (isBinary) {
      this.sendError(null, {
        kind: 'InvalidInput',
        message: 'binary frames are not part of the protocol; send JSON text',
      });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawText(data));
    } catch {
      this.sendError(null, { kind: 'InvalidInput', message: 'frame is not valid JSON' });
      return;
    }
    const frame = RequestFrame.safeParse(json);
    if (!frame.success) {
      // The id is read separately only for a broken frame, so its answer can still be matched.
      const rawId = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
      const id = RequestId.safeParse(rawId).success ? (rawId as number) : null;
      this.sendError(id, {
        kind: 'InvalidInput',
        message: `malformed request: ${describeIssues(frame.error)}`,
      });
      return;
    }
    if (this.pending >= MAX_PENDING_REQUESTS) {
      this.sendError(frame.data.id, {
        kind: 'RelayRateLimited',
        message: 'too many requests in flight',
        retryAfterMs: 100,
      });
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(() => this.writable())
      .then(() => this.run(frame.data.id, frame.data.op, frame.data.body))
      .finally(() => this.pending--);
  }

  private async run(id: number, op: OpName, rawBody: unknown): Promise<void> {
    if (this.closed || this.closing) return;
    const spec = OPS[op];
    const body = spec.body.safeParse(rawBody ?? {});
    if (!body.success) {
      this.sendError(id, {
        kind: 'InvalidInput',
        message: `invalid ${op} body: ${describeIssues(body.error)}`,
      });
      return;
    }
    try {
      if (spec.auth && !this.account)
        throw new WispError('Unauthorized', `${op} needs an authenticated connection`);
      this.claimPurpose(op);
      const handler = HANDLERS[op] as (ctx: RelayContext, s: SessionState, b: unknown) => Promise<unknown>;
      const result = await handler(this.ctx, this, body.data);
      // A connection that got a send without identity through (it cost a token) may stay open
      // without authenticating; one that never did still has to authenticate in time.
      if (this.purpose === 'sealed' && spentAToken(result)) clearTimeout(this.authDeadline);
      this.send({ id, ok: true, body: result });
    } catch (error) {
      this.sendError(id, this.toWireError(op, error));
    }
    if (this.closeAfterAnswer) {
      this.closing = true;
      this.ws.close(this.closeAfterAnswer.code, this.closeAfterAnswer.reason);
    }
  }

  /** Refuses an op that does not fit what this connection is for, and fixes that on first use. */
  private claimPurpose(op: OpName): void {
    const sealed = 'sealed' in OPS[op];
    const handshake = op === 'auth.challenge' || op === 'register' || op === 'auth';
    if (sealed) {
      if (this.purpose === 'account' || this.account)
        throw new WispError(
          'Unauthorized',
          `${op} is only accepted on a connection that never authenticated`,
          {
            recovery: 'open a separate connection for sends without identity',
          },
        );
      this.purpose = 'sealed';
    } else if (handshake) {
      if (this.purpose === 'sealed')
        throw new WispError('Unauthorized', 'this connection sent without identity and cannot authenticate', {
          recovery: 'authenticate on a separate connection',
        });
      this.purpose = 'account';
    }
  }

  private toWireError(op: OpName, error: unknown): WireError {
    if (isWispError(error) && error.kind !== 'Internal') {
      const kind = error.kind as WireError['kind'];
      const retryAfterMs = (error as WispError & { retryAfterMs?: number }).retryAfterMs;
      const reason = (error as WispError & { reason?: WireError['reason'] }).reason;
      if (reason !== undefined) return { kind, message: error.message, reason };
      return retryAfterMs === undefined
        ? { kind, message: error.message }
        : { kind, message: error.message, retryAfterMs };
    }
    if (this.ctx.storage && isStorageUnavailable(error)) {
      return { kind: 'RelayUnavailable', message: 'storage is unavailable; retry shortly' };
    }
    // Only the op and the error class: an error message could echo input.
    this.ctx.log.error(
      { op, errorClass: error instanceof Error ? error.constructor.name : typeof error },
      'op failed',
    );
    return { kind: 'Internal', message: 'internal error' };
  }

  /**
   * Pushes queued envelopes after lastSeq until caught up, the in-flight window is full, or the
   * connection stalls on backpressure (then it resumes once the connection drains).
   */
  async pump(): Promise<void> {
    if (!this.account || this.closed || this.closing) return;
    if (this.stalled) {
      this.pumpOnDrain = true;
      this.caughtUp = false;
      return;
    }
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (;;) {
          const l = this.ctx.limits;
          const room = l.maxInFlightPushes - this.inFlight.size;
          // Read no more rows than the byte window could take at the largest envelope size, so a
          // batch of big envelopes is never held in memory only to be dropped.
          const byteRoom = Math.max(
            1,
            Math.floor((l.maxInFlightPushBytes - this.inFlightBytes) / maxPushBytes(l.maxEnvelopeBytes)),
          );
          this.windowFull = room <= 0 || !this.windowHas(0);
          if (this.windowFull) this.caughtUp = false;
          if (this.windowFull || this.closed || this.closing) break;
          if (this.stalled) {
            this.pumpOnDrain = true;
            this.caughtUp = false;
            break;
          }
          const limit = Math.min(room, 64, byteRoom);
          const rows = await this.ctx.storage.fetchQueued(
            this.account.hash,
            this.lastSeq,
            limit,
            this.ctx.now(),
          );
          let pushed = 0;
          for (const row of rows) {
            if (this.stalled || this.closed || !this.windowHas(pushBytes(row))) break;
            this.pushEnvelope(row);
            pushed++;
          }
          if (pushed < rows.length) {
            // Stopped by the window or by backpressure: the rest is read again later.
            this.caughtUp = false;
            if (this.stalled) this.pumpOnDrain = true;
            else this.windowFull = true;
            break;
          }
          this.caughtUp = rows.length < limit;
          if (rows.length < limit) {
            if (!this.queueEmptySent) {
              this.queueEmptySent = true;
              this.send({ push: 'queueEmpty', body: {} });
            }
            break;
          }
        }
      } while (this.pumpAgain && !this.closed);
    } catch (error) {
      this.ctx.log.warn(
        { errorClass: error instanceof Error ? error.constructor.name : typeof error },
        'mailbox push failed',
      );
    } finally {
      this.pumping = false;
    }
  }

  /** The account authenticated on a newer connection (a restored profile): this one ends for good. */
  accountMoved(): void {
    this.ws.close(ACCOUNT_MOVED_CLOSE.code, ACCOUNT_MOVED_CLOSE.reason);
  }

  goAway(reason: string): void {
    this.send({ push: 'goingAway', body: { reason } });
    this.ws.close(1001, reason);
  }

  /** Resolves when requests already accepted on this connection have been answered. */
  drained(): Promise<void> {
    return this.chain;
  }
}

/** The size of the push frame for a payload of `payloadBytes` (base64 plus the frame around it). */
function maxPushBytes(payloadBytes: number): number {
  return Math.ceil(payloadBytes / 3) * 4 + PUSH_FRAME_OVERHEAD;
}

function pushBytes(row: QueuedEnvelope): number {
  return maxPushBytes(row.payload.byteLength);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function isStorageUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'SQLITE_BUSY' || code === '57P01' || code === 'ECONNRESET';
}
