// Pure formatting for the UI: durations for timer badges and choices, times for message stamps.
import { BURN_MAX_MS, EXPIRE_MAX_MS } from '../../common/timers';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Short remaining-time label: "45s", "12m", "3h", "6d". Rounds up so "0s" never shows early. */
export function formatRemaining(ms: number): string {
  const left = Math.max(0, ms);
  if (left < MINUTE) return `${Math.ceil(left / SECOND)}s`;
  if (left < HOUR) return `${Math.ceil(left / MINUTE)}m`;
  if (left < DAY) return `${Math.ceil(left / HOUR)}h`;
  return `${Math.ceil(left / DAY)}d`;
}

export function formatDuration(ms: number): string {
  if (ms % DAY === 0) return plural(ms / DAY, 'day');
  if (ms % HOUR === 0) return plural(ms / HOUR, 'hour');
  if (ms % MINUTE === 0) return plural(ms / MINUTE, 'minute');
  return plural(Math.round(ms / SECOND), 'second');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export interface TimerChoice {
  label: string;
  /** null = off */
  ms: number | null;
}

const STEPS = [10 * SECOND, 30 * SECOND, MINUTE, 5 * MINUTE, HOUR, DAY, 7 * DAY, 30 * DAY, 365 * DAY];

export const EXPIRE_CHOICES: TimerChoice[] = [
  { label: 'Off', ms: null },
  ...STEPS.filter((ms) => ms <= EXPIRE_MAX_MS).map((ms) => ({ label: formatDuration(ms), ms })),
];

export const BURN_CHOICES: TimerChoice[] = [
  { label: 'Off', ms: null },
  ...STEPS.filter((ms) => ms <= BURN_MAX_MS).map((ms) => ({ label: formatDuration(ms), ms })),
];

export function formatTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The earlier of the two deadlines, or null when neither runs. */
export function nextDeadline(expiresAt: number | null, burnAt: number | null): number | null {
  if (expiresAt === null) return burnAt;
  if (burnAt === null) return expiresAt;
  return Math.min(expiresAt, burnAt);
}
