// A previewed image or video, larger, in a modal dialog: Escape, the Close button or a click beside
// it closes it. Shows the same in-memory Blob URL as the bubble; nothing is fetched again.
import { X } from 'lucide-react';
import { useEffect, useId, useRef } from 'react';

export interface AttachmentLightboxProps {
  url: string;
  mime: string;
  name: string;
  onClose: () => void;
}

export function AttachmentLightbox({ url, mime, name, onClose }: AttachmentLightboxProps) {
  const titleId = useId();
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div className="overlay" role="presentation" onClick={onClose}>
      <div
        className="dialog card lightbox"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <div className="lightbox-header">
          <h2 id={titleId}>{name}</h2>
          <button
            type="button"
            className="icon"
            ref={close}
            aria-label="Close"
            title="Close"
            onClick={onClose}
          >
            <X size={16} aria-hidden="true" />
          </button>
        </div>
        {mime.startsWith('video/') ? (
          <video className="lightbox-media" src={url} controls aria-label={name} />
        ) : (
          <img className="lightbox-media" src={url} alt={name} />
        )}
      </div>
    </div>
  );
}
