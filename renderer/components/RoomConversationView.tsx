// A conversation with the open room's sender colours given to its messages (RoomSenderColours);
// outside a room (`colours` null) it is the plain ConversationView.
import { ConversationView, type ConversationViewProps } from './ConversationView';
import { RoomSenderColours } from './RoomSenderName';

export function RoomConversationView(
  props: ConversationViewProps & { colours: ReadonlyMap<string, number> | null },
) {
  const { colours, ...rest } = props;
  return (
    <RoomSenderColours colours={colours}>
      <ConversationView {...rest} />
    </RoomSenderColours>
  );
}
