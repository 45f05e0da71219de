// Connects the room screens to the engine: the "New room" dialog, and for an open room its header
// line (member count, details button), its details panel (members, roles, rename, timers, add,
// remove, leave) and its sender colours. MessengerContainer only places what this returns; room
// state lives here.
import { Users } from 'lucide-react';
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ContactView, ConversationTimers, ConversationView } from '../../common/engine';
import { isWispError } from '../../common/errors';
import type { RoomMemberView, WispClient } from '../../common/ipc';
import { RoomConfirmDialog } from '../components/RoomConfirmDialog';
import { RoomCreateDialog } from '../components/RoomCreateDialog';
import type { RoomScreen } from '../components/RoomConversationView';
import { RoomMembersPanel, memberLabel } from '../components/RoomMembersPanel';
import type { RoomPeople } from '../components/RoomSenderName';
import { assignSenderColours } from '../lib/senderColours';
import { asUiError, type UiError } from '../lib/uiError';
import '../rooms.css';

/** Engine recoveries name CLI commands; in the app the room details show who the admins are. */
function roomError(e: unknown): UiError {
  if (isWispError(e, 'Unauthorized'))
    return {
      message: 'Only an admin of the room can change it.',
      recovery: 'The room details list its admins; ask one of them.',
    };
  return asUiError(e);
}

export interface NewRoomLauncherProps {
  client: WispClient;
  contacts: ContactView[];
  onCreated: (room: ConversationView) => void;
}

/** The sidebar's "New room" button and the dialog it opens. */
export function NewRoomLauncher({ client, contacts, onCreated }: NewRoomLauncherProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  async function create(name: string, members: string[]) {
    setBusy(true);
    setError(null);
    try {
      const room = await client.rooms.create({ name, members });
      setOpen(false);
      onCreated(room);
    } catch (e) {
      setError(roomError(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" className="secondary new-room" onClick={() => setOpen(true)}>
        <Users size={15} aria-hidden="true" /> New room
      </button>
      {open && (
        <RoomCreateDialog
          contacts={contacts.filter((c) => c.username !== null)}
          busy={busy}
          error={error}
          onCreate={(name, members) => void create(name, members)}
          onCancel={() => {
            setOpen(false);
            setError(null);
          }}
        />
      )}
    </>
  );
}

type Confirm = { kind: 'leave' } | { kind: 'remove'; member: RoomMemberView } | null;

export interface RoomDetails {
  /** The open room's people (sender colours, name hints, who "you" is) and whether we left it;
   * null outside rooms. */
  screen: RoomScreen | null;
  /** Inside the conversation header, after the title: member count and the details button. */
  headerExtra: ReactNode;
  /** Between the header and the messages, when the details are open. */
  panel: ReactNode;
}

/**
 * The open room's header line and details panel. `room` is the selected conversation when it is a
 * room (null otherwise); it is replaced on every `conversation.changed`, which reloads the members.
 */
export function useRoomDetails(client: WispClient, room: ConversationView | null, contacts: ContactView[]) {
  const [open, setOpen] = useState(false);
  const [members, setMembers] = useState<RoomMemberView[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const roomId = room?.id ?? null;

  // Another room opened: nothing of the previous one's panel carries over (adjusted while
  // rendering, as React recommends, rather than in an effect a frame later).
  const [shownFor, setShownFor] = useState(roomId);
  if (shownFor !== roomId) {
    setShownFor(roomId);
    setOpen(false);
    setError(null);
    setConfirm(null);
    setMembers([]);
  }

  useEffect(() => {
    if (room === null) return;
    let live = true;
    client.rooms.members({ roomId: room.id }).then(
      (list) => live && setMembers(list),
      (e: unknown) => live && setError(roomError(e)),
    );
    return () => {
      live = false;
    };
  }, [client, room]);

  const act = useCallback(
    async (work: () => Promise<unknown>) => {
      setBusy(true);
      setError(null);
      try {
        await work();
        if (roomId !== null) setMembers(await client.rooms.members({ roomId }));
      } catch (e) {
        setError(roomError(e));
      } finally {
        setBusy(false);
      }
    },
    [client, roomId],
  );

  const people = useMemo((): RoomPeople | null => {
    if (room === null) return null;
    return { colours: assignSenderColours(members.filter((m) => !m.self).map((m) => m.accountId)) };
  }, [room, members]);

  if (room === null || people === null)
    return { headerExtra: null, panel: null, screen: null } satisfies RoomDetails;
  const id = room.id;
  // Counted from the conversation (always current), ourselves included unless we left.
  const count = room.members.length + (room.left ? 0 : 1);
  const headerExtra = (
    <>
      <span className="room-count">{room.left ? 'You left this room' : `${count} members`}</span>
      <button
        type="button"
        className="secondary room-details-button"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        <Users size={15} aria-hidden="true" /> Room details
      </button>
    </>
  );
  const panel = (
    <>
      {open && (
        <RoomMembersPanel
          room={room}
          members={members}
          contacts={contacts}
          busy={busy}
          error={error}
          onClose={() => setOpen(false)}
          onRename={(name) => void act(() => client.rooms.rename({ roomId: id, name }))}
          onSetTimers={(timers: ConversationTimers) =>
            void act(() => client.conversations.setTimers({ conversationId: id, timers }))
          }
          onAdd={(list) => void act(() => client.rooms.addMembers({ roomId: id, members: list }))}
          onRemove={(member) => setConfirm({ kind: 'remove', member })}
          onPromote={(m) =>
            void act(() => client.conversations.promoteRoomMember({ roomId: id, member: m.accountId }))
          }
          onDemote={(m) =>
            void act(() => client.conversations.demoteRoomMember({ roomId: id, member: m.accountId }))
          }
          onLeave={() => setConfirm({ kind: 'leave' })}
        />
      )}
      {confirm?.kind === 'leave' && (
        <RoomConfirmDialog
          title={`Leave “${room.title}”?`}
          body="You will stop receiving its messages, and the members are told you left. Only an admin can add you back."
          confirmLabel="Leave room"
          busy={busy}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            void act(() => client.rooms.leave({ roomId: id }));
          }}
        />
      )}
      {confirm?.kind === 'remove' && (
        <RoomConfirmDialog
          title={`Remove ${memberLabel(confirm.member)}?`}
          body={`${memberLabel(confirm.member)} stops receiving the room's messages from now on. Everyone in the room sees that you removed them.`}
          confirmLabel="Remove"
          busy={busy}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const member = confirm.member.accountId;
            setConfirm(null);
            void act(() => client.rooms.removeMember({ roomId: id, member }));
          }}
        />
      )}
    </>
  );
  return { headerExtra, panel, screen: { people, left: room.left } } satisfies RoomDetails;
}
