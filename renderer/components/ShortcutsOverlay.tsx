// The keyboard shortcuts, listed (Ctrl/Cmd+/ opens it; Escape closes it).
import { useRef } from 'react';
import { SHORTCUTS, describeKeys } from '../lib/shortcuts';
import { Dialog } from './Dialog';

export function ShortcutsOverlay({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  return (
    <Dialog title="Keyboard shortcuts" initialFocus={close} onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{describeKeys(s.keys)}</kbd>
              </td>
              <td>{s.label}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="dialog-buttons">
        <button type="button" ref={close} onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
