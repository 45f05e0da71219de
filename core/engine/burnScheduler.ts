// The one timer structure for every pending message destruction: a min-heap keyed by deadline and
// a single re-armed setTimeout, so 10,000 burning messages cost one timer, not 10,000.
// Deadlines also live in the store; this only decides *when* to call onDue, and never calls it early.
import { WispError } from '../../common/errors';
import { loggerFor } from '../log';

/** setTimeout's largest delay; a longer one overflows and fires immediately. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/**
 * The longest the scheduler sleeps before re-checking the wall clock. Node's timers run on a
 * monotonic clock that stops while a laptop sleeps, so a long timer would fire late by the
 * length of the sleep; re-checking bounds that lateness (call poke() on resume to remove it).
 */
export const DEFAULT_MAX_SLEEP_MS = 30_000;
export const DEFAULT_MAX_BATCH = 500;
export const DEFAULT_RETRY_BASE_MS = 1_000;
export const DEFAULT_RETRY_MAX_MS = 60_000;

export interface BurnSchedulerOptions {
  /** Wall clock in ms since the epoch; injectable for tests. */
  now?: () => number;
  /**
   * Destroys the given messages. Called with due ids in deadline order, in batches of at most
   * maxBatch, one call at a time (the next waits until the previous promise settles). A throw or
   * rejection is reported through onError and the same ids are retried with backoff, unless they
   * were cancelled or rescheduled meanwhile.
   */
  onDue: (ids: string[]) => void | Promise<void>;
  /** Where onDue failures are reported; defaults to the core log (count only, no ids). */
  onError?: (error: unknown, ids: readonly string[]) => void;
  /** Deadlines within this many ms after the earliest due one join its batch (default 0: never early). */
  coalesceMs?: number;
  maxBatch?: number;
  maxSleepMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Whether the timer keeps the Node process alive (default false). Deadlines are persisted and
   * overdue messages are destroyed at start-up, so a CLI command may exit with burns pending.
   */
  keepAlive?: boolean;
}

interface Entry {
  id: string;
  deadline: number;
  /** Insertion order, so equal deadlines come out first-scheduled first. */
  seq: number;
  /** Position in the heap array, kept up to date so cancel and reschedule are O(log n). */
  index: number;
}

export class BurnScheduler {
  private readonly now: () => number;
  private readonly onDue: (ids: string[]) => void | Promise<void>;
  private readonly onError: (error: unknown, ids: readonly string[]) => void;
  private readonly coalesceMs: number;
  private readonly maxBatch: number;
  private readonly maxSleepMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly keepAlive: boolean;

  private readonly heap: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  /** Consecutive onDue failures per id, for the retry backoff. */
  private readonly failures = new Map<string, number>();
  /** Ids handed to an onDue call that has not settled yet. */
  private readonly inFlight = new Set<string>();
  private seq = 0;

  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The wall-clock time the armed timer aims at (may be earlier than a deadline: max sleep). */
  private armedFor: number | undefined;
  private rearmQueued = false;
  private running: Promise<void> | undefined;
  private runAgain = false;
  private disposed = false;

