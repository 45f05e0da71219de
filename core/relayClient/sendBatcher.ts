// Pairwise sends made in one turn go to the relay together: the `message.send` requests a caller
// issues back to back (the outbox sending a room's sender keys, one per member) leave as a few
// `message.sendBatch` requests, each stored by the relay in one durable commit instead of one
// commit per envelope (issue 13, PROTOCOL.md). Every caller still gets its own answer or error.
import { MAX_SEND_BATCH, type OpBody, type OpResult } from '../../common/wire';
import { isWispError, type WispErrorKind } from '../../common/errors';

type Body = OpBody<'message.send'>;
type Result = OpResult<'message.send'>;

interface Queued {
  body: Body;
  resolve: (r: Result) => void;
  reject: (e: unknown) => void;
}

/** Base64 characters per batch at most: well inside the relay's 2 MiB frame. */
const MAX_BATCH_CHARS = 1024 * 1024;

export class SendBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  /** The relay does not know message.sendBatch (an older one): each send goes alone. */
  private unsupported = false;

  constructor(
    private readonly sendOne: (body: Body) => Promise<Result>,
    private readonly sendBatch: (body: OpBody<'message.sendBatch'>) => Promise<OpResult<'message.sendBatch'>>,
    /** The error a lone send refused for this reason would have given (relayClient.ts RelayRequestError). */
    private readonly refusal: (kind: WispErrorKind, message: string) => Error,
  ) {}

  send(body: Body): Promise<Result> {
    if (this.unsupported) return this.sendOne(body);
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
    let chunk: Queued[] = [];
    let chars = 0;
    for (const q of queued) {
      if (
        chunk.length >= MAX_SEND_BATCH ||
        (chunk.length > 0 && chars + q.body.payload.length > MAX_BATCH_CHARS)
      ) {
        this.sendChunk(chunk);
        chunk = [];
        chars = 0;
      }
      chunk.push(q);
      chars += q.body.payload.length;
    }
    if (chunk.length > 0) this.sendChunk(chunk);
  }

  private sendChunk(chunk: Queued[]): void {
    if (chunk.length === 1) {
      const [only] = chunk;
      this.sendOne(only!.body).then(only!.resolve, only!.reject);
      return;
    }
    this.sendBatch({ messages: chunk.map((q) => q.body) }).then(
      ({ results }) =>
        chunk.forEach((q, i) => {
          const r = results[i];
          if (r === undefined)
            q.reject(this.refusal('Internal', 'the relay answered fewer results than sent'));
          else if ('refused' in r)
            q.reject(
              this.refusal(
                r.refused,
                r.refused === 'NotFound' ? 'no such recipient account' : "the recipient's queue is full",
              ),
            );
          else q.resolve(r);
        }),
      (error: unknown) => {
        // A refusal of the whole batch for what one message holds (a deadline the relay's clock
        // finds past, an oversized payload), or a relay without the op: each goes alone and gets
        // its own answer, as without batching. Anything else (offline, rate-limited) is everyone's.
        if (isWispError(error, 'InvalidInput') || isWispError(error, 'PayloadTooLarge')) {
          if (/\bop\b/.test(error.message)) this.unsupported = true;
          for (const q of chunk) this.sendOne(q.body).then(q.resolve, q.reject);
          return;
        }
        for (const q of chunk) q.reject(error);
      },
    );
  }
}
