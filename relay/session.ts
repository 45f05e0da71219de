// One WebSocket connection: parses and validates frames, runs them one at a time (so a client's
// sends keep their order), answers each, and pushes the account's mailbox with flow control.
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
import { toB64 } from './identity';
import type { QueuedEnvelope } from './storage/types';

/** Requests a connection may have waiting before further ones are refused. */
const MAX_PENDING_REQUESTS = 256;
/** A client this far over its frame budget is disconnected instead of answered. */
const HARD_LIMIT_WAIT_MS = 10_000;

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(frame)'}: ${i.message}`)
    .join('; ')
    .slice(0, 400);
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
  // Mailbox push state: the highest sequence pushed on this connection and the ids awaiting ack.
  private lastSeq = 0;
  private readonly inFlight = new Set<string>();
  private pumping = false;
  private pumpAgain = false;
  private queueEmptySent = false;
  /** The last read found the queue exhausted, so in-order wakes may be pushed without a read. */
  private caughtUp = false;
  /** The last pump stopped because the in-flight window was full; an ack should resume it. */
  private windowFull = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: RelayContext,
    private readonly hooks: { authenticated(s: Session): void; closed(s: Session): void },
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
    this.hooks.authenticated(this);
    void this.pump();
  }

  onAcked(ids: string[]): void {
    let freed = false;
    for (const id of ids) freed = this.inFlight.delete(id) || freed;
    if (freed && this.windowFull) void this.pump();
  }

  /** A new envelope for this account was stored: push it directly when that is safe, else read. */
  deliver(envelope?: QueuedEnvelope): void {
    if (!envelope || !this.caughtUp || this.pumping || this.closed || !this.account) {
      void this.pump();
      return;
    }
    if (envelope.seq <= this.lastSeq) return; // already pushed by an earlier read
    if (this.inFlight.size >= this.ctx.limits.maxInFlightPushes) {
      this.caughtUp = false;
      this.windowFull = true;
      return;
    }
    this.pushEnvelope(envelope);
  }

  private pushEnvelope(row: QueuedEnvelope): void {
    this.lastSeq = row.seq;
    this.inFlight.add(row.id);
    this.send({
      push: 'envelope',
      body: { id: row.id as never, payload: toB64(row.payload), expiresAt: Number(row.expiresAt) },
    });
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.authDeadline);
    this.hooks.closed(this);
  }

  private send(frame: ResponseFrame | PushFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  private sendError(id: number | null, error: WireError): void {
    this.send({ id, ok: false, error });
  }

  private onFrame(data: RawData, isBinary: boolean): void {
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
      .then(() => this.run(frame.data.id, frame.data.op, frame.data.body))
      .finally(() => this.pending--);
  }

  private async run(id: number, op: OpName, rawBody: unknown): Promise<void> {
    if (this.closed) return;
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
      const handler = HANDLERS[op] as (ctx: RelayContext, s: SessionState, b: unknown) => Promise<unknown>;
      const result = await handler(this.ctx, this, body.data);
      this.send({ id, ok: true, body: result });
    } catch (error) {
      this.sendError(id, this.toWireError(op, error));
    }
  }

  private toWireError(op: OpName, error: unknown): WireError {
    if (isWispError(error) && error.kind !== 'Internal') {
      const kind = error.kind as WireError['kind'];
      const retryAfterMs = (error as WispError & { retryAfterMs?: number }).retryAfterMs;
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

  /** Pushes queued envelopes after lastSeq until caught up or the in-flight window is full. */
  async pump(): Promise<void> {
    if (!this.account || this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (;;) {
          const room = this.ctx.limits.maxInFlightPushes - this.inFlight.size;
          this.windowFull = room <= 0;
          if (room <= 0) this.caughtUp = false;
          if (room <= 0 || this.closed) break;
          const limit = Math.min(room, 64);
          const rows = await this.ctx.storage.fetchQueued(
            this.account.hash,
            this.lastSeq,
            limit,
            this.ctx.now(),
          );
          for (const row of rows) this.pushEnvelope(row);
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

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function isStorageUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'SQLITE_BUSY' || code === '57P01' || code === 'ECONNRESET';
}
