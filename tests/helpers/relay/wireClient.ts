// A minimal WebSocket client for the relay protocol, for relay tests and the benchmark: typed
// calls correlated by request id, a queue of pushes, and raw sends for hostile-input tests.
import WebSocket from 'ws';
import {
  OPS,
  PushFrame,
  ServerFrame,
  type DeliveredEnvelope,
  type OpBody,
  type OpName,
  type OpResult,
  type WireError,
} from '../../../common/wire';

export class WireCallError extends Error {
  constructor(readonly wire: WireError) {
    super(`${wire.kind}: ${wire.message}`);
  }
  get kind(): WireError['kind'] {
    return this.wire.kind;
  }
}

/** The WireCallError that `call` fails with; throws if it succeeds or fails with another error. */
export async function wireError(call: Promise<unknown>): Promise<WireCallError> {
  try {
    await call;
  } catch (e) {
    if (e instanceof WireCallError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

type Waiter = {
  pred: (p: PushFrame) => boolean;
  resolve: (p: PushFrame) => void;
  reject: (e: Error) => void;
};

export class WireClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { op: OpName; resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  /** Pushes not yet taken by nextPush. */
  readonly pushes: PushFrame[] = [];
  /** Error responses with id null (frames the relay could not attribute to a request). */
  readonly orphanErrors: WireError[] = [];
  private waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const p of this.pending.values()) p.reject(new Error(`connection closed (${code})`));
        this.pending.clear();
        for (const w of this.waiters) w.reject(new Error(`connection closed (${code})`));
        this.waiters = [];
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('message', (data: Buffer) => this.onMessage(data.toString('utf8')));
  }

  /** `localAddress` picks the source address (e.g. 127.0.0.2), for tests of per-address limits. */
  static connect(url: string, opts: { localAddress?: string } = {}): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
      ws.once('open', () => resolve(new WireClient(ws)));
      ws.once('error', reject);
    });
  }

  private onMessage(text: string): void {
    const frame = ServerFrame.parse(JSON.parse(text));
    if ('push' in frame) {
      const push = PushFrame.parse(frame);
      const i = this.waiters.findIndex((w) => w.pred(push));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(push);
      else this.pushes.push(push);
      return;
    }
    if (frame.id === null) {
      if (!frame.ok) this.orphanErrors.push(frame.error);
      return;
    }
    const p = this.pending.get(frame.id);
    if (!p) return;
    this.pending.delete(frame.id);
    if (frame.ok) p.resolve(OPS[p.op].result.parse(frame.body));
    else p.reject(new WireCallError(frame.error));
  }

  call<K extends OpName>(op: K, body: OpBody<K>): Promise<OpResult<K>> {
    const id = this.nextId++;
    return new Promise<OpResult<K>>((resolve, reject) => {
      this.pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, op, body }));
    });
  }

  /** Sends anything at all, for hostile-input tests. */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** The next push matching `pred` (already received or still to come). */
  nextPush(pred: (p: PushFrame) => boolean = () => true, timeoutMs = 10_000): Promise<PushFrame> {
    const i = this.pushes.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.pushes.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pred,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject,
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('timed out waiting for a push'));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async nextEnvelope(timeoutMs = 10_000): Promise<DeliveredEnvelope> {
    const p = await this.nextPush((x) => x.push === 'envelope', timeoutMs);
    if (p.push !== 'envelope') throw new Error('unreachable');
    return p.body;
  }

  /** Envelopes pushed until (and including) the `queueEmpty` marker. */
  async drainQueue(timeoutMs = 10_000): Promise<DeliveredEnvelope[]> {
    const out: DeliveredEnvelope[] = [];
    for (;;) {
      const p = await this.nextPush((x) => x.push === 'envelope' || x.push === 'queueEmpty', timeoutMs);
      if (p.push === 'queueEmpty') return out;
      if (p.push === 'envelope') out.push(p.body);
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}
