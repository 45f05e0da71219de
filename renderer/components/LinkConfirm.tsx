// Asks before a link leaves the app, showing the whole URL (a link's text can hide where it goes:
// look-alike hosts, long paths). Only https links get this far; main checks the scheme again.
import { ExternalLink } from 'lucide-react';
import { useRef } from 'react';
import { Dialog } from './Dialog';

export interface LinkConfirmProps {
  url: string;
  onOpen: () => void;
  onCancel: () => void;
}

export function LinkConfirm({ url, onOpen, onCancel }: LinkConfirmProps) {
  // Focus lands on the safe choice, so Enter by habit does not open the link.
  const cancel = useRef<HTMLButtonElement>(null);
  return (
    <Dialog
      title="Open this link in your browser?"
      description="It leaves Wisp. Check the whole address first:"
      initialFocus={cancel}
      onClose={onCancel}
    >
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
    </Dialog>
  );
}
