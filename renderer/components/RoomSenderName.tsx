// The sender's name on an incoming room message, in the colour their account id picks
// (lib/senderColours.ts), made distinct within the open room by RoomSenderColours; a name the
// sender claimed but we never confirmed shows apart, as a hint. A sender with no confirmed name is
// "Unknown member", never their raw account id (as Signal shows "Unknown" for someone it cannot name).
import { createContext, useContext, useMemo, type CSSProperties, type ReactNode } from 'react';
import type { MessageView } from '../../common/engine';
import { senderColourVars } from '../lib/senderColours';

/** What the open room knows of its people, for the rows below it. */
export interface RoomPeople {
  /** Account id → palette index, distinct within the room. */
  colours: ReadonlyMap<string, number>;
}

const RoomPeopleContext = createContext<RoomPeople | null>(null);

/** Gives the messages below it the open room's colour assignment. */
export function RoomSenderColours(props: {
  colours: ReadonlyMap<string, number> | null;
  children: ReactNode;
}) {
  const { colours, children } = props;
  const value = useMemo(() => (colours === null ? null : { colours }), [colours]);
  return <RoomPeopleContext.Provider value={value}>{children}</RoomPeopleContext.Provider>;
}

export function useRoomPeople(): RoomPeople | null {
  return useContext(RoomPeopleContext);
}

/** The engine names an account it holds no username for by its id (which no username can look like). */
export function hasNoConfirmedName(message: Pick<MessageView, 'from' | 'fromAccountId'>): boolean {
  return message.from === message.fromAccountId;
}

export const UNKNOWN_MEMBER = 'Unknown member';

export function RoomSenderName({ message }: { message: MessageView }) {
  // A sender no longer in the room (removed, left) keeps the colour its id picks.
  const index = useRoomPeople()?.colours.get(message.fromAccountId);
  return (
    <span className="sender" style={senderColourVars(message.fromAccountId, index) as CSSProperties}>
      {hasNoConfirmedName(message) ? UNKNOWN_MEMBER : message.from}
      {/* A name the sender claimed that the relay did not confirm: shown apart, never as the name. */}
      {message.fromNameHint != null && (
        <span className="hint"> (says “{message.fromNameHint}”, unconfirmed)</span>
      )}
    </span>
  );
}
