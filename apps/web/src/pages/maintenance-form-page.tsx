import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { Field, focusFirstInvalid } from '../components/field.js';
import { LoadFailed, PageHeading } from '../components/layout.js';
import {
  browserTimeZone,
  DAY_LABELS,
  DAY_NAMES,
  fromLocalInput,
  knownTimeZones,
  toLocalInput,
} from '../maintenance.js';
import { followLink, navigate } from '../router.js';
import {
  type MaintenanceInput,
  type MaintenanceWindow,
  type Monitor,
  type Weekday,
  WEEKDAYS,
} from '../types.js';

/** The form's state: text as typed, so the API can say what is wrong with it. */
interface Draft {
  name: string;
  monitorIds: string[];
  kind: 'once' | 'weekly';
  /** datetime-local values, in the browser's zone */
  startsAt: string;
  endsAt: string;
  days: Weekday[];
  time: string;
  durationMinutes: string;
  timeZone: string;
}

function emptyDraft(): Draft {
  return {
    name: '',
    monitorIds: [],
    kind: 'once',
    startsAt: '',
    endsAt: '',
    days: [],
    time: '02:00',
    durationMinutes: '60',
    timeZone: browserTimeZone(),
  };
}

function draftOf(w: MaintenanceWindow): Draft {
  return {
    name: w.name,
    monitorIds: w.monitorIds,
    kind: w.weekly ? 'weekly' : 'once',
    startsAt: toLocalInput(w.startsAt),
    endsAt: toLocalInput(w.endsAt),
    days: w.weekly?.days ?? [],
    time: w.weekly?.time ?? '02:00',
    durationMinutes: w.weekly ? String(w.weekly.durationMinutes) : '60',
    timeZone: w.timeZone,
  };
}

function inputOf(draft: Draft): MaintenanceInput {
  const base = { name: draft.name, monitorIds: draft.monitorIds };
  if (draft.kind === 'once') {
    const input: MaintenanceInput = { ...base };
    const startsAt = fromLocalInput(draft.startsAt);
    const endsAt = fromLocalInput(draft.endsAt);
    if (startsAt !== undefined) input.startsAt = startsAt;
    if (endsAt !== undefined) input.endsAt = endsAt;
    return input;
  }
  const minutes = draft.durationMinutes.trim();
  const input: MaintenanceInput = {
    ...base,
    weekly: {
      days: WEEKDAYS.filter((d) => draft.days.includes(d)),
      time: draft.time,
      durationMinutes: /^\d+$/.test(minutes) ? Number(minutes) : minutes,
    },
    timeZone: draft.timeZone.trim(),
  };
  // Optional bounds of a weekly rule: no occurrence starts before the first or at or after the second.
  const startsAt = fromLocalInput(draft.startsAt);
  const endsAt = fromLocalInput(draft.endsAt);
  if (startsAt !== undefined) input.startsAt = startsAt;
  if (endsAt !== undefined) input.endsAt = endsAt;
  return input;
}

/** Which control shows an error the API names by its path. */
const FIELD_OF: Record<string, keyof Errors> = {
  name: 'name',
  monitorIds: 'monitorIds',
  startsAt: 'startsAt',
  endsAt: 'endsAt',
  weekly: 'days',
  'weekly/days': 'days',
  'weekly/time': 'time',
  'weekly/durationMinutes': 'durationMinutes',
  timeZone: 'timeZone',
};
type Errors = Partial<
  Record<
    'name' | 'monitorIds' | 'startsAt' | 'endsAt' | 'days' | 'time' | 'durationMinutes' | 'timeZone',
    string
  >
>;