  constructor(options: BurnSchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.onDue = options.onDue;
    this.onError = options.onError ?? defaultOnError;
    this.coalesceMs = Math.max(0, options.coalesceMs ?? 0);
    this.maxBatch = Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_MAX_BATCH));
    this.maxSleepMs = clampDelay(options.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS);
    this.retryBaseMs = Math.max(1, options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS);
    this.retryMaxMs = Math.max(this.retryBaseMs, options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS);
    this.keepAlive = options.keepAlive ?? false;
  }

  /** Number of pending deadlines (ids currently inside an onDue call are not counted). */
  get size(): number {
    return this.heap.length;
  }

  /** The earliest pending deadline, or null when nothing is pending. */
  nextDeadline(): number | null {
    return this.heap[0]?.deadline ?? null;
  }

  /** The pending deadline of one id, or null. */
  deadlineOf(id: string): number | null {
    return this.byId.get(id)?.deadline ?? null;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Schedules (or reschedules: the new deadline replaces the old) the destruction of `id` at
   * `destroyAt`. A deadline in the past is due at once (on a later tick, never inside this call).
   * `null` — what destroyAtOf gives a message without timers — cancels.
   */
  schedule(id: string, destroyAt: number | null): void {
    this.assertLive();
    if (destroyAt === null) {
      this.cancel(id);
      return;
    }
    if (typeof destroyAt !== 'number' || !Number.isFinite(destroyAt)) {
      throw new WispError('InvalidInput', 'a destruction deadline must be a number of ms since the epoch');
    }
    this.failures.delete(id);
    this.put(id, destroyAt);
    this.queueRearm();
  }

  /** Forgets a pending destruction (e.g. the message was deleted by hand). Returns whether it was pending. */
  cancel(id: string): boolean {
    this.failures.delete(id);
    // An id inside a running onDue is no longer retried if that call fails.
    this.inFlight.delete(id);
    const entry = this.byId.get(id);
    if (entry === undefined) return false;
    this.removeAt(entry.index);
    this.byId.delete(id);
    this.queueRearm();
    return true;
  }

  /**
   * Delivers every deadline due now and resolves once those onDue calls have settled. The timer
   * does this by itself; call it after the wall clock jumped (OS resume) or, in tests, after
   * moving an injected clock.
   */
  poke(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.running !== undefined) {
      this.runAgain = true;
      return this.running;
    }
    // `running` is set before drain() starts, so an onDue that schedules or pokes re-entrantly
    // joins this drain instead of starting a second, overlapping one.
    let settle!: () => void;
    const running = new Promise<void>((resolve) => (settle = resolve));
    this.running = running;
    this.drain()
      .catch((error: unknown) => this.report(error, []))
      .finally(() => {
        this.running = undefined;
        settle();
        this.rearm();
      });
    return running;
  }

  /** Stops the timer and forgets everything pending. An onDue call already running still settles. */
  dispose(): void {
    this.disposed = true;
    this.clearTimer();
    this.heap.length = 0;
    this.byId.clear();
    this.failures.clear();
    this.inFlight.clear();
  }

  private async drain(): Promise<void> {
    do {
      this.runAgain = false;
      for (;;) {
        if (this.disposed) return;
        const batch = this.takeDue();
        if (batch.length === 0) break;
        await this.deliver(batch);
        // A full batch means more may be due (e.g. thousands overdue after a resume): let I/O and
        // IPC run between batches instead of holding the event loop for all of them.
        if (batch.length === this.maxBatch) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } while (this.runAgain);
  }

  /** Pops due entries (and, with coalesceMs, those just behind them), at most maxBatch. */
  private takeDue(): string[] {
    const top = this.heap[0];
    const now = this.now();
    if (top === undefined || top.deadline > now) return [];
    const limit = now + this.coalesceMs;
    const ids: string[] = [];
    while (ids.length < this.maxBatch) {
      const head = this.heap[0];
      if (head === undefined || head.deadline > limit) break;
      this.removeAt(0);
      this.byId.delete(head.id);
      ids.push(head.id);
    }
    return ids;
  }

  private async deliver(ids: string[]): Promise<void> {
    for (const id of ids) this.inFlight.add(id);
    try {
      await this.onDue(ids.slice());
      for (const id of ids) this.failures.delete(id);
    } catch (error) {
      // Only ids neither cancelled nor rescheduled during the call are retried.
      const retry = ids.filter((id) => this.inFlight.has(id) && !this.byId.has(id));
      this.report(error, retry);
      if (!this.disposed) {
        const now = this.now();
        for (const id of retry) {
          const attempt = (this.failures.get(id) ?? 0) + 1;
          this.failures.set(id, attempt);
          const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
          this.put(id, now + delay);
        }
      }
    } finally {
      for (const id of ids) this.inFlight.delete(id);
    }
  }

  private report(error: unknown, ids: readonly string[]): void {
    try {
      this.onError(error, ids);
    } catch {
      // A failing reporter must not stop destruction either.
    }
  }

  // --- timer -------------------------------------------------------------------------------

  /** Re-arms once per tick, however many schedule/cancel calls happened in it. */
  private queueRearm(): void {
    if (this.rearmQueued || this.disposed) return;
    this.rearmQueued = true;
    queueMicrotask(() => {
      this.rearmQueued = false;
      this.rearm();
    });
  }

  private rearm(): void {
    if (this.disposed || this.running !== undefined) return; // drain re-arms when it ends
    const top = this.heap[0];
    if (top === undefined) {
      this.clearTimer();
      return;
    }
    const now = this.now();
    const target = Math.min(top.deadline, now + this.maxSleepMs);
    // Coalescing: an armed timer that fires no later than needed already covers this deadline,
    // so a burst of schedule() calls with later deadlines costs no clearTimeout/setTimeout.
    if (this.timer !== undefined && this.armedFor !== undefined && this.armedFor <= target) return;
    this.clearTimer();
    const delay = clampDelay(Math.min(target - now, this.maxSleepMs));
    this.armedFor = now + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = undefined;
      void this.poke();
    }, delay);
    if (!this.keepAlive) this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }

  private assertLive(): void {
    if (this.disposed) throw new WispError('Internal', 'the burn scheduler was disposed');
  }

  // --- indexed binary min-heap -------------------------------------------------------------

  private put(id: string, deadline: number): void {
    const existing = this.byId.get(id);
    if (existing !== undefined) {
      const earlier = deadline < existing.deadline;
      existing.deadline = deadline;
      existing.seq = this.seq++;
      if (earlier) this.siftUp(existing.index);
      else this.siftDown(existing.index);
      return;
    }
    const entry: Entry = { id, deadline, seq: this.seq++, index: this.heap.length };
    this.heap.push(entry);
    this.byId.set(id, entry);
    this.siftUp(entry.index);
  }

  private removeAt(index: number): void {
    const last = this.heap.pop();
    if (last === undefined || index >= this.heap.length) return;
    this.heap[index] = last;
    last.index = index;
    this.siftDown(index);
    this.siftUp(last.index);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    this.heap[i] = b;
    this.heap[j] = a;
    a.index = j;
    b.index = i;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    const n = this.heap.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.less(this.heap[left]!, this.heap[smallest]!)) smallest = left;
      if (right < n && this.less(this.heap[right]!, this.heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}

function clampDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return ms > 0 ? MAX_TIMER_DELAY_MS : 0;
  return Math.min(Math.ceil(ms), MAX_TIMER_DELAY_MS);
}

function defaultOnError(error: unknown, ids: readonly string[]): void {
  loggerFor('burnScheduler').error(
    { err: error, count: ids.length },
    'destroying due messages failed; will retry',
  );
}
