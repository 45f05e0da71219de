// Starting a conversation: the other person's username, looked up at the relay by the container.
// The typed name stays when the lookup fails (the error shows right under it); the container
// remounts the form with a new key once the conversation opened.
import { useId, useState, type FormEvent } from 'react';
import { ErrorNote } from './ErrorNote';

export interface NewConversationFormProps {
  busy: boolean;
  /** Why the last lookup failed, shown under the field. */
  error?: { message: string; recovery?: string | undefined } | null;
  onStart: (username: string) => void;
}

export function NewConversationForm({ busy, error = null, onStart }: NewConversationFormProps) {
  const errorId = useId();
  const [username, setUsername] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    const name = username.trim();
    if (name.length < 3 || busy) return;
    onStart(name);
  }
  return (
    <form className="new-conversation" onSubmit={submit} aria-label="Start a conversation">
      <label className="field">
        <span className="visually-hidden">Username to message</span>
        <input
          placeholder="Username to message"
          value={username}
          maxLength={32}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setUsername(e.target.value)}
          aria-invalid={error !== null || undefined}
          aria-describedby={error !== null ? errorId : undefined}
        />
      </label>
      <button type="submit" disabled={busy || username.trim().length < 3}>
        Start
      </button>
      <div id={errorId} className="form-error">
        <ErrorNote error={error} />
      </div>
    </form>
  );
}
