// Writing a message: its text, a file (the paperclip, a pasted image, or one dropped on the
// conversation), and its two timers for this one message (defaults come from the conversation).
// Enter sends, Shift+Enter adds a line.
import { Paperclip } from 'lucide-react';
import { useId, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent } from 'react';
import { attachRefusal } from '../lib/attachments';
import { BURN_CHOICES, EXPIRE_CHOICES } from '../lib/format';
import { AttachmentChip } from './AttachmentChip';
import { TimerSelect } from './TimerSelect';

export interface ComposerTimers {
  expireAfterMs: number | null;
  burnAfterMs: number | null;
}

export interface ComposerProps {
  initialTimers: ComposerTimers;
  busy: boolean;
  /** `file` only when one is attached. */
  onSend: (text: string, timers: ComposerTimers, file?: File) => void;
  /** The file waiting to go with the next message (held by the conversation, which takes drops). */
  attachment?: File | null;
  onAttach?: (file: File | null) => void;
}

export function Composer({ initialTimers, busy, onSend, attachment = null, onAttach }: ComposerProps) {
  const hintId = useId();
  const picker = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [timers, setTimers] = useState<ComposerTimers>(initialTimers);
  const burnTooLong =
    timers.burnAfterMs !== null && timers.expireAfterMs !== null && timers.burnAfterMs > timers.expireAfterMs;
  const refusal = attachment === null ? null : attachRefusal(attachment);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (busy || burnTooLong || refusal !== null || (text.trim().length === 0 && attachment === null)) return;
    if (attachment === null) onSend(text, timers);
    else onSend(text, timers, attachment);
    setText('');
    onAttach?.(null);
  }

  /** A pasted image (a screenshot) becomes the attachment; pasted text stays text. */
  function onPaste(event: ClipboardEvent<HTMLTextAreaElement>) {
    const file = [...event.clipboardData.files].find((f) => f.type.startsWith('image/'));
    if (file === undefined || onAttach === undefined) return;
    event.preventDefault();
    onAttach(file.name === '' ? new File([file], 'pasted-image.png', { type: file.type }) : file);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  }

  return (
    <form className="composer" onSubmit={submit}>
      {attachment !== null && (
        <AttachmentChip name={attachment.name} size={attachment.size} onRemove={() => onAttach?.(null)} />
      )}
      {refusal !== null && <p className="hint">{refusal}</p>}
      <textarea
        aria-label="Message"
        aria-describedby={hintId}
        placeholder="Write a message"
        value={text}
        rows={2}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
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
        <span className="composer-actions">
          {onAttach !== undefined && (
            <button
              type="button"
              className="icon attach-button"
              aria-label="Attach a file"
              title="Attach a file"
              disabled={busy}
              onClick={() => picker.current?.click()}
            >
              <Paperclip size={16} aria-hidden="true" />
            </button>
          )}
          <button
            type="submit"
            disabled={
              busy || burnTooLong || refusal !== null || (text.trim().length === 0 && attachment === null)
            }
          >
            Send
          </button>
        </span>
      </div>
      {burnTooLong && <p className="hint">Burn-on-read can never be longer than expiration.</p>}
      {onAttach !== undefined && (
        <input
          ref={picker}
          type="file"
          className="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file !== undefined) onAttach(file);
            e.target.value = '';
          }}
        />
      )}
    </form>
  );
}
