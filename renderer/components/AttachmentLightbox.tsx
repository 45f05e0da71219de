// A previewed image or video, larger, in a modal dialog: Escape, the Close button or a click beside
// it closes it. Shows the same in-memory Blob URL as the bubble; nothing is fetched again.
import { X } from 'lucide-react';
import { useRef } from 'react';
import { Dialog } from './Dialog';

export interface AttachmentLightboxProps {
  url: string;
  mime: string;
  name: string;
  onClose: () => void;
}

export function AttachmentLightbox({ url, mime, name, onClose }: AttachmentLightboxProps) {
  const close = useRef<HTMLButtonElement>(null);
  return (
    <Dialog
      title={name}
      className="lightbox"
      initialFocus={close}
      onClose={onClose}
      headerAction={
        <button type="button" className="icon" ref={close} aria-label="Close" title="Close" onClick={onClose}>
          <X size={16} aria-hidden="true" />
        </button>
      }
    >
      {mime.startsWith('video/') ? (
        <video className="lightbox-media" src={url} controls aria-label={name} />
      ) : (
        <img className="lightbox-media" src={url} alt={name} />
      )}
    </Dialog>
  );
}
