// Unit tests for common/timers: ranges, normalisation, deadlines and the clock-skew bound.
import { describe, expect, it } from 'vitest';
import { WispError } from '../../common/errors';
import {
  BURN_MAX_MS,
  BURN_MIN_MS,
  EXPIRE_MAX_MS,
  EXPIRE_MIN_MS,
  burnAtFor,
  destroyAtOf,
  expiresAtFor,
  isArrivedExpired,
  isDue,
  secondsToMs,
  validateTimers,
} from '../../common/timers';

const DAY = 86_400_000;
const HOUR = 3_600_000;

function invalidInput(fn: () => unknown): WispError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WispError);
    expect((error as WispError).kind).toBe('InvalidInput');
    return error as WispError;
  }
  throw new Error('expected InvalidInput to be thrown');
}

describe('timer constants', () => {
  it('match the ranges in PRODUCT.md', () => {
    expect(EXPIRE_MIN_MS).toBe(1000);
    expect(EXPIRE_MAX_MS).toBe(365 * DAY);
    expect(BURN_MIN_MS).toBe(1000);
    expect(BURN_MAX_MS).toBe(7 * DAY);
  });
});

describe('validateTimers', () => {
  it('accepts both timers off', () => {
    expect(validateTimers({ expireAfterMs: null, burnAfterMs: null })).toEqual({
      expireAfterMs: null,
      burnAfterMs: null,
    });
  });

  it('normalises undefined timers to null', () => {
    const loose = { expireAfterMs: undefined, burnAfterMs: undefined } as unknown as {
      expireAfterMs: null;
      burnAfterMs: null;
    };
    expect(validateTimers(loose)).toEqual({ expireAfterMs: null, burnAfterMs: null });
  });

  it('accepts the exact boundaries of both ranges', () => {
    expect(validateTimers({ expireAfterMs: EXPIRE_MIN_MS, burnAfterMs: null })).toEqual({
      expireAfterMs: 1000,
      burnAfterMs: null,
    });
    expect(validateTimers({ expireAfterMs: EXPIRE_MAX_MS, burnAfterMs: BURN_MAX_MS })).toEqual({
      expireAfterMs: EXPIRE_MAX_MS,
      burnAfterMs: BURN_MAX_MS,
    });
    expect(validateTimers({ expireAfterMs: null, burnAfterMs: BURN_MIN_MS })).toEqual({
      expireAfterMs: null,
      burnAfterMs: 1000,
    });
  });

  it('rejects expiration one ms outside either end of its range', () => {
    invalidInput(() => validateTimers({ expireAfterMs: EXPIRE_MIN_MS - 1, burnAfterMs: null }));
    invalidInput(() => validateTimers({ expireAfterMs: EXPIRE_MAX_MS + 1, burnAfterMs: null }));
    invalidInput(() => validateTimers({ expireAfterMs: 0, burnAfterMs: null }));
    invalidInput(() => validateTimers({ expireAfterMs: -5000, burnAfterMs: null }));
  });

  it('rejects burn one ms outside either end of its range', () => {
    invalidInput(() => validateTimers({ expireAfterMs: null, burnAfterMs: BURN_MIN_MS - 1 }));
    invalidInput(() => validateTimers({ expireAfterMs: null, burnAfterMs: BURN_MAX_MS + 1 }));
    // Burn longer than 7 days is refused even when expiration would allow it.
    invalidInput(() => validateTimers({ expireAfterMs: EXPIRE_MAX_MS, burnAfterMs: BURN_MAX_MS + 1 }));
  });

  it('rejects non-integer, NaN, infinite and non-number timers', () => {
    invalidInput(() => validateTimers({ expireAfterMs: 1500.5, burnAfterMs: null }));
    invalidInput(() => validateTimers({ expireAfterMs: null, burnAfterMs: 2000.1 }));
    invalidInput(() => validateTimers({ expireAfterMs: Number.NaN, burnAfterMs: null }));
    invalidInput(() => validateTimers({ expireAfterMs: Number.POSITIVE_INFINITY, burnAfterMs: null }));
    invalidInput(() => validateTimers({ expireAfterMs: '5000' as unknown as number, burnAfterMs: null }));
  });

  it('rejects burn longer than expiration but accepts them equal', () => {
    const error = invalidInput(() => validateTimers({ expireAfterMs: 10_000, burnAfterMs: 10_001 }));
    expect(error.message).toMatch(/burnAfter/);
    expect(validateTimers({ expireAfterMs: 10_000, burnAfterMs: 10_000 })).toEqual({
      expireAfterMs: 10_000,
      burnAfterMs: 10_000,
    });
  });

  it('gives a recovery hint for an out-of-range timer', () => {
    const error = invalidInput(() => validateTimers({ expireAfterMs: 10, burnAfterMs: null }));
    expect(error.recovery).toMatch(/1 s/);
  });
});

