// The sender's name on an incoming room message, in the colour their account id picks
// (lib/senderColours.ts), made distinct within the open room by RoomSenderColours; a name the
// sender claimed but we never confirmed shows apart, as a hint.
import { createContext, useContext, type CSSProperties, type ReactNode } from 'react';
import type { MessageView } from '../../common/engine';
import { senderColourVars } from '../lib/senderColours';

const RoomColours = createContext<ReadonlyMap<string, number> | null>(null);

/** Gives the messages below it the open room's colour assignment (account id → palette index). */
export function RoomSenderColours(props: {
  colours: ReadonlyMap<string, number> | null;
  children: ReactNode;
}) {
  return <RoomColours.Provider value={props.colours}>{props.children}</RoomColours.Provider>;
}

export function RoomSenderName({ message }: { message: MessageView }) {
  // A sender no longer in the room (removed, left) keeps the colour its id picks.
  const index = useContext(RoomColours)?.get(message.fromAccountId);
  return (
    <span className="sender" style={senderColourVars(message.fromAccountId, index) as CSSProperties}>
      {message.from}
      {/* A name the sender claimed that the relay did not confirm: shown apart, never as the name. */}
      {message.fromNameHint != null && (
        <span className="hint"> (says “{message.fromNameHint}”, unconfirmed)</span>
      )}
    </span>
  );
}
