// Asks before a room change that cannot be undone from here (leaving, removing a member). Focus
// starts on Cancel, so Enter by habit changes nothing.
import { useRef } from 'react';
import { Dialog } from './Dialog';

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
  const cancel = useRef<HTMLButtonElement>(null);
  return (
    <Dialog
      role="alertdialog"
      className="danger"
      title={title}
      description={body}
      initialFocus={cancel}
      onClose={onCancel}
    >
      <div className="dialog-buttons">
        <button type="button" className="secondary" ref={cancel} onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
