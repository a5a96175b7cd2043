// Modal dialogs on <dialog> (focus trapping and Escape come from the browser).

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface Props {
  title: string;
  children: ComponentChildren;
  onClose: () => void;
}

export function Dialog(p: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    return () => d.open && d.close();
  }, []);
  return (
    <dialog ref={ref} onClose={p.onClose} aria-label={p.title}>
      <h2>{p.title}</h2>
      {p.children}
    </dialog>
  );
}

interface ConfirmProps {
  title: string;
  message: ComponentChildren;
  confirm: string;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}

/** Yes/no confirmation; the cancel button has focus so Enter never destroys by accident. */
export function Confirm(p: ConfirmProps) {
  return (
    <Dialog title={p.title} onClose={p.onClose}>
      <p>{p.message}</p>
      <div class="actions">
        <button type="button" autoFocus onClick={p.onClose}>Cancel</button>
        <button
          type="button"
          class={p.danger ? "danger" : "primary"}
          onClick={() => {
            p.onConfirm();
            p.onClose();
          }}
        >
          {p.confirm}
        </button>
      </div>
    </Dialog>
  );
}
