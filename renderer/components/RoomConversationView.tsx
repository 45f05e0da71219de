// A conversation with the open room's people given to its rows (RoomSenderColours: sender
// colours); a room the user left or was
// removed from shows why it takes no messages where the composer was, as Signal does for a group
// you are no longer in. Outside a room (`room` null) it is the plain ConversationView.
import { LogOut } from 'lucide-react';
import { ConversationView, type ConversationViewProps } from './ConversationView';
import { RoomSenderColours, type RoomPeople } from './RoomSenderName';

/** What the open room adds to its conversation screen. */
export interface RoomScreen {
  people: RoomPeople;
  /** We are no longer a member: nothing can be sent to it. */
  left: boolean;
}

export function RoomConversationView(props: ConversationViewProps & { room: RoomScreen | null }) {
  const { room, ...rest } = props;
  if (room === null) return <ConversationView {...rest} />;
  return (
    <RoomSenderColours colours={room.people.colours}>
      <ConversationView {...rest} {...(room.left ? { composerClosed: <LeftRoomNote /> } : {})} />
    </RoomSenderColours>
  );
}

function LeftRoomNote() {
  return (
    <p className="composer-closed" role="status">
      <LogOut size={15} aria-hidden="true" />
      <strong>You’re no longer a member of this room,</strong> so you can’t send messages to it. Only an admin
      can add you back.
    </p>
  );
}
