// The sender's name on an incoming room message, in the colour their account id picks
// (lib/senderColours.ts); a name the sender claimed but we never confirmed shows apart, as a hint.
import type { CSSProperties } from 'react';
import type { MessageView } from '../../common/engine';
import { senderColourVars } from '../lib/senderColours';

export function RoomSenderName({ message }: { message: MessageView }) {
  return (
    <span className="sender" style={senderColourVars(message.fromAccountId) as CSSProperties}>
      {message.from}
      {/* A name the sender claimed that the relay did not confirm: shown apart, never as the name. */}
      {message.fromNameHint != null && (
        <span className="hint"> (says “{message.fromNameHint}”, unconfirmed)</span>
      )}
    </span>
  );
}
