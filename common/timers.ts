// Timer arithmetic for self-destructing messages (PRODUCT.md, "Self-destructing messages"): ranges,
// validation, and the deadlines derived from them. Pure: no clock, no Node built-ins.
import { WispError } from './errors';

const SECOND_MS = 1000;
const DAY_MS = 24 * 60 * 60 * SECOND_MS;

export const EXPIRE_MIN_MS = 1 * SECOND_MS;
export const EXPIRE_MAX_MS = 365 * DAY_MS;
export const BURN_MIN_MS = 1 * SECOND_MS;
export const BURN_MAX_MS = 7 * DAY_MS;

/** The two per-message timers; null means "this timer is off". */
export interface MessageTimers {
  expireAfterMs: number | null;
  burnAfterMs: number | null;
}

/** Absolute deadlines in ms since the epoch; null where the timer is off or has not started. */
export interface MessageDeadlines {
  expiresAt: number | null;
  burnAt: number | null;
}

function checkDuration(name: string, value: unknown, min: number, max: number): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new WispError('InvalidInput', `${name} must be a whole number of milliseconds`);
  }
  if (value < min || value > max) {
    throw new WispError('InvalidInput', `${name} must be between ${min} ms and ${max} ms`, {
      recovery: `Choose a timer between ${min / SECOND_MS} s and ${max / DAY_MS} days.`,
    });
  }
  // `+ 0` turns a -0 that slipped through into 0 (cannot happen in range, but keeps output canonical).
  return value + 0;
}

/**
 * Validates a message's timers and returns them normalised (undefined → null).
 * Throws WispError('InvalidInput') when a timer is out of range or not an integer, or when
 * burn-on-read is longer than expiration (the message would be gone before the burn could end).
 */
export function validateTimers(timers: MessageTimers): MessageTimers {
  const expireAfterMs = checkDuration('expireAfter', timers.expireAfterMs, EXPIRE_MIN_MS, EXPIRE_MAX_MS);
  const burnAfterMs = checkDuration('burnAfter', timers.burnAfterMs, BURN_MIN_MS, BURN_MAX_MS);
  if (expireAfterMs !== null && burnAfterMs !== null && burnAfterMs > expireAfterMs) {
    throw new WispError('InvalidInput', 'burnAfter must not be longer than expireAfter', {
      recovery: 'Shorten the burn-on-read timer or lengthen the expiration.',
    });
  }
  return { expireAfterMs, burnAfterMs };
}

function checkInstant(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WispError('InvalidInput', `${name} must be a finite time in ms since the epoch`);
  }
}

/**
 * The expiration deadline of a message.
 * Sender's own copy (receivedAt null): sentAt + expireAfter.
 * Recipient: min(sentAt, receivedAt) + expireAfter, so a sender clock running ahead can never
 * lengthen a message's life, and a sentAt far in the past makes it arrive already expired.
 */
export function expiresAtFor(args: {
  sentAt: number;
  receivedAt: number | null;
  expireAfterMs: number | null;
}): number | null {
  const { sentAt, receivedAt, expireAfterMs } = args;
  if (expireAfterMs === null || expireAfterMs === undefined) return null;
  checkInstant('sentAt', sentAt);
  if (receivedAt === null || receivedAt === undefined) return sentAt + expireAfterMs;
  checkInstant('receivedAt', receivedAt);
  return Math.min(sentAt, receivedAt) + expireAfterMs;
}

/** The burn deadline: seenAt + burnAfter, or null while unseen or when burn-on-read is off. */
export function burnAtFor(seenAt: number | null, burnAfterMs: number | null): number | null {
  if (seenAt === null || seenAt === undefined || burnAfterMs === null || burnAfterMs === undefined) {
    return null;
  }
  checkInstant('seenAt', seenAt);
  return seenAt + burnAfterMs;
}

/** When a message is destroyed: the earlier of its non-null deadlines, or null if it has none. */
export function destroyAtOf(deadlines: MessageDeadlines): number | null {
  const { expiresAt, burnAt } = deadlines;
  if (expiresAt === null || expiresAt === undefined) return burnAt ?? null;
  if (burnAt === null || burnAt === undefined) return expiresAt;
  return Math.min(expiresAt, burnAt);
}

/**
 * True when a received message's expiration deadline has already passed at arrival: such a
 * message is never stored or shown. A deadline equal to receivedAt counts as passed, the same
 * way a due deadline is destroyed.
 */
export function isArrivedExpired(args: {
  sentAt: number;
  receivedAt: number;
  expireAfterMs: number | null;
}): boolean {
  const expiresAt = expiresAtFor(args);
  return expiresAt !== null && expiresAt <= args.receivedAt;
}

/** True when a deadline (from destroyAtOf) is due at `now`. */
export function isDue(destroyAt: number | null, now: number): boolean {
  return destroyAt !== null && destroyAt <= now;
}

const SECONDS_PATTERN = /^\d+(\.\d{1,3})?$/;

/**
 * Converts a CLI timer given in seconds (e.g. `--burn 10`, `--expire 1.5`) to ms.
 * Absent input gives null. Accepts up to millisecond precision; rejects negative, non-numeric and
 * exponent forms. Range checks are left to validateTimers, which knows which timer it is.
 */
export function secondsToMs(input: string | number | null | undefined): number | null {
  if (input === null || input === undefined) return null;
  const text = typeof input === 'number' ? String(input) : input.trim();
  if (!SECONDS_PATTERN.test(text)) {
    throw new WispError('InvalidInput', 'a timer must be a number of seconds, e.g. 10 or 1.5', {
      recovery: 'Give the timer in seconds, like --burn 10.',
    });
  }
  const [whole = '0', fraction = ''] = text.split('.');
  const ms = Number(whole) * SECOND_MS + Number(fraction.padEnd(3, '0'));
  if (!Number.isSafeInteger(ms)) {
    throw new WispError('InvalidInput', 'the timer is too large');
  }
  return ms;
}
