// A room's details beside its messages: the member list with roles and names (unconfirmed names
// shown as hints), and the controls a member may use. Admins rename, set the room's timers, add,
// remove, promote and demote; everyone may leave. A non-admin sees no admin control at all (every
// member's engine refuses a non-admin's change anyway). Pure: the container calls the engine.
import { LogOut, Shield, ShieldOff, UserMinus, X } from 'lucide-react';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ContactView, ConversationTimers, ConversationView } from '../../common/engine';
import type { RoomMemberView } from '../../common/ipc/rooms';
import { BURN_CHOICES, EXPIRE_CHOICES } from '../lib/format';
import { ErrorNote } from './ErrorNote';
import { ROOM_NAME_MAX } from './RoomCreateDialog';
import { RoomMemberPicker } from './RoomMemberPicker';
import { UNKNOWN_MEMBER } from './RoomSenderName';
import { TimerSelect } from './TimerSelect';

export interface RoomMembersPanelProps {
  room: ConversationView;
  members: RoomMemberView[];
  /** All contacts; those already in the room are left out of the add picker. */
  contacts: ContactView[];
  busy: boolean;
  error: { message: string; recovery?: string | undefined } | null;
  onRename: (name: string) => void;
  onSetTimers: (timers: ConversationTimers) => void;
  onAdd: (members: string[]) => void;
  /** Asks to remove (the container confirms first). */
  onRemove: (member: RoomMemberView) => void;
  onPromote: (member: RoomMemberView) => void;
  onDemote: (member: RoomMemberView) => void;
  /** Asks to leave (the container confirms first). */
  onLeave: () => void;
  onClose: () => void;
}

/** The name a member is shown by: "You", the confirmed username, or "Unknown member". */
export function memberLabel(m: RoomMemberView): string {
  return m.self ? 'You' : (m.username ?? UNKNOWN_MEMBER);
}

/** What the panel lets the app's user do (the role rules, tested on their own). */
export function roomPermissions(room: ConversationView, member?: RoomMemberView) {
  const admin = room.isAdmin === true && !room.left;
  return {
    manage: admin,
    remove: admin && member !== undefined && !member.self,
    promote: admin && member !== undefined && member.role === 'member',
    demote: admin && member !== undefined && member.role === 'admin',
    leave: !room.left,
  };
}

export function RoomMembersPanel(props: RoomMembersPanelProps) {
  const { room, members, contacts, busy, error, onClose, onLeave } = props;
  const headingId = useId();
  const timersId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const [adding, setAdding] = useState<string[]>([]);
  const can = roomPermissions(room);
  // Keyboard and screen-reader users land on the panel they just opened.
  useEffect(() => heading.current?.focus(), []);
  const inRoom = new Set(members.map((m) => m.accountId));
  const addable = contacts.filter((c) => !inRoom.has(c.accountId) && c.username !== null);
  const admins = members.filter((m) => m.role === 'admin').length;

  function add(event: FormEvent) {
    event.preventDefault();
    if (adding.length === 0) return;
    props.onAdd(adding);
    setAdding([]);
  }
  return (
    <section
      className="room-panel"
      aria-labelledby={headingId}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <header>
        <h3 id={headingId} ref={heading} tabIndex={-1}>
          Room details
        </h3>
        <button type="button" className="icon" aria-label="Close room details" onClick={onClose}>
          <X size={16} aria-hidden="true" />
        </button>
      </header>
      {room.left && <p className="hint">You left this room. Its messages stay here until they expire.</p>}
      {/* Keyed by the title: a rename from anywhere resets the field to the room's name. */}
      {can.manage && (
        <RoomRenameForm key={room.title} title={room.title} busy={busy} onRename={props.onRename} />
      )}
      {can.manage && (
        <div className="room-timers" role="group" aria-labelledby={timersId}>
          <h4 id={timersId}>Disappearing messages, for everyone in the room</h4>
          <TimerSelect
            label="Room messages expire"
            choices={EXPIRE_CHOICES}
            value={room.defaultTimers.expireAfterMs}
            disabled={busy}
            onChange={(ms) => props.onSetTimers({ ...room.defaultTimers, expireAfterMs: ms })}
          />
          <TimerSelect
            label="Room messages burn after reading"
            choices={BURN_CHOICES}
            value={room.defaultTimers.burnAfterMs}
            disabled={busy}
            onChange={(ms) => props.onSetTimers({ ...room.defaultTimers, burnAfterMs: ms })}
          />
        </div>
      )}
      <h4>{members.length === 1 ? '1 member' : `${members.length} members`}</h4>
      <ul className="room-members" aria-label="Members">
        {members.map((m) => {
          const may = roomPermissions(room, m);
          const label = memberLabel(m);
          return (
            <li key={m.accountId}>
              <span className="member-name">
                {label}
                {m.nameHint !== null && <span className="hint"> (says “{m.nameHint}”, unconfirmed)</span>}
              </span>
              {m.role === 'admin' && <span className="role">Admin</span>}
              {(may.promote || may.demote || may.remove) && (
                <span className="member-actions">
                  {may.promote && (
                    <button
                      type="button"
                      className="small"
                      disabled={busy}
                      aria-label={`Make admin: ${label}`}
                      onClick={() => props.onPromote(m)}
                    >
                      <Shield size={14} aria-hidden="true" /> Make admin
                    </button>
                  )}
                  {/* A room keeps an admin (the engine refuses otherwise): the last one cannot step down. */}
                  {may.demote && admins > 1 && (
                    <button
                      type="button"
                      className="small"
                      disabled={busy}
                      {...(m.self ? {} : { 'aria-label': `Remove admin: ${label}` })}
                      onClick={() => props.onDemote(m)}
                    >
                      <ShieldOff size={14} aria-hidden="true" />{' '}
                      {m.self ? 'Step down as admin' : 'Remove admin'}
                    </button>
                  )}
                  {may.remove && (
                    <button
                      type="button"
                      className="small"
                      disabled={busy}
                      aria-label={`Remove ${label} from the room`}
                      onClick={() => props.onRemove(m)}
                    >
                      <UserMinus size={14} aria-hidden="true" /> Remove
                    </button>
                  )}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {can.manage && (
        <form className="room-add" onSubmit={add} aria-label="Add members">
          <RoomMemberPicker
            legend="Add members"
            contacts={addable}
            selected={adding}
            onChange={setAdding}
            disabled={busy}
          />
          <button type="submit" disabled={busy || adding.length === 0}>
            Add to room
          </button>
        </form>
      )}
      <ErrorNote error={error} />
      {can.leave && (
        <button type="button" className="danger leave" disabled={busy} onClick={onLeave}>
          <LogOut size={15} aria-hidden="true" /> Leave room
        </button>
      )}
    </section>
  );
}

function RoomRenameForm(props: { title: string; busy: boolean; onRename: (name: string) => void }) {
  const { title, busy, onRename } = props;
  const [name, setName] = useState(title);
  const next = name.trim();
  function rename(event: FormEvent) {
    event.preventDefault();
    if (next.length > 0 && next !== title) onRename(next);
  }
  return (
    <form className="room-rename" onSubmit={rename}>
      <label>
        Room name
        <input
          value={name}
          maxLength={ROOM_NAME_MAX}
          autoComplete="off"
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <button type="submit" disabled={busy || next.length === 0 || next === title}>
        Rename
      </button>
    </form>
  );
}
