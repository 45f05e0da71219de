// Asks before a room change that cannot be undone from here (leaving, removing a member). Focus
// starts on Cancel, so Enter by habit changes nothing.
import { useEffect, useId, useRef } from 'react';

export interface RoomConfirmDialogProps {
  title: string;
  body: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function RoomConfirmDialog(props: RoomConfirmDialogProps) {
  const { title, body, confirmLabel, busy, onConfirm, onCancel } = props;
  const titleId = useId();
  const bodyId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div className="overlay" role="presentation" onClick={onCancel}>
      <div
        className="dialog card danger"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <p id={bodyId}>{body}</p>
        <div className="dialog-buttons">
          <button type="button" className="secondary" ref={cancel} onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="danger" disabled={busy} onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
