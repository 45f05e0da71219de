// The small controls on a message: copy its text, delete it on this device only, and retry a send
// that failed. Pure: the container performs them.
import { Copy, RotateCw, Trash2 } from 'lucide-react';
import type { MessageView } from '../../common/engine';

export interface MessageActionsProps {
  message: MessageView;
  onCopy: (message: MessageView) => void;
  onDelete: (message: MessageView) => void;
  onRetry: (message: MessageView) => void;
}

export function MessageActions({ message, onCopy, onDelete, onRetry }: MessageActionsProps) {
  return (
    <span className="message-actions">
      {message.outgoing && message.state === 'failed' && (
        <button
          type="button"
          className="icon"
          aria-label="Retry sending"
          title="Retry sending"
          onClick={() => onRetry(message)}
        >
          <RotateCw size={14} aria-hidden="true" />
        </button>
      )}
      {message.text !== '' && (
        <button
          type="button"
          className="icon"
          aria-label="Copy text"
          title="Copy text"
          onClick={() => onCopy(message)}
        >
          <Copy size={14} aria-hidden="true" />
        </button>
      )}
      <button
        type="button"
        className="icon"
        aria-label="Delete for me"
        title="Delete for me (the other side keeps theirs)"
        onClick={() => onDelete(message)}
      >
        <Trash2 size={14} aria-hidden="true" />
      </button>
    </span>
  );
}
