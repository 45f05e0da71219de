// Writing a message: its text and its two timers for this one message (defaults come from the
// conversation). Enter sends, Shift+Enter adds a line.
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { BURN_CHOICES, EXPIRE_CHOICES } from '../lib/format';
import { TimerSelect } from './TimerSelect';

export interface ComposerTimers {
  expireAfterMs: number | null;
  burnAfterMs: number | null;
}

export interface ComposerProps {
  initialTimers: ComposerTimers;
  busy: boolean;
  onSend: (text: string, timers: ComposerTimers) => void;
}

export function Composer({ initialTimers, busy, onSend }: ComposerProps) {
  const hintId = useId();
  const [text, setText] = useState('');
  const [timers, setTimers] = useState<ComposerTimers>(initialTimers);
  const burnTooLong =
    timers.burnAfterMs !== null && timers.expireAfterMs !== null && timers.burnAfterMs > timers.expireAfterMs;

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (busy || burnTooLong || text.trim().length === 0) return;
    onSend(text, timers);
    setText('');
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  }

  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        aria-label="Message"
        aria-describedby={hintId}
        placeholder="Write a message"
        value={text}
        rows={2}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <p id={hintId} className="visually-hidden">
        Enter sends. Shift+Enter starts a new line.
      </p>
      <div className="composer-controls">
        <TimerSelect
          label="Expires"
          choices={EXPIRE_CHOICES}
          value={timers.expireAfterMs}
          onChange={(ms) => setTimers((t) => ({ ...t, expireAfterMs: ms }))}
        />
        <TimerSelect
          label="Burn after reading"
          choices={BURN_CHOICES}
          value={timers.burnAfterMs}
          onChange={(ms) => setTimers((t) => ({ ...t, burnAfterMs: ms }))}
        />
        <button type="submit" disabled={busy || burnTooLong || text.trim().length === 0}>
          Send
        </button>
      </div>
      {burnTooLong && <p className="hint">Burn-on-read can never be longer than expiration.</p>}
    </form>
  );
}
