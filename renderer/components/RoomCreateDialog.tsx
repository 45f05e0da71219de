// "New room": a name and the first members (RoomMemberPicker), in a modal dialog. Pure: the
// container creates the room and shows why it failed; nothing is sent until "Create room".
import { useRef, useState, type FormEvent } from 'react';
import type { ContactView } from '../../common/engine';
import { Dialog } from './Dialog';
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
  const nameField = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const ready = name.trim().length > 0 && members.length > 0 && !busy;
  function submit(event: FormEvent) {
    event.preventDefault();
    if (ready) onCreate(name.trim(), members);
  }
  return (
    // A click beside it does not close it: that would lose the name and members chosen so far.
    <Dialog
      title="New room"
      className="room-dialog"
      initialFocus={nameField}
      closeOnBackdrop={false}
      onClose={onCancel}
    >
      <form className="room-dialog-form" onSubmit={submit}>
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
    </Dialog>
  );
}
