import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { FormError } from './field.js';
import { RowButton } from './table.js';

/**
 * A modal asking to confirm a deletion (focus stays in it; Escape cancels). The caller opens it with
 * `dialog.current.showModal()`; it closes once `run` succeeds, and shows the error inside itself when
 * `run` fails.
 */
export function ConfirmDeleteDialog({
  dialog,
  id,
  title,
  action,
  run,
  children,
}: {
  dialog: RefObject<HTMLDialogElement | null>;
  /** Prefix of the ids tying the title and text to the dialog (unique on the page). */
  id: string;
  title: string;
  /** The confirming button's label, e.g. "Delete monitor". */
  action: string;
  run: () => Promise<void>;
  /** What will happen. */
  children: ComponentChildren;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => () => dialog.current?.close(), []);

  const confirm = async () => {
    setBusy(true);
    setError('');
    try {
      await run();
      dialog.current?.close();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} class="card dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p id={`${id}-text`}>{children}</p>
      <FormError message={error} />
      <div class="form-actions">
        <button type="button" class="button danger" onClick={confirm} disabled={busy}>
          {busy ? 'Deleting…' : action}
        </button>
        <button type="button" class="button" onClick={() => dialog.current?.close()} autoFocus>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** A row's Delete button (`name` says which to screen readers) that asks first, in a ConfirmDeleteDialog. */
export function ConfirmDeleteButton({
  name,
  ...confirm
}: { name: string } & Omit<Parameters<typeof ConfirmDeleteDialog>[0], 'dialog'>) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <RowButton label="Delete" of={name} danger onClick={() => dialog.current?.showModal()} />
      <ConfirmDeleteDialog dialog={dialog} {...confirm} />
    </>
  );
}
