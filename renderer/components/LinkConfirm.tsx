// Asks before a link leaves the app, showing the whole URL (a link's text can hide where it goes:
// look-alike hosts, long paths). Only https links get this far; main checks the scheme again.
import { ExternalLink } from 'lucide-react';
import { useEffect, useId, useRef } from 'react';

export interface LinkConfirmProps {
  url: string;
  onOpen: () => void;
  onCancel: () => void;
}

export function LinkConfirm({ url, onOpen, onCancel }: LinkConfirmProps) {
  const titleId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  // Focus lands on the safe choice, so Enter by habit does not open the link.
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div className="overlay" role="presentation" onClick={onCancel}>
      <div
        className="dialog card"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      >
        <h2 id={titleId}>Open this link in your browser?</h2>
        <p>It leaves Wisp. Check the whole address first:</p>
        <p className="full-url">
          <code>{url}</code>
        </p>
        <div className="dialog-buttons">
          <button type="button" className="secondary" ref={cancel} onClick={onCancel}>
            Cancel
          </button>
          <button type="button" onClick={onOpen}>
            <ExternalLink size={15} aria-hidden="true" /> Open link
          </button>
        </div>
      </div>
    </div>
  );
}
