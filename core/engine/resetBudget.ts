// How many session resets the engine may start. Each reset fetches the sender's prekey bundle, and
// any sender can provoke one, so the allowance is kept in the profile's settings (a new process —
// every CLI command — must not start with a fresh one) and is bounded per contact AND overall.
import type { SettingsRepo } from '../store/repos/settingsRepo';

/** One reset per contact per interval: a broken session needs one reset, not one per message. */
export const PER_CONTACT_INTERVAL_MS = 10 * 60_000;
/** The window of the global budget, and how long a reset is remembered. */
export const RESET_WINDOW_MS = 60 * 60_000;
/**
 * Resets across all senders per window. The relay lets one account fetch 100 bundles at once and
 * 1 a second after that (relay/config.ts, rates.bundleFetches); ten an hour leaves nearly all of
 * it to the user's own new conversations, however many strangers send undecryptable messages.
 */
export const GLOBAL_RESETS_PER_WINDOW = 10;

const SETTINGS_KEY = 'engine.resetBudget';

interface ResetRecord {
  accountId: string;
  at: number;
}

function isRecord(value: unknown): value is ResetRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.accountId === 'string' && typeof r.at === 'number' && Number.isFinite(r.at);
}

/**
 * The resets of the last window, and whether any was stamped ahead of `now`. Such a stamp (the
 * clock was set back) is moved to `now` and stored so, so a clock change can delay a refill by one
 * window but neither skip one nor block resets until the clock catches up. PER_CONTACT_INTERVAL_MS
 * ≤ RESET_WINDOW_MS, so this list alone answers both questions and never holds more than
 * GLOBAL_RESETS_PER_WINDOW entries.
 */
function recentResets(
  settings: Pick<SettingsRepo, 'get'>,
  now: number,
): { recent: ResetRecord[]; clamped: boolean } {
  const stored = settings.get<unknown>(SETTINGS_KEY);
  if (!Array.isArray(stored)) return { recent: [], clamped: false };
  const valid = stored.filter(isRecord);
  return {
    recent: valid
      .map((r) => ({ accountId: r.accountId, at: Math.min(r.at, now) }))
      .filter((r) => now - r.at < RESET_WINDOW_MS),
    clamped: valid.some((r) => r.at > now),
  };
}

/**
 * Takes one reset of `accountId` at `now` from the budget and returns true, or returns false when
 * this contact was reset within PER_CONTACT_INTERVAL_MS or the global budget of the last
 * RESET_WINDOW_MS is spent. Taken before the fetch: a reset that then fails still counts, or a
 * sender whose bundle cannot be fetched could make us try on every message.
 */
export function takeReset(
  settings: Pick<SettingsRepo, 'get' | 'set'>,
  accountId: string,
  now: number,
): boolean {
  const { recent, clamped } = recentResets(settings, now);
  const allowed =
    recent.length < GLOBAL_RESETS_PER_WINDOW &&
    !recent.some((r) => r.accountId === accountId && now - r.at < PER_CONTACT_INTERVAL_MS);
  if (allowed) settings.set(SETTINGS_KEY, [...recent, { accountId, at: now }]);
  else if (clamped) settings.set(SETTINGS_KEY, recent);
  return allowed;
}
