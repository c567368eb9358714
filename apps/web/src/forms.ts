import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import type { Monitor } from './types.js';

/** The message of a failed request, for one form: the API's own words. */
export const messageOf = (error: unknown): string =>
  error instanceof ApiError ? error.message : (error as Error).message;

/** An input's onInput handler that sets its value into a state. */
export const value = (set: (v: string) => void) => (e: Event) =>
  set((e.currentTarget as HTMLInputElement).value);

/**
 * Where a failed submit's error shows: `fields`, beside the controls they name; `message`, above the
 * form. With neither, the error's own message shows above the form.
 */
export interface PlacedError<Errors> {
  fields?: Errors;
  message?: string;
}

/**
 * A form that is sent to the API: its field errors, its error above the form, whether it is being sent,
 * and `onSubmit(send, place)`, the submit handler that clears the last errors, runs `send`, and shows
 * its failure where `place` says (focusing the first invalid control).
 */
export function useFormSubmit<Errors extends Record<string, string | undefined>>() {
  const [errors, setErrors] = useState<Errors>({} as Errors);
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const onSubmit =
    (send: () => Promise<void>, place: (error: unknown) => PlacedError<Errors> = () => ({})) =>
    async (event: Event) => {
      event.preventDefault();
      setBusy(true);
      setErrors({} as Errors);
      setFormError('');
      try {
        await send();
      } catch (error) {
        const { fields, message } = place(error);
        const placed = fields !== undefined && Object.keys(fields).length > 0;
        if (placed) {
          setErrors(fields);
          focusFirstInvalid(form.current);
        }
        if (message !== undefined) setFormError(message);
        else if (!placed) setFormError((error as Error).message);
      } finally {
        setBusy(false);
      }
    };
  return { form, errors, setErrors, formError, busy, onSubmit };
}

/** Moves focus to the first invalid control after a failed submit. */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}

/**
 * The draft of a form for a record that names some of the user's monitors: `empty()` for a new record;
 * when editing one (`id`), what `load` makes of it. The monitors' names load alongside; a failure to
 * load either (other than leaving the page) is `loadError`.
 */
export function useDraftAndMonitorNames<Draft>(
  id: string | undefined,
  empty: () => Draft,
  load: (id: string, signal: AbortSignal) => Promise<Draft>,
) {
  const [draft, setDraft] = useState<Draft | null>(() => (id === undefined ? empty() : null));
  const [monitors, setMonitors] = useState<Array<Pick<Monitor, 'id' | 'name'>>>();
  const [loadError, setLoadError] = useState<Error>();
  useEffect(() => {
    const controller = new AbortController();
    const failed = (error: Error) => error.name !== 'AbortError' && setLoadError(error);
    api.monitorNames(controller.signal).then(setMonitors, failed);
    if (id !== undefined) load(id, controller.signal).then(setDraft, failed);
    return () => controller.abort();
  }, [id]);
  return { draft, setDraft, monitors, loadError };
}
