// Pairwise sends made in one turn go to the relay together: the single-envelope requests a caller
// issues back to back (the outbox sending a pass's 1:1 items, a room's sender keys) leave as a few
// batch requests, each stored by the relay in one durable commit instead of one commit per
// envelope — `message.send` as `message.sendBatch` (issue 13) on the account's connection,
// `message.sendSealed` as `message.sendSealedBatch` (issue 14) on the one that never
// authenticates (PROTOCOL.md). Every caller still gets its own answer or error.
import { MAX_SEND_BATCH } from '../../common/wire';
import { isWispError } from '../../common/errors';

/** The two requests a batcher joins: one envelope, and many with a result (or refusal) each. */
export interface BatchOps<Body extends { payload: string }, Result, Refused extends string> {
  sendOne(body: Body): Promise<Result>;
  sendBatch(bodies: Body[]): Promise<{ results: (Result | { refused: Refused })[] }>;
  /** The error a lone send refused for this reason would have given (relayClient.ts RelayRequestError). */
  refusal(refused: Refused | 'Internal'): Error;
  /** Characters of a body besides its payload, counted against MAX_BATCH_CHARS. */
  overhead?(body: Body): number;
}

interface Queued<Body, Result> {
  body: Body;
  resolve: (r: Result) => void;
  reject: (e: unknown) => void;
}

/** Characters per batch at most: well inside the relay's 2 MiB frame. */
const MAX_BATCH_CHARS = 1024 * 1024;

export class SendBatcher<Body extends { payload: string }, Result, Refused extends string> {
  private queue: Queued<Body, Result>[] = [];
  private scheduled = false;
  /** The relay does not know the batch op (an older one): each send goes alone. */
  private unsupported = false;

  constructor(private readonly ops: BatchOps<Body, Result, Refused>) {}

  send(body: Body): Promise<Result> {
    if (this.unsupported) return this.ops.sendOne(body);
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ body, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the caller's synchronous loop: everything it sent in it is queued by then.
      queueMicrotask(() => this.flush());
    });
  }

  /** Sends what is queued now (another request is about to go out and must follow it). */
  flush(): void {
    this.scheduled = false;
    const queued = this.queue;
    this.queue = [];
    let chunk: Queued<Body, Result>[] = [];
    let chars = 0;
    for (const q of queued) {
      const size = q.body.payload.length + (this.ops.overhead?.(q.body) ?? 0);
      if (chunk.length >= MAX_SEND_BATCH || (chunk.length > 0 && chars + size > MAX_BATCH_CHARS)) {
        this.sendChunk(chunk);
        chunk = [];
        chars = 0;
      }
      chunk.push(q);
      chars += size;
    }
    if (chunk.length > 0) this.sendChunk(chunk);
  }

  private sendChunk(chunk: Queued<Body, Result>[]): void {
    if (chunk.length === 1) {
      const [only] = chunk;
      this.ops.sendOne(only!.body).then(only!.resolve, only!.reject);
      return;
    }
    this.ops.sendBatch(chunk.map((q) => q.body)).then(
      ({ results }) =>
        chunk.forEach((q, i) => {
          const r = results[i];
          if (r === undefined) q.reject(this.ops.refusal('Internal'));
          else if (typeof r === 'object' && r !== null && 'refused' in r)
            q.reject(this.ops.refusal(r.refused));
          else q.resolve(r);
        }),
      (error: unknown) => {
        // A refusal of the whole batch for what one message holds (a deadline the relay's clock
        // finds past, an oversized payload, more than the relay's burst), or a relay without the
        // op: each goes alone and gets its own answer, as without batching. Anything else
        // (offline, rate-limited) is everyone's.
        if (isWispError(error, 'InvalidInput') || isWispError(error, 'PayloadTooLarge')) {
          if (/\bop\b/.test(error.message)) this.unsupported = true;
          for (const q of chunk) this.ops.sendOne(q.body).then(q.resolve, q.reject);
          return;
        }
        for (const q of chunk) q.reject(error);
      },
    );
  }
}
