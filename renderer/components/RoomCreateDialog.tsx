// "New room": a name and the first members (RoomMemberPicker), in a modal dialog. Pure: the
// container creates the room and shows why it failed; nothing is sent until "Create room".
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ContactView } from '../../common/engine';
import { ErrorNote } from './ErrorNote';
import { RoomMemberPicker } from './RoomMemberPicker';

export interface RoomCreateDialogProps {
  contacts: ContactView[];
  busy: boolean;
  error: { message: string; recovery?: string | undefined } | null;
  onCreate: (name: string, members: string[]) => void;
  onCancel: () => void;
}

export const ROOM_NAME_MAX = 100;

export function RoomCreateDialog({ contacts, busy, error, onCreate, onCancel }: RoomCreateDialogProps) {
  const titleId = useId();
  const nameField = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  useEffect(() => nameField.current?.focus(), []);
  const ready = name.trim().length > 0 && members.length > 0 && !busy;
  function submit(event: FormEvent) {
    event.preventDefault();
    if (ready) onCreate(name.trim(), members);
  }
  return (
    <div className="overlay" role="presentation">
      <form
        className="dialog card room-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onSubmit={submit}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      >
        <h2 id={titleId}>New room</h2>
        <label>
          Room name
          <input
            ref={nameField}
            value={name}
            maxLength={ROOM_NAME_MAX}
            autoComplete="off"
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <RoomMemberPicker contacts={contacts} selected={members} onChange={setMembers} disabled={busy} />
        <ErrorNote error={error} />
        <div className="dialog-buttons">
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" disabled={!ready}>
            {busy ? 'Creating…' : 'Create room'}
          </button>
        </div>
      </form>
    </div>
  );
}
