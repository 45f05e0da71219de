// The "safety number changed" confirmation (issue 9), shown before a message goes to someone whose
// identity changed: a name now held by another account, or a key that is not the one we pinned. The
// message was NOT sent; "Send anyway" sends it with the change accepted, "Verify" opens the number.
import { Dialog } from './Dialog';

export interface IdentityChangedDialogProps {
  /** Who the user was writing to, as the conversation names them. */
  name: string;
  busy: boolean;
  onSendAnyway: () => void;
  onVerify: () => void;
  onCancel: () => void;
}

export function IdentityChangedDialog({
  name,
  busy,
  onSendAnyway,
  onVerify,
  onCancel,
}: IdentityChangedDialogProps) {
  // Focus starts on the heading (the Dialog's default) so a keyboard or screen-reader user meets
  // the warning before any button; a click beside it does not dismiss a decision this important.
  return (
    <Dialog
      role="alertdialog"
      className="danger"
      title="Safety number changed"
      description={`Your safety number with ${name} changed. This can mean they reinstalled Wisp or got a new device, or that someone else now answers to this name. Your message has not been sent.`}
      closeOnBackdrop={false}
      onClose={onCancel}
    >
      <div className="dialog-actions">
        <button type="button" className="secondary" onClick={onVerify}>
          Verify
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" onClick={onSendAnyway} disabled={busy}>
          Send anyway
        </button>
      </div>
    </Dialog>
  );
}
