// Pure formatting for the UI: durations for timer badges and choices, times for message stamps.
import { BURN_MAX_MS, EXPIRE_MAX_MS } from '../../common/timers';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Live countdown label: "45s", "4m 05s", "3h 12m", "6d 4h". Seconds show under an hour so a burn
 * visibly ticks; rounds up so "0s" never shows while the message still exists.
 */
export function formatRemaining(ms: number): string {
  const left = Math.ceil(Math.max(0, ms) / SECOND) * SECOND;
  if (left < MINUTE) return `${left / SECOND}s`;
  if (left < HOUR) {
    const s = (left % MINUTE) / SECOND;
    return s === 0 ? `${left / MINUTE}m` : `${Math.floor(left / MINUTE)}m ${String(s).padStart(2, '0')}s`;
  }
  if (left < DAY) {
    const m = Math.ceil((left % HOUR) / MINUTE);
    const h = Math.floor(left / HOUR) + (m === 60 ? 1 : 0);
    return m === 0 || m === 60 ? `${h}h` : `${h}h ${m}m`;
  }
  const h = Math.ceil((left % DAY) / HOUR);
  const d = Math.floor(left / DAY) + (h === 24 ? 1 : 0);
  return h === 0 || h === 24 ? `${d}d` : `${d}d ${h}h`;
}

/** A duration in words for sentences: "10 seconds", "1 minute", "7 days". */
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

/** A message stamp: the time for today's messages, the date too for older ones (they can live a year). */
export function formatTime(at: number, now: number = Date.now()): string {
  const when = new Date(at);
  const today = new Date(now);
  const time = STAMP_TIME.format(when);
  if (when.toDateString() === today.toDateString()) return time;
  const date = (when.getFullYear() === today.getFullYear() ? STAMP_DATE : STAMP_DATE_YEAR).format(when);
  return `${date}, ${time}`;
}

// The stamps' and labels' formatters, made once: toLocale*String with options builds a new
// formatter on every call, and a scrolling list stamps every row it mounts. Same options, same output.
const STAMP_TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const STAMP_DATE = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short' });
const STAMP_DATE_YEAR = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short', year: 'numeric' });
const DAY_LABEL = new Intl.DateTimeFormat([], { weekday: 'short', day: 'numeric', month: 'short' });
const DAY_LABEL_YEAR = new Intl.DateTimeFormat([], {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});
const WEEKDAY = new Intl.DateTimeFormat([], { weekday: 'short' });

/** The earlier of the two deadlines, or null when neither runs. */
export function nextDeadline(expiresAt: number | null, burnAt: number | null): number | null {
  if (expiresAt === null) return burnAt;
  if (burnAt === null) return expiresAt;
  return Math.min(expiresAt, burnAt);
}

/** A day separator's label: "Today", "Yesterday", or the date ("Mon 3 Nov", with the year if not this one). */
export function formatDay(at: number, now: number = Date.now()): string {
  const day = new Date(at);
  const today = new Date(now);
  if (day.toDateString() === today.toDateString()) return 'Today';
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (day.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return (day.getFullYear() === today.getFullYear() ? DAY_LABEL : DAY_LABEL_YEAR).format(day);
}

/** A compact duration for badges: "10s", "5m", "1h", "7d". */
export function formatShortDuration(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  return `${Math.round(ms / SECOND)}s`;
}

/** The conversation list's time: the time today, "Yesterday", the weekday this week, else the date. */
export function formatListTime(at: number, now: number = Date.now()): string {
  const day = formatDay(at, now);
  if (day === 'Today') return STAMP_TIME.format(at);
  if (day === 'Yesterday') return day;
  if (now - at < 6 * DAY) return WEEKDAY.format(at);
  return STAMP_DATE.format(at);
}
