// Tests for core/engine/burnScheduler: order, never-early delivery, reschedule/cancel, batching,
// error retry, one timer for everything, delay clamping. Injected clock, fake timers and real time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WispError } from '../../../common/errors';
import {
  BurnScheduler,
  MAX_TIMER_DELAY_MS,
  type BurnSchedulerOptions,
} from '../../../core/engine/burnScheduler';

const T0 = 1_700_000_000_000;

/** A scheduler on a hand-moved clock; poke() delivers what is due at that clock. */
function manual(options: Partial<BurnSchedulerOptions> = {}) {
  let clock = T0;
  const batches: string[][] = [];
  const scheduler = new BurnScheduler({
    now: () => clock,
    onDue: (ids) => {
      batches.push(ids);
    },
    ...options,
  });
  const at = async (time: number) => {
    clock = time;
    await scheduler.poke();
  };
  return { scheduler, batches, at, delivered: () => batches.flat() };
}

const schedulers: BurnScheduler[] = [];
function track<T extends { scheduler: BurnScheduler }>(made: T): T {
  schedulers.push(made.scheduler);
  return made;
}

afterEach(() => {
  for (const s of schedulers.splice(0)) s.dispose();
  vi.useRealTimers();
});

describe('BurnScheduler with an injected clock', () => {
  it('delivers due ids in deadline order, not scheduling order', async () => {
    const { scheduler, at, delivered } = track(manual());
    scheduler.schedule('c', T0 + 300);
    scheduler.schedule('a', T0 + 100);
    scheduler.schedule('b', T0 + 200);
    scheduler.schedule('d', T0 + 200); // same deadline as b: first scheduled first
    await at(T0 + 1_000);
    expect(delivered()).toEqual(['a', 'b', 'd', 'c']);
    expect(scheduler.size).toBe(0);
  });

  it('never delivers an id before its deadline, and delivers it at the deadline', async () => {
    const { scheduler, at, delivered } = track(manual());
    scheduler.schedule('m', T0 + 5_000);
    await at(T0 + 4_999);
    expect(delivered()).toEqual([]);
    expect(scheduler.has('m')).toBe(true);
    await at(T0 + 5_000);
    expect(delivered()).toEqual(['m']);
    expect(scheduler.has('m')).toBe(false);
  });

  it('tracks size, nextDeadline and deadlineOf', () => {
    const { scheduler } = track(manual());
    expect(scheduler.size).toBe(0);
    expect(scheduler.nextDeadline()).toBeNull();
    scheduler.schedule('x', T0 + 50);
    scheduler.schedule('y', T0 + 20);
    expect(scheduler.size).toBe(2);
    expect(scheduler.nextDeadline()).toBe(T0 + 20);
    expect(scheduler.deadlineOf('x')).toBe(T0 + 50);
    expect(scheduler.deadlineOf('nope')).toBeNull();
  });

  it('rescheduling an id replaces its deadline, later or earlier', async () => {
    const { scheduler, at, delivered } = track(manual());
    scheduler.schedule('later', T0 + 100);
    scheduler.schedule('earlier', T0 + 900);
    scheduler.schedule('later', T0 + 800); // e.g. burn started after expiry was set
    scheduler.schedule('earlier', T0 + 50); // e.g. burn-on-read beat the expiration
    expect(scheduler.size).toBe(2);
    await at(T0 + 100);
    expect(delivered()).toEqual(['earlier']);
    await at(T0 + 800);
    expect(delivered()).toEqual(['earlier', 'later']);
  });

  it('cancel forgets a pending id and reports whether it was pending', async () => {
    const { scheduler, at, delivered } = track(manual());
    scheduler.schedule('keep', T0 + 10);
    scheduler.schedule('drop', T0 + 10);
    expect(scheduler.cancel('drop')).toBe(true);
    expect(scheduler.cancel('drop')).toBe(false);
    expect(scheduler.cancel('never')).toBe(false);
    await at(T0 + 10);
    expect(delivered()).toEqual(['keep']);
  });

  it('schedule(id, null) — a message without timers — cancels it', async () => {
    const { scheduler, at, delivered } = track(manual());
    scheduler.schedule('m', T0 + 10);
    scheduler.schedule('m', null);
    expect(scheduler.size).toBe(0);
    await at(T0 + 10);
    expect(delivered()).toEqual([]);
  });

  it('rejects a deadline that is not a finite number', () => {
    const { scheduler } = track(manual());
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(() => scheduler.schedule('m', bad)).toThrow(WispError);
    }
    expect(scheduler.size).toBe(0);
  });

  it('delivers deadlines that fall due together in one batch', async () => {
    const { scheduler, at, batches } = track(manual());
    for (let i = 0; i < 50; i++) scheduler.schedule(`m${i}`, T0 + 10 + (i % 5));
    scheduler.schedule('future', T0 + 1_000);
    await at(T0 + 20);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(50);
    expect(scheduler.size).toBe(1);
  });

  it('coalesceMs pulls deadlines just behind a due one into its batch, and no further', async () => {
    const { scheduler, at, batches } = track(manual({ coalesceMs: 10 }));
    scheduler.schedule('due', T0 + 100);
    scheduler.schedule('near', T0 + 108);
    scheduler.schedule('far', T0 + 111);
    await at(T0 + 100);
    expect(batches).toEqual([['due', 'near']]);
    expect(scheduler.has('far')).toBe(true);
  });

  it('splits a large due set into batches of maxBatch, in order', async () => {
    const { scheduler, at, batches, delivered } = track(manual({ maxBatch: 7 }));
    const ids = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    ids.forEach((id, i) => scheduler.schedule(id, T0 + i));
    await at(T0 + 100);
    expect(batches.map((b) => b.length)).toEqual([7, 7, 7, 7, 2]);
    expect(delivered()).toEqual(ids);
  });

  it('lets other I/O run between full batches of a large overdue set', async () => {
    const events: string[] = [];
    const clock = T0;
    const scheduler = new BurnScheduler({
      now: () => clock,
      maxBatch: 2,
      onDue: (ids) => {
        events.push(`batch ${ids.join(',')}`);
        if (events.length === 1) setImmediate(() => events.push('io'));
      },
    });
    schedulers.push(scheduler);
    for (const id of ['a', 'b', 'c', 'd']) scheduler.schedule(id, T0);
    await scheduler.poke();
    expect(events).toEqual(['batch a,b', 'io', 'batch c,d']);
  });

  it('delivers everything overdue after the wall clock jumps forward (e.g. OS resume)', async () => {
    const { scheduler, at, delivered } = track(manual());
    scheduler.schedule('a', T0 + 60_000);
    scheduler.schedule('b', T0 + 3_600_000);
    scheduler.schedule('c', T0 + 7_200_001);
    await at(T0 + 7_200_000);
    expect(delivered()).toEqual(['a', 'b']);
  });

  it('matches a simple model under thousands of random schedule/reschedule/cancel operations', async () => {
    const { scheduler, at, delivered } = track(manual());
    const model = new Map<string, { deadline: number; seq: number }>();
    let seed = 42;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let seq = 0;
    for (let op = 0; op < 6_000; op++) {
      const id = `m${Math.floor(rand() * 1_500)}`;
      if (rand() < 0.2) {
        expect(scheduler.cancel(id)).toBe(model.delete(id));
      } else {
        const deadline = T0 + Math.floor(rand() * 10_000);
        scheduler.schedule(id, deadline);
        model.set(id, { deadline, seq: seq++ });
      }
    }
    expect(scheduler.size).toBe(model.size);
    const expected = [...model.entries()]
      .sort((a, b) => a[1].deadline - b[1].deadline || a[1].seq - b[1].seq)
      .map(([id]) => id);
    expect(scheduler.nextDeadline()).toBe(model.get(expected[0]!)!.deadline);
    // Deliver in five slices and check nothing arrives before its slice.
    for (let k = 1; k <= 5; k++) await at(T0 + k * 2_000 - 1);
    expect(delivered()).toEqual(expected);
  });
});

