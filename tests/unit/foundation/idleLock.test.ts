// Idle lock: locks once the system has been idle for the chosen minutes, once per idle stretch,
// and never when the setting is off.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdleLock } from '../../../core/services';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function world(minutes: number | null) {
  const state = { idle: 0, minutes, locks: 0 };
  const stop = startIdleLock({
    idleSeconds: () => state.idle,
    minutes: async () => state.minutes,
    lock: async () => void state.locks++,
    intervalMs: 1000,
  });
  return { state, stop };
}

describe('startIdleLock', () => {
  it('locks after the chosen idle minutes, once per idle stretch', async () => {
    const { state, stop } = world(5);
    state.idle = 4 * 60;
    await vi.advanceTimersByTimeAsync(3000);
    expect(state.locks).toBe(0);
    state.idle = 5 * 60;
    await vi.advanceTimersByTimeAsync(3000);
    expect(state.locks).toBe(1);
    state.idle = 0; // the user came back
    await vi.advanceTimersByTimeAsync(1000);
    state.idle = 6 * 60;
    await vi.advanceTimersByTimeAsync(1000);
    expect(state.locks).toBe(2);
    stop();
  });

  it('never locks on idle when the setting is off, and stops when told', async () => {
    const { state, stop } = world(null);
    state.idle = 24 * 3600;
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.locks).toBe(0);
    state.minutes = 1;
    stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.locks).toBe(0);
  });
});
