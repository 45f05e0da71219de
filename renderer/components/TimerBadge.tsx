// Says in words how a message will end and when: "burns in 4m 05s" (a live countdown once burning),
// "expires in 2h 10m", or "burns 10 seconds after you read it" while burn-on-read waits for a read.
// Words, not emoji: Linux desktops without an emoji font would show empty boxes.
import { formatDuration, formatRemaining } from '../lib/format';

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
    const left = formatRemaining(burnAt - now);
    return (
      <span
        className="timer-badge burn"
        title="Burn-on-read is counting down: the message is destroyed at zero"
      >
        <span aria-label={`burns in ${left}`} role="timer">
          burns in {left}
        </span>
      </span>
    );
  }
  const waiting = burnAt === null && burnAfterMs !== null;
  const waitingText = waiting ? `burns ${formatDuration(burnAfterMs)} after you read it` : null;
  if (expiresAt !== null) {
    const left = formatRemaining(expiresAt - now);
    return (
      <span className="timer-badge expire" title="Deleted everywhere when this runs out, read or not">
        <span aria-label={`expires in ${left}`} role="timer">
          expires in {left}
        </span>
        {waitingText !== null && (
          <span className="burn-waiting" aria-label={waitingText}>
            {' · '}
            {waitingText}
          </span>
        )}
      </span>
    );
  }
  if (waitingText !== null) {
    return (
      <span
        className="timer-badge burn-waiting"
        title="The countdown starts when the message is on screen while Wisp has focus"
        aria-label={waitingText}
      >
        {waitingText}
      </span>
    );
  }
  return null;
}