/** The API's messages name other fields by their path; beside a field, their label reads better. */
function readable(message: string): string {
  return message
    .replace('body/startsAt', 'the start')
    .replace('body/endsAt', 'the end')
    .replace(/body\//g, '');
}

/** Create a maintenance window (no id) or edit one. */
export function MaintenanceFormPage({ id }: { id?: string }) {
  const editing = id !== undefined;
  useTitle(editing ? 'Edit maintenance window' : 'New maintenance window');
  const [draft, setDraft] = useState<Draft | null>(editing ? null : emptyDraft());
  const [monitors, setMonitors] = useState<Array<Pick<Monitor, 'id' | 'name'>> | undefined>(undefined);
  const [loadError, setLoadError] = useState<Error>();
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const [zones] = useState(knownTimeZones);

  useEffect(() => {
    const controller = new AbortController();
    const failed = (error: Error) => error.name !== 'AbortError' && setLoadError(error);
    api.monitorNames(controller.signal).then(setMonitors, failed);
    if (id !== undefined) {
      api.maintenanceWindow(id, controller.signal).then((r) => setDraft(draftOf(r.window)), failed);
    }
    return () => controller.abort();
  }, [id]);

  if (loadError) {
    return (
      <LoadFailed
        error={loadError}
        title="Maintenance window"
        notFound="Maintenance window not found"
        back={{ href: '/maintenance', label: 'Back to maintenance windows' }}
      />
    );
  }
  if (!draft || !monitors) return <p class="muted">Loading…</p>;

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft({ ...draft, [key]: value });
    const field = key === 'kind' ? undefined : (key as keyof Errors);
    if (field && errors[field]) setErrors({ ...errors, [field]: '' });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError('');
    try {
      const input = inputOf(draft);
      if (editing) await api.updateMaintenance(id, input);
      else await api.createMaintenance(input);
      announce(editing ? 'Maintenance window saved' : 'Maintenance window created');
      navigate('/maintenance');
    } catch (error) {
      const field = error instanceof ApiError ? error.field : null;
      const control = field ? FIELD_OF[field.name] : undefined;
      if (field && control) {
        setErrors({ [control]: readable(field.message) });
        focusFirstInvalid(form.current);
      } else {
        setFormError((error as Error).message);
      }
    } finally {
      setBusy(false);
    }
  };

  const checkboxGroup = <T extends string>(
    name: keyof Errors,
    legend: string,
    options: Array<{ value: T; label: string; title?: string }>,
    selected: T[],
    onChange: (next: T[]) => void,
    hint?: string,
  ) => (
    <fieldset
      class={`field${errors[name] ? ' field-invalid' : ''}`}
      aria-describedby={
        [hint ? `${name}-hint` : '', errors[name] ? `${name}-error` : ''].filter(Boolean).join(' ') ||
        undefined
      }
    >
      <legend>{legend}</legend>
      <div class="choices">
        {options.map((option) => (
          <label key={option.value} class="inline" title={option.title}>
            <input
              type="checkbox"
              name={name}
              value={option.value}
              checked={selected.includes(option.value)}
              aria-invalid={Boolean(errors[name])}
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
        ))}
      </div>
      {hint && (
        <p class="hint" id={`${name}-hint`}>
          {hint}
        </p>
      )}
      {errors[name] && (
        <p class="field-error" id={`${name}-error`}>
          {errors[name]}
        </p>
      )}
    </fieldset>
  );

  const dates = (startLabel: string, endLabel: string, startHint: string, endHint: string) => (
    <div class="field-row">
      {(['startsAt', 'endsAt'] as const).map((key) => (
        <Field
          key={key}
          id={key}
          label={key === 'startsAt' ? startLabel : endLabel}
          hint={key === 'startsAt' ? startHint : endHint}
          error={errors[key]}
        >
          {(describedBy, invalid) => (
            <input
              id={key}
              name={key}
              type="datetime-local"
              value={draft[key]}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              onInput={(e) => set(key, e.currentTarget.value)}
            />
          )}
        </Field>
      ))}
    </div>
  );

  return (
    <>
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/maintenance" onClick={followLink}>
          Maintenance windows
        </a>
      </nav>
      <PageHeading title={editing ? 'Edit maintenance window' : 'New maintenance window'} />
      <form ref={form} class="card form maintenance-form" onSubmit={submit} noValidate>
        {formError && (
          <p class="error-note" role="alert">
            {formError}
          </p>
        )}
        <Field id="name" label="Name" hint="What is being done, e.g. “Database upgrade”." error={errors.name}>
          {(describedBy, invalid) => (
            <input
              id="name"
              name="name"
              type="text"
              autoComplete="off"
              value={draft.name}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              onInput={(e) => set('name', e.currentTarget.value)}
            />
          )}
        </Field>

        {monitors.length === 0 ? (
          <p class="muted">
            You have no monitors yet.{' '}
            <a href="/monitors/new" onClick={followLink}>
              Create one
            </a>{' '}
            first.
          </p>
        ) : (
          checkboxGroup(
            'monitorIds',
            'Monitors',
            monitors.map((m) => ({ value: m.id, label: m.name })),
            draft.monitorIds,
            (next) => set('monitorIds', next),
            'The monitors this window holds incidents back for.',
          )
        )}

        <fieldset class="field">
          <legend>Repeats</legend>
          <div class="choices">
            <label class="inline">
              <input
                type="radio"
                name="kind"
                value="once"
                checked={draft.kind === 'once'}
                onChange={() => set('kind', 'once')}
              />{' '}
              Once
            </label>
            <label class="inline">
              <input
                type="radio"
                name="kind"
                value="weekly"
                checked={draft.kind === 'weekly'}
                onChange={() => set('kind', 'weekly')}
              />{' '}
              Weekly
            </label>
          </div>
        </fieldset>

        {draft.kind === 'once' ? (
          dates('Starts', 'Ends', 'Your local time.', 'Your local time.')
        ) : (
          <>
            {checkboxGroup(
              'days',
              'On',
              WEEKDAYS.map((d) => ({ value: d, label: DAY_LABELS[d], title: DAY_NAMES[d] })),
              draft.days,
              (next) => set('days', next),
              'The days on which the window starts.',
            )}
            <div class="field-row">
              <Field
                id="time"
                label="At"
                hint="Time of day it starts, in the time zone below."
                error={errors.time}
              >
                {(describedBy, invalid) => (
                  <input
                    id="time"
                    name="time"
                    type="time"
                    value={draft.time}
                    aria-invalid={invalid}
                    aria-describedby={describedBy}
                    onInput={(e) => set('time', e.currentTarget.value)}
                  />
                )}
              </Field>
              <Field
                id="durationMinutes"
                label="For (minutes)"
                hint="1 to 10080 (a week)."
                error={errors.durationMinutes}
              >
                {(describedBy, invalid) => (
                  <input
                    id="durationMinutes"
                    name="durationMinutes"
                    type="text"
                    inputMode="numeric"
                    value={draft.durationMinutes}
                    aria-invalid={invalid}
                    aria-describedby={describedBy}
                    onInput={(e) => set('durationMinutes', e.currentTarget.value)}
                  />
                )}
              </Field>
            </div>
            <Field
              id="timeZone"
              label="Time zone"
              hint={`An IANA name such as Europe/Berlin; yours is ${browserTimeZone()}.`}
              error={errors.timeZone}
            >
              {(describedBy, invalid) => (
                <>
                  <input
                    id="timeZone"
                    name="timeZone"
                    type="text"
                    list="time-zones"
                    autoComplete="off"
                    value={draft.timeZone}
                    aria-invalid={invalid}
                    aria-describedby={describedBy}
                    onInput={(e) => set('timeZone', e.currentTarget.value)}
                  />
                  <datalist id="time-zones">
                    {zones.map((zone) => (
                      <option key={zone} value={zone} />
                    ))}
                  </datalist>
                </>
              )}
            </Field>
            {dates(
              'Not before (optional)',
              'Not after (optional)',
              'Your local time: no occurrence starts before it.',
              'Your local time: no occurrence starts at or after it.',
            )}
          </>
        )}

        <div class="form-actions">
          <button class="button primary" type="submit" disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save changes' : 'Create window'}
          </button>
          <a class="button" href="/maintenance" onClick={followLink}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
