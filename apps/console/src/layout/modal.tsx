import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

const focusable =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab and Shift+Tab wrap around inside the dialog: focus never leaves it while it is open. */
export function trapFocus(event: KeyboardEvent, container: HTMLElement | null): void {
  if (event.key !== 'Tab' || !container) return;
  const items = [...container.querySelectorAll<HTMLElement>(focusable)].filter(
    (el) => el.getClientRects().length > 0,
  );
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !container.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !container.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}

/**
 * A modal dialog on the native <dialog> element: the page behind is inert, Escape closes it,
 * focus is kept inside, and on close focus returns to what opened it.
 */
export function Modal({
  titleId,
  describedBy,
  onClose,
  className,
  children,
}: {
  titleId: string;
  describedBy?: string;
  onClose: () => void;
  className?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  });
  useEffect(() => {
    const dialog = ref.current;
    // The dialog leaves the DOM before it is closed here, so focus goes back to its opener by hand.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={className ? `modal ${className}` : 'modal'}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(event) => {
        event.preventDefault(); // Escape: the owner decides (and unmounts the dialog)
        closeRef.current();
      }}
      // Closed by the browser. Not the close() of an unmount: under StrictMode's remount the
      // dialog is open again by the time that event arrives.
      onClose={() => {
        if (!ref.current?.open) closeRef.current();
      }}
      onKeyDown={(event) => trapFocus(event, ref.current)}
    >
      {children}
    </dialog>
  );
}
