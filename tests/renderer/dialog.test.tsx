// The shared modal frame (components/Dialog.tsx) in jsdom: it is a named modal dialog, Escape asks
// its owner to close it once and does not also reach the app's own Escape shortcut, Tab wraps inside
// it, a click beside it closes it only where allowed, and focus goes back to the opener after.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useRef, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dialog } from '../../renderer/components/Dialog';

afterEach(cleanup);

function Opener({ onClose, closeOnBackdrop }: { onClose: () => void; closeOnBackdrop?: boolean }) {
  const [open, setOpen] = useState(false);
  const first = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Open
      </button>
      {open && (
        <Dialog
          title="Pick one"
          description="What is at stake."
          initialFocus={first}
          closeOnBackdrop={closeOnBackdrop}
          onClose={() => {
            onClose();
            setOpen(false);
          }}
        >
          <button type="button" ref={first}>
            First
          </button>
          <button type="button">Last</button>
        </Dialog>
      )}
    </>
  );
}

describe('Dialog', () => {
  it('is a named, described modal dialog that starts focus where asked and gives it back on close', () => {
    const onClose = vi.fn();
    render(<Opener onClose={onClose} />);
    const opener = screen.getByRole('button', { name: 'Open' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'Pick one' });
    expect(dialog.tagName).toBe('DIALOG');
    expect(dialog.hasAttribute('open')).toBe(true);
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.getAttribute('aria-describedby')).not.toBeNull();
    expect(document.getElementById(dialog.getAttribute('aria-describedby')!)?.textContent).toBe(
      'What is at stake.',
    );
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'First' }));

    const shortcut = vi.fn();
    window.addEventListener('keydown', shortcut);
    try {
      fireEvent.keyDown(screen.getByRole('button', { name: 'First' }), { key: 'Escape' });
    } finally {
      window.removeEventListener('keydown', shortcut);
    }
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(shortcut).not.toHaveBeenCalled();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('wraps Tab from the last control to the first and Shift+Tab from the first to the last', () => {
    render(<Opener onClose={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    const first = screen.getByRole('button', { name: 'First' });
    const last = screen.getByRole('button', { name: 'Last' });
    last.focus();
    fireEvent.keyDown(last, { key: 'Tab' });
    expect(document.activeElement).toBe(first);
    fireEvent.keyDown(first, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(last);
  });

  it('closes on a click beside it, not on one inside it, and not at all where the owner says so', () => {
    const onClose = vi.fn();
    const { unmount } = render(<Opener onClose={onClose} />);
    fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    let dialog = screen.getByRole('dialog', { name: 'Pick one' });
    dialog.getBoundingClientRect = () => DOMRect.fromRect({ x: 100, y: 100, width: 300, height: 200 });
    fireEvent.click(dialog, { clientX: 200, clientY: 150 });
    fireEvent.click(screen.getByRole('button', { name: 'First' }), { clientX: 500, clientY: 500 });
    expect(onClose).not.toHaveBeenCalled();
    fireEvent.click(dialog, { clientX: 20, clientY: 20 });
    expect(onClose).toHaveBeenCalledTimes(1);
    unmount();

    const kept = vi.fn();
    render(<Opener onClose={kept} closeOnBackdrop={false} />);
    fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    dialog = screen.getByRole('dialog', { name: 'Pick one' });
    dialog.getBoundingClientRect = () => DOMRect.fromRect({ x: 100, y: 100, width: 300, height: 200 });
    fireEvent.click(dialog, { clientX: 20, clientY: 20 });
    expect(kept).not.toHaveBeenCalled();
  });
});
