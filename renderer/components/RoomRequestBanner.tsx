// Rooms from people who are not contacts (issue 9): not conversations until the user accepts. Each
// names who invited us (a name they supplied is marked unconfirmed) with Accept and Decline.
import type { RoomRequestView } from '../../common/engine';

export interface RoomRequestBannerProps {
  requests: RoomRequestView[];
  busy: boolean;
  onAccept: (roomId: string) => void;
  onDecline: (roomId: string) => void;
}

export function RoomRequestBanner({ requests, busy, onAccept, onDecline }: RoomRequestBannerProps) {
  if (requests.length === 0) return null;
  return (
    <section className="room-requests" aria-label="Room invitations">
      {requests.map((r) => (
        <div key={r.id} className="room-request" role="group" aria-label={`Invitation to ${r.name}`}>
          <p>
            <strong>{r.from}</strong>
            {r.fromNameHint !== null && (
              <span className="hint"> (says “{r.fromNameHint}”, unconfirmed)</span>
            )}{' '}
            invited you to the room <strong>{r.name}</strong>. They are not one of your contacts.
          </p>
          <div className="dialog-actions">
            <button type="button" disabled={busy} onClick={() => onAccept(r.id)}>
              Accept
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => onDecline(r.id)}>
              Decline
            </button>
          </div>
        </div>
      ))}
    </section>
  );
}
