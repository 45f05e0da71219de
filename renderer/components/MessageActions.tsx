// The small controls on a message: copy its text, delete it on this device only, and retry a send
// that failed. Pure: the container performs them.
import { Copy, RotateCw, Trash2, type LucideIcon } from 'lucide-react';
import type { MessageView } from '../../common/engine';

export interface MessageActionsProps {
  message: MessageView;
  onCopy: (message: MessageView) => void;
  onDelete: (message: MessageView) => void;
  onRetry: (message: MessageView) => void;
}

/** One icon button: named for assistive technology, with a tooltip that may say more. */
function ActionButton(props: { label: string; title?: string; Icon: LucideIcon; onClick: () => void }) {
  const { label, title = label, Icon, onClick } = props;
  return (
    <button type="button" className="icon" aria-label={label} title={title} onClick={onClick}>
      <Icon size={14} aria-hidden="true" />
    </button>
  );
}

export function MessageActions({ message, onCopy, onDelete, onRetry }: MessageActionsProps) {
  return (
    <span className="message-actions">
      {message.outgoing && message.state === 'failed' && (
        <ActionButton label="Retry sending" Icon={RotateCw} onClick={() => onRetry(message)} />
      )}
      {message.text !== '' && <ActionButton label="Copy text" Icon={Copy} onClick={() => onCopy(message)} />}
      <ActionButton
        label="Delete for me"
        title="Delete for me (the other side keeps theirs)"
        Icon={Trash2}
        onClick={() => onDelete(message)}
      />
    </span>
  );
}
