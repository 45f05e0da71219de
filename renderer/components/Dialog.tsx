// The one modal frame every dialog uses: the native <dialog> opened with showModal(), so the browser
// puts it in the top layer and makes the rest of the page inert (no focus, no clicks, hidden from
// screen readers). Escape, and a click on the backdrop where allowed, ask the owner to close it;
// focus starts where the owner says and goes back where it was when the dialog leaves.
import { useEffect, useId, useLayoutEffect, useRef, type ReactNode, type RefObject } from 'react';

export interface DialogProps {
  /** The heading that names the dialog (aria-labelledby). */
  title: ReactNode;
  /** Keep the heading for screen readers only (the quick switcher's field says what it is). */
  titleHidden?: boolean;
  /** A control beside the heading, such as the lightbox's Close button. */
  headerAction?: ReactNode;
  /** The sentence that says what is at stake (aria-describedby), shown under the heading. */
  description?: ReactNode;
  /** alertdialog for a choice that interrupts the user (a stopped send, leaving a room). */
  role?: 'dialog' | 'alertdialog';
  className?: string;
  /** Where focus starts; the heading when not given, so a screen reader begins at the top. */
  initialFocus?: RefObject<HTMLElement | null>;
  /** A click beside the dialog closes it; off where that would lose typed input or a decision. */
  closeOnBackdrop?: boolean;
  /** Escape, the backdrop, or the browser's own close request. The owner unmounts the dialog. */
  onClose: () => void;
  children?: ReactNode;
}

const TABBABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), video[controls], [tabindex]:not([tabindex="-1"])';

export function Dialog(props: DialogProps) {
  const { title, titleHidden, headerAction, description, role, className, initialFocus, children } = props;
  const titleId = useId();
  const descriptionId = useId();
  const frame = useRef<HTMLDialogElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const onClose = useRef(props.onClose);
  useEffect(() => {
    onClose.current = props.onClose;
  });

  useLayoutEffect(() => {
    const dialog = frame.current;
    if (dialog === null) return;
    // Remembered here, not by the browser: React removes the element without close() otherwise.
    const before = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    (initialFocus?.current ?? heading.current)?.focus();
    // The browser's own close request (a CloseWatcher); Escape itself is handled on keydown.
    const cancel = (event: Event) => {
      event.preventDefault();
      onClose.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      if (before?.isConnected === true) before.focus();
    };
    // Opened once per mount: the owner mounts the dialog to open it and unmounts it to close it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <dialog
      ref={frame}
      className={['dialog', 'card', className].filter(Boolean).join(' ')}
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={description === undefined ? undefined : descriptionId}
      onClick={(event) => {
        if (props.closeOnBackdrop === false || event.target !== event.currentTarget) return;
        // The backdrop belongs to the <dialog> itself: a click outside its box is a click on it.
        const box = event.currentTarget.getBoundingClientRect();
        const inside =
          event.clientX >= box.left &&
          event.clientX <= box.right &&
          event.clientY >= box.top &&
          event.clientY <= box.bottom;
        if (!inside) onClose.current();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          // Handled here so the app's own Escape shortcut (close the panel) does not also run.
          event.preventDefault();
          event.stopPropagation();
          onClose.current();
        } else if (event.key === 'Tab') {
          wrapTab(event.currentTarget, event);
        }
      }}
    >
      {titleHidden === true ? (
        <h2 id={titleId} ref={heading} tabIndex={-1} className="visually-hidden">
          {title}
        </h2>
      ) : (
        <div className="dialog-header">
          <h2 id={titleId} ref={heading} tabIndex={-1}>
            {title}
          </h2>
          {headerAction}
        </div>
      )}
      {description !== undefined && <p id={descriptionId}>{description}</p>}
      {children}
    </dialog>
  );
}

/** Tab from the last control goes to the first and Shift+Tab from the first to the last, so focus
 * never leaves for the window's edge (the page behind is already inert). */
function wrapTab(dialog: HTMLElement, event: { shiftKey: boolean; preventDefault: () => void }) {
  const tabbable = Array.from(dialog.querySelectorAll<HTMLElement>(TABBABLE));
  const first = tabbable[0];
  const last = tabbable[tabbable.length - 1];
  if (first === undefined || last === undefined) {
    event.preventDefault();
    return;
  }
  const active = document.activeElement;
  if (
    event.shiftKey &&
    (active === first || !dialog.contains(active) || active === dialog.querySelector('h2'))
  ) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}
