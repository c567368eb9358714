import type { ComponentChildren } from 'preact';
import { followLink } from '../router.js';

interface FieldProps {
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
}

/** What ties a control to its Field: its id, whether it is invalid, and what describes it. */
export interface ControlAttributes {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/**
 * A labelled form control with its hint and its error (the API's message for that field), tied to the
 * control with aria-describedby so screen readers read them with it.
 */
export function Field({
  id,
  label,
  hint,
  error,
  children,
}: FieldProps & { children: (control: ControlAttributes) => ComponentChildren }) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy(id, hint, error) })}
      <HintAndError id={id} hint={hint} error={error} />
    </div>
  );
}

/** The ids of a control's hint and error paragraphs (see HintAndError), for its aria-describedby. */
function describedBy(id: string, hint: string | undefined, error: string | undefined): string | undefined {
  return [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

/** A control's hint and its error, each with the id describedBy names. */
function HintAndError({
  id,
  hint,
  error,
}: {
  id: string;
  hint?: string | undefined;
  error?: string | undefined;
}) {
  return (
    <>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </>
  );
}

/** A control's text and where it goes as it is typed or chosen. */
interface Valued {
  value: string;
  onValue: (value: string) => void;
  name?: string;
}

/** A one-line input in a Field; `children` follow the input (a datalist). */
export function InputField({
  value,
  onValue,
  type = 'text',
  children,
  label,
  hint,
  error,
  ...attributes
}: FieldProps &
  Valued & {
    type?: 'text' | 'email' | 'password' | 'time' | 'datetime-local';
    autoComplete?: string;
    inputMode?: 'numeric' | 'url' | 'email' | 'text' | undefined;
    placeholder?: string | undefined;
    spellcheck?: boolean;
    list?: string;
    required?: boolean;
    onBlur?: ((event: FocusEvent & { currentTarget: HTMLInputElement }) => void) | undefined;
    children?: ComponentChildren;
  }) {
  return (
    <Field id={attributes.id} label={label} hint={hint} error={error}>
      {(control) => (
        <>
          <input
            // The attributes typed above; Preact types an input's attributes as a union over `type`,
            // which a spread of them cannot name.
            {...(attributes as object)}
            {...control}
            type={type as 'text'}
            value={value}
            onInput={(e) => onValue(e.currentTarget.value)}
          />
          {children}
        </>
      )}
    </Field>
  );
}

/** A select in a Field, its options the children. */
export function SelectField({
  value,
  onValue,
  name,
  disabled,
  children,
  ...field
}: FieldProps & Valued & { disabled?: boolean; children: ComponentChildren }) {
  return (
    <Field {...field}>
      {(control) => (
        <select {...control} {...{ name, value, disabled }} onChange={(e) => onValue(e.currentTarget.value)}>
          {children}
        </select>
      )}
    </Field>
  );
}

/** A multi-line text box in a Field. */
export function TextareaField({
  value,
  onValue,
  name,
  rows = 3,
  spellcheck,
  ...field
}: FieldProps & Valued & { rows?: number; spellcheck?: boolean }) {
  return (
    <Field {...field}>
      {(control) => (
        <textarea
          {...control}
          {...{ name, rows, spellcheck, value }}
          onInput={(e) => onValue(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/**
 * A fieldset of checkboxes, one per option, for choosing several values; `onChange` gets the chosen
 * values, a newly ticked one last. With `wrap`, the boxes flow in rows (short labels such as weekdays).
 */
export function CheckboxGroup<T extends string>({
  name,
  legend,
  options,
  selected,
  onChange,
  hint,
  error,
  wrap = false,
}: {
  name: string;
  legend: string;
  options: Array<{ value: T; label: ComponentChildren; title?: string }>;
  selected: T[];
  onChange: (next: T[]) => void;
  hint?: string;
  error?: string | undefined;
  wrap?: boolean;
}) {
  const boxes = options.map((option) => (
    <label key={option.value} class="inline" title={option.title}>
      <input
        type="checkbox"
        name={name}
        value={option.value}
        checked={selected.includes(option.value)}
        aria-invalid={Boolean(error)}
        onChange={(e) =>
          onChange(
            e.currentTarget.checked
              ? [...selected, option.value]
              : selected.filter((v) => v !== option.value),
          )
        }
      />{' '}
      {option.label}
    </label>
  ));
  return (
    <fieldset
      class={`field${error ? ' field-invalid' : ''}`}
      aria-describedby={describedBy(name, hint, error)}
    >
      <legend>{legend}</legend>
      {wrap ? <div class="choices">{boxes}</div> : boxes}
      <HintAndError id={name} hint={hint} error={error} />
    </fieldset>
  );
}

/** A form's failure that names no one control, said above the form; nothing while there is none. */
export function FormError({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p class="error-note" role="alert">
      {message}
    </p>
  );
}

/**
 * A form's submit button, which says `busyLabel` and is disabled while the form is sent, and its way out:
 * a link back (`cancelHref`) or a button (`onCancel`).
 */
export function FormActions({
  label,
  busy = false,
  busyLabel = 'Saving…',
  cancelHref,
  onCancel,
}: {
  label: string;
  busy?: boolean;
  busyLabel?: string;
  cancelHref?: string;
  onCancel?: () => void;
}) {
  return (
    <div class="form-actions">
      <button class="button primary" type="submit" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
      {cancelHref !== undefined && (
        <a class="button" href={cancelHref} onClick={followLink}>
          Cancel
        </a>
      )}
      {onCancel && (
        <button class="button" type="button" onClick={onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}
