// The small controls on a message: copy its text, delete it on this device only, and retry a send
// that failed. Pure: the container performs them.
import { Copy, RotateCw, Trash2, type LucideIcon } from 'lucide-react';
import { createContext, useContext } from 'react';
import type { MessageView } from '../../common/engine';

export interface MessageActionsProps {
  message: MessageView;
  onCopy: (message: MessageView) => void;
  onDelete: (message: MessageView) => void;
  onRetry: (message: MessageView) => void;
}

/**
 * Whether the buttons draw their icons. The actions stay invisible until the bubble is hovered or
 * holds focus (styles.css), so a bubble sets this only then: a scroll mounts a dozen bubbles a
 * frame, and their hidden icons were a third of the DOM it built. The buttons (named, focusable)
 * are always there for the keyboard.
 */
export const ActionIconsShown = createContext(true);

/** One icon button: named for assistive technology, with a tooltip that may say more. */
function ActionButton(props: { label: string; title?: string; Icon: LucideIcon; onClick: () => void }) {
  const { label, title = label, Icon, onClick } = props;
  const shown = useContext(ActionIconsShown);
  return (
    <button type="button" className="icon" aria-label={label} title={title} onClick={onClick}>
      {shown ? <Icon size={14} aria-hidden="true" /> : <span className="icon-space" aria-hidden="true" />}
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
