// The file waiting in the composer: its name and size, a way to remove it, and while it goes out how
// far the upload has come (the message bubble appears once the relay holds the encrypted file).
import { Paperclip, X } from 'lucide-react';
import { formatBytes } from '../lib/attachments';

export interface AttachmentChipProps {
  name: string;
  size: number;
  /** 0–1 while sending; undefined before. */
  progress?: number | undefined;
  onRemove: () => void;
}

export function AttachmentChip({ name, size, progress, onRemove }: AttachmentChipProps) {
  const sending = progress !== undefined;
  return (
    <div className="attachment-chip" role="group" aria-label={`Attached file ${name}`}>
      <Paperclip size={14} aria-hidden="true" />
      <span className="attachment-name" title={name}>
        {name}
      </span>
      <span className="attachment-size">{formatBytes(size)}</span>
      {sending ? (
        <progress className="attachment-progress" aria-label={`Uploading ${name}`} max={1} value={progress} />
      ) : (
        <button
          type="button"
          className="icon"
          aria-label={`Remove ${name}`}
          title="Remove attachment"
          onClick={onRemove}
        >
          <X size={14} aria-hidden="true" />
        </button>
      )}
    </div>
  );
}
