// Starting a conversation: the other person's username, looked up at the relay by the container.
import { useState, type FormEvent } from 'react';

export interface NewConversationFormProps {
  busy: boolean;
  onStart: (username: string) => void;
}

export function NewConversationForm({ busy, onStart }: NewConversationFormProps) {
  const [username, setUsername] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    const name = username.trim();
    if (name.length < 3 || busy) return;
    onStart(name);
    setUsername('');
  }
  return (
    <form className="new-conversation" onSubmit={submit}>
      <label>
        <span className="visually-hidden">Username to message</span>
        <input
          placeholder="Username to message"
          value={username}
          maxLength={32}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setUsername(e.target.value)}
        />
      </label>
      <button type="submit" disabled={busy || username.trim().length < 3}>
        Start
      </button>
    </form>
  );
}
