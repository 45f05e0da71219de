// The "safety number changed" confirmation (issue 9), shown before a message goes to someone whose
// identity changed: a name now held by another account, or a key that is not the one we pinned. The
// message was NOT sent; "Send anyway" sends it with the change accepted, "Verify" opens the number.
import { useEffect, useRef } from 'react';

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
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus moves into the dialog so a keyboard or screen-reader user meets it before anything else.
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="identity-changed-title"
        aria-describedby="identity-changed-text"
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      >
        <h2 id="identity-changed-title" tabIndex={-1} ref={heading}>
          Safety number changed
        </h2>
        <p id="identity-changed-text">
          Your safety number with {name} changed. This can mean they reinstalled Wisp or got a new device, or
          that someone else now answers to this name. Your message has not been sent.
        </p>
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
      </div>
    </div>
  );
}
