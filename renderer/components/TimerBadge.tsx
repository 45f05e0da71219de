// Shows how long a message has left, and which timer will end it (expiration or burn-on-read).
import { formatRemaining } from '../lib/format';

export interface TimerBadgeProps {
  expiresAt: number | null;
  burnAt: number | null;
  /** Burn-on-read set but not started (unseen): shown as waiting, not counting. */
  burnAfterMs: number | null;
  now: number;
}

export function TimerBadge({ expiresAt, burnAt, burnAfterMs, now }: TimerBadgeProps) {
  const burning = burnAt !== null && (expiresAt === null || burnAt <= expiresAt);
  if (burning) {
    return (
      <span
        className="timer-badge burn"
        title="Burns after reading"
        aria-label={`burns in ${formatRemaining(burnAt - now)}`}
      >
        🔥 {formatRemaining(burnAt - now)}
      </span>
    );
  }
  if (expiresAt !== null) {
    return (
      <span
        className="timer-badge expire"
        title="Expires"
        aria-label={`expires in ${formatRemaining(expiresAt - now)}`}
      >
        ⏳ {formatRemaining(expiresAt - now)}
      </span>
    );
  }
  if (burnAfterMs !== null) {
    return (
      <span className="timer-badge burn-waiting" title="Burns after reading" aria-label="burns after reading">
        🔥 on read
      </span>
    );
  }
  return null;
}