describe('BurnScheduler error handling', () => {
  it('reports a throwing onDue, keeps delivering other ids, and retries the failed ones', async () => {
    let clock = T0;
    const errors: { error: unknown; ids: readonly string[] }[] = [];
    const destroyed: string[] = [];
    let failNext = true;
    const scheduler = new BurnScheduler({
      now: () => clock,
      retryBaseMs: 1_000,
      onDue: (ids) => {
        if (failNext) {
          failNext = false;
          throw new Error('database is locked');
        }
        destroyed.push(...ids);
      },
      onError: (error, ids) => errors.push({ error, ids }),
    });
    schedulers.push(scheduler);
    scheduler.schedule('a', T0 + 10);
    scheduler.schedule('b', T0 + 10);
    scheduler.schedule('c', T0 + 500);
    clock = T0 + 10;
    await scheduler.poke();
    expect(destroyed).toEqual([]);
    expect(errors).toHaveLength(1);
    expect((errors[0]!.error as Error).message).toBe('database is locked');
    expect(errors[0]!.ids).toEqual(['a', 'b']);
    // Retried, not lost: back in the heap one backoff step later.
    expect(scheduler.deadlineOf('a')).toBe(T0 + 10 + 1_000);
    clock = T0 + 500;
    await scheduler.poke();
    expect(destroyed).toEqual(['c']);
    clock = T0 + 1_010;
    await scheduler.poke();
    expect(destroyed).toEqual(['c', 'a', 'b']);
    expect(scheduler.size).toBe(0);
  });

  it('backs off exponentially on repeated async rejections and keeps retrying', async () => {
    let clock = T0;
    let attempts = 0;
    const scheduler = new BurnScheduler({
      now: () => clock,
      retryBaseMs: 100,
      retryMaxMs: 350,
      onDue: async () => {
        attempts++;
        await Promise.resolve();
        if (attempts <= 4) throw new Error('disk full');
      },
      onError: () => undefined,
    });
    schedulers.push(scheduler);
    scheduler.schedule('m', T0);
    const deadlines: (number | null)[] = [];
    for (let i = 0; i < 4; i++) {
      await scheduler.poke();
      deadlines.push(scheduler.deadlineOf('m'));
      clock = scheduler.deadlineOf('m')!;
    }
    // Delays 100, 200, then capped at 350, 350.
    expect(deadlines).toEqual([T0 + 100, T0 + 300, T0 + 650, T0 + 1_000]);
    await scheduler.poke();
    expect(attempts).toBe(5);
    expect(scheduler.has('m')).toBe(false);
  });

  it('does not retry an id cancelled while its failing onDue was running', async () => {
    const clock = T0;
    const scheduler: BurnScheduler = new BurnScheduler({
      now: () => clock,
      onDue: async (ids) => {
        scheduler.cancel(ids[0]!);
        await Promise.resolve();
        throw new Error('boom');
      },
      onError: () => undefined,
    });
    schedulers.push(scheduler);
    scheduler.schedule('cancelled', T0);
    scheduler.schedule('kept', T0);
    await scheduler.poke();
    expect(scheduler.has('cancelled')).toBe(false);
    expect(scheduler.has('kept')).toBe(true);
  });

  it('keeps a new deadline given while a failing onDue was running instead of the retry', async () => {
    const clock = T0;
    const scheduler: BurnScheduler = new BurnScheduler({
      now: () => clock,
      retryBaseMs: 1_000,
      onDue: () => {
        scheduler.schedule('m', T0 + 50_000);
        throw new Error('boom');
      },
      onError: () => undefined,
    });
    schedulers.push(scheduler);
    scheduler.schedule('m', T0);
    await scheduler.poke();
    expect(scheduler.deadlineOf('m')).toBe(T0 + 50_000);
  });

  it('survives an onError reporter that itself throws', async () => {
    let clock = T0;
    let calls = 0;
    const scheduler = new BurnScheduler({
      now: () => clock,
      retryBaseMs: 5,
      onDue: () => {
        calls++;
        if (calls === 1) throw new Error('first');
      },
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    schedulers.push(scheduler);
    scheduler.schedule('m', T0);
    await scheduler.poke();
    clock = T0 + 5;
    await scheduler.poke();
    expect(calls).toBe(2);
    expect(scheduler.size).toBe(0);
  });

  it('runs one onDue at a time even when it is slow and more deadlines fall due', async () => {
    let clock = T0;
    let active = 0;
    let maxActive = 0;
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const scheduler = new BurnScheduler({
      now: () => clock,
      onDue: async (ids) => {
        active++;
        maxActive = Math.max(maxActive, active);
        if (seen.length === 0) await gate;
        seen.push(...ids);
        active--;
      },
    });
    schedulers.push(scheduler);
    scheduler.schedule('first', T0);
    const firstRun = scheduler.poke();
    scheduler.schedule('second', T0 + 1);
    clock = T0 + 1;
    const secondPoke = scheduler.poke(); // joins the running drain
    release();
    await Promise.all([firstRun, secondPoke]);
    expect(seen).toEqual(['first', 'second']);
    expect(maxActive).toBe(1);
  });
});

describe('BurnScheduler timer (fake timers)', () => {
  it('uses a single timer however many destructions are pending', async () => {
    vi.useFakeTimers({ now: T0 });
    const destroyed: string[] = [];
    const scheduler = new BurnScheduler({ onDue: (ids) => void destroyed.push(...ids) });
    schedulers.push(scheduler);
    for (let i = 0; i < 1_000; i++) scheduler.schedule(`m${i}`, T0 + 1_000 + i * 7);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(vi.getTimerCount()).toBe(1);
    expect(destroyed).toHaveLength(286); // deadlines T0+1000 … T0+2995 (7 ms apart): 286 of them
    await vi.advanceTimersByTimeAsync(10_000);
    expect(destroyed).toHaveLength(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires on its own at the deadline, never before, and re-arms for an earlier new deadline', async () => {
    vi.useFakeTimers({ now: T0 });
    const destroyed: { id: string; at: number }[] = [];
    const scheduler = new BurnScheduler({
      onDue: (ids) => void destroyed.push(...ids.map((id) => ({ id, at: Date.now() }))),
    });
    schedulers.push(scheduler);
    scheduler.schedule('late', T0 + 10_000);
    await vi.advanceTimersByTimeAsync(1_000);
    scheduler.schedule('early', T0 + 2_000);
    await vi.advanceTimersByTimeAsync(998);
    expect(destroyed).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(destroyed).toEqual([{ id: 'early', at: T0 + 2_000 }]);
    await vi.advanceTimersByTimeAsync(8_000);
    expect(destroyed).toEqual([
      { id: 'early', at: T0 + 2_000 },
      { id: 'late', at: T0 + 10_000 },
    ]);
  });

  it('clamps delays to 2^31-1 ms so a deadline a year away does not fire at once', async () => {
    vi.useFakeTimers({ now: T0 });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const destroyed: string[] = [];
    const year = 365 * 86_400_000;
    const scheduler = new BurnScheduler({
      maxSleepMs: Number.MAX_SAFE_INTEGER,
      onDue: (ids) => void destroyed.push(...ids),
    });
    schedulers.push(scheduler);
    scheduler.schedule('yearly', T0 + year);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(destroyed).toEqual([]);
    const delays = spy.mock.calls.map((call) => call[1] ?? 0);
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBe(MAX_TIMER_DELAY_MS);
    await vi.advanceTimersByTimeAsync(year - 1_001);
    expect(destroyed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(destroyed).toEqual(['yearly']);
    spy.mockRestore();
  });

  it('re-checks the wall clock at least every maxSleepMs', async () => {
    vi.useFakeTimers({ now: T0 });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const scheduler = new BurnScheduler({ maxSleepMs: 30_000, onDue: () => undefined });
    schedulers.push(scheduler);
    scheduler.schedule('m', T0 + 3_600_000);
    await vi.advanceTimersByTimeAsync(95_000);
    const delays = spy.mock.calls.map((call) => call[1] ?? 0);
    expect(delays.slice(0, 4)).toEqual([30_000, 30_000, 30_000, 30_000]);
    spy.mockRestore();
  });

  it('delivers a deadline already in the past on a later tick, never inside schedule()', async () => {
    vi.useFakeTimers({ now: T0 });
    const destroyed: string[] = [];
    const scheduler = new BurnScheduler({ onDue: (ids) => void destroyed.push(...ids) });
    schedulers.push(scheduler);
    scheduler.schedule('overdue', T0 - 60_000);
    expect(destroyed).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(destroyed).toEqual(['overdue']);
  });

  it('dispose stops the timer, forgets pending ids and refuses new ones', async () => {
    vi.useFakeTimers({ now: T0 });
    const destroyed: string[] = [];
    const scheduler = new BurnScheduler({ onDue: (ids) => void destroyed.push(...ids) });
    scheduler.schedule('m', T0 + 100);
    await vi.advanceTimersByTimeAsync(0);
    scheduler.dispose();
    expect(scheduler.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(destroyed).toEqual([]);
    expect(() => scheduler.schedule('n', T0 + 2_000)).toThrow(WispError);
  });
});

describe('BurnScheduler in real time (small scale)', () => {
  it('destroys 300 messages spread over ~300 ms, each at or after its deadline, in order', async () => {
    const start = Date.now();
    const deadlines = new Map<string, number>();
    const destroyed: { id: string; at: number }[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const scheduler = new BurnScheduler({
      onDue: (ids) => {
        const at = Date.now();
        for (const id of ids) destroyed.push({ id, at });
        if (destroyed.length === deadlines.size) done();
      },
    });
    schedulers.push(scheduler);
    for (let i = 0; i < 300; i++) {
      // Scheduled in reverse so order comes from the heap, not insertion.
      const id = `m${299 - i}`;
      const deadline = start + 20 + (299 - i);
      deadlines.set(id, deadline);
      scheduler.schedule(id, deadline);
    }
    await finished;
    expect(destroyed.map((d) => d.id)).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    for (const { id, at } of destroyed) expect(at).toBeGreaterThanOrEqual(deadlines.get(id)!);
    expect(scheduler.size).toBe(0);
  });

  it('lets the process exit with burns pending unless keepAlive is set', () => {
    const loose = new BurnScheduler({ onDue: () => undefined });
    const held = new BurnScheduler({ onDue: () => undefined, keepAlive: true });
    schedulers.push(loose, held);
    loose.schedule('m', Date.now() + 60_000);
    held.schedule('m', Date.now() + 60_000);
    return Promise.resolve().then(() => {
      const timers = (loose as unknown as { timer: NodeJS.Timeout }).timer;
      const heldTimer = (held as unknown as { timer: NodeJS.Timeout }).timer;
      expect(timers.hasRef()).toBe(false);
      expect(heldTimer.hasRef()).toBe(true);
    });
  });
});