describe('expiresAtFor', () => {
  const sentAt = 1_700_000_000_000;

  it('is null when expiration is off', () => {
    expect(expiresAtFor({ sentAt, receivedAt: null, expireAfterMs: null })).toBeNull();
    expect(expiresAtFor({ sentAt, receivedAt: sentAt + 5, expireAfterMs: null })).toBeNull();
  });

  it('gives the sender sentAt + expireAfter', () => {
    expect(expiresAtFor({ sentAt, receivedAt: null, expireAfterMs: 60_000 })).toBe(sentAt + 60_000);
  });

  it('gives a recipient sentAt + expireAfter when the message arrives after it was sent', () => {
    expect(expiresAtFor({ sentAt, receivedAt: sentAt + 2_000, expireAfterMs: 60_000 })).toBe(sentAt + 60_000);
  });

  it('bounds a recipient by receivedAt + expireAfter when the sender clock is 1 h ahead', () => {
    const trueNow = sentAt;
    const skewedSentAt = trueNow + HOUR;
    const expiresAt = expiresAtFor({ sentAt: skewedSentAt, receivedAt: trueNow, expireAfterMs: 60_000 });
    expect(expiresAt).toBe(trueNow + 60_000);
    // The skew bought the message no extra life.
    expect(expiresAt).toBeLessThan(skewedSentAt + 60_000);
  });

  it('makes a message whose sentAt is far in the past already expired at arrival', () => {
    const receivedAt = sentAt;
    const expiresAt = expiresAtFor({ sentAt: sentAt - DAY, receivedAt, expireAfterMs: HOUR });
    expect(expiresAt).toBe(sentAt - DAY + HOUR);
    expect(expiresAt!).toBeLessThan(receivedAt);
  });

  it('rejects a non-finite sentAt or receivedAt', () => {
    invalidInput(() => expiresAtFor({ sentAt: Number.NaN, receivedAt: null, expireAfterMs: 1000 }));
    invalidInput(() => expiresAtFor({ sentAt, receivedAt: Number.POSITIVE_INFINITY, expireAfterMs: 1000 }));
  });
});

describe('burnAtFor', () => {
  it('is null until the message is seen', () => {
    expect(burnAtFor(null, 10_000)).toBeNull();
  });

  it('is null when burn-on-read is off', () => {
    expect(burnAtFor(1_000, null)).toBeNull();
  });

  it('counts from seenAt', () => {
    expect(burnAtFor(1_700_000_000_000, 10_000)).toBe(1_700_000_010_000);
  });

  it('rejects a non-finite seenAt', () => {
    invalidInput(() => burnAtFor(Number.NaN, 10_000));
  });
});

describe('destroyAtOf', () => {
  it('is null when neither deadline is set', () => {
    expect(destroyAtOf({ expiresAt: null, burnAt: null })).toBeNull();
  });

  it('is the only deadline when one is set', () => {
    expect(destroyAtOf({ expiresAt: 500, burnAt: null })).toBe(500);
    expect(destroyAtOf({ expiresAt: null, burnAt: 700 })).toBe(700);
  });

  it('is the earlier deadline when both are set, whichever it is', () => {
    expect(destroyAtOf({ expiresAt: 500, burnAt: 700 })).toBe(500);
    expect(destroyAtOf({ expiresAt: 900, burnAt: 700 })).toBe(700);
    expect(destroyAtOf({ expiresAt: 700, burnAt: 700 })).toBe(700);
  });

  it('keeps a deadline of 0 (the epoch) rather than treating it as unset', () => {
    expect(destroyAtOf({ expiresAt: 0, burnAt: 700 })).toBe(0);
    expect(destroyAtOf({ expiresAt: 700, burnAt: 0 })).toBe(0);
  });
});

describe('isArrivedExpired', () => {
  const receivedAt = 1_700_000_000_000;

  it('is false when expiration is off, however old the message', () => {
    expect(isArrivedExpired({ sentAt: receivedAt - 10 * DAY, receivedAt, expireAfterMs: null })).toBe(false);
  });

  it('is false for a message that still has time left', () => {
    expect(isArrivedExpired({ sentAt: receivedAt - 500, receivedAt, expireAfterMs: 1000 })).toBe(false);
  });

  it('is true when the deadline falls exactly at arrival', () => {
    expect(isArrivedExpired({ sentAt: receivedAt - 1000, receivedAt, expireAfterMs: 1000 })).toBe(true);
  });

  it('is true for a message sent far in the past', () => {
    expect(isArrivedExpired({ sentAt: receivedAt - DAY, receivedAt, expireAfterMs: HOUR })).toBe(true);
  });

  it('is false for a message from a sender clock ahead (bounded, not expired)', () => {
    expect(isArrivedExpired({ sentAt: receivedAt + HOUR, receivedAt, expireAfterMs: 1000 })).toBe(false);
  });
});

describe('isDue', () => {
  it('is due at and after the deadline, never without one', () => {
    expect(isDue(1000, 999)).toBe(false);
    expect(isDue(1000, 1000)).toBe(true);
    expect(isDue(1000, 1001)).toBe(true);
    expect(isDue(null, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('secondsToMs', () => {
  it('returns null for an absent option', () => {
    expect(secondsToMs(undefined)).toBeNull();
    expect(secondsToMs(null)).toBeNull();
  });

  it('converts whole and fractional seconds exactly', () => {
    expect(secondsToMs('10')).toBe(10_000);
    expect(secondsToMs(' 10 ')).toBe(10_000);
    expect(secondsToMs('1.5')).toBe(1_500);
    expect(secondsToMs('0.001')).toBe(1);
    expect(secondsToMs('2.25')).toBe(2_250);
    expect(secondsToMs(3)).toBe(3_000);
    expect(secondsToMs('31536000')).toBe(EXPIRE_MAX_MS);
  });

  it('rejects negative, empty, non-numeric, exponent and sub-millisecond input', () => {
    for (const bad of ['-1', '', 'ten', '1e3', '1.2345', '10s', '.5', 'Infinity', 'NaN']) {
      invalidInput(() => secondsToMs(bad));
    }
    invalidInput(() => secondsToMs(-2));
    invalidInput(() => secondsToMs(Number.NaN));
  });

  it('feeds validateTimers, which applies the range', () => {
    const burn = secondsToMs('10');
    expect(validateTimers({ expireAfterMs: null, burnAfterMs: burn })).toEqual({
      expireAfterMs: null,
      burnAfterMs: 10_000,
    });
    invalidInput(() => validateTimers({ expireAfterMs: null, burnAfterMs: secondsToMs('0.5') }));
  });
});
