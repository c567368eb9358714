import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { CheckboxGroup, FormActions, FormError, InputField } from '../components/field.js';
import { LoadFailed, PageHeading } from '../components/layout.js';
import {
  browserTimeZone,
  DAY_LABELS,
  DAY_NAMES,
  fromLocalInput,
  knownTimeZones,
  toLocalInput,
} from '../maintenance.js';
import { useDraftAndMonitorNames, useFormSubmit } from '../forms.js';
import { followLink, navigate } from '../router.js';
import { type MaintenanceInput, type MaintenanceWindow, type Weekday, WEEKDAYS } from '../types.js';

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
  const { draft, setDraft, monitors, loadError } = useDraftAndMonitorNames(id, emptyDraft, (id, signal) =>
    api.maintenanceWindow(id, signal).then((r) => draftOf(r.window)),
  );
  const { form, errors, setErrors, formError, busy, onSubmit } = useFormSubmit<Errors>();
  const [zones] = useState(knownTimeZones);

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

  const submit = onSubmit(
    async () => {
      const input = inputOf(draft);
      if (editing) await api.updateMaintenance(id, input);
      else await api.createMaintenance(input);
      announce(editing ? 'Maintenance window saved' : 'Maintenance window created');
      navigate('/maintenance');
    },
    (error) => {
      const field = error instanceof ApiError ? error.field : null;
      const control = field ? FIELD_OF[field.name] : undefined;
      return field && control ? { fields: { [control]: readable(field.message) } } : {};
    },
  );

  /** A text of the draft in an InputField: its id and name are its key. */
  const bound = (key: 'name' | 'startsAt' | 'endsAt' | 'time' | 'durationMinutes' | 'timeZone') => ({
    id: key,
    name: key,
    value: draft[key],
    error: errors[key],
    onValue: (value: string) => set(key, value),
  });

  const dates = (startLabel: string, endLabel: string, startHint: string, endHint: string) => (
    <div class="field-row">
      {(['startsAt', 'endsAt'] as const).map((key) => (
        <InputField
          key={key}
          {...bound(key)}
          label={key === 'startsAt' ? startLabel : endLabel}
          hint={key === 'startsAt' ? startHint : endHint}
          type="datetime-local"
        />
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
        <FormError message={formError} />
        <InputField
          {...bound('name')}
          label="Name"
          hint="What is being done, e.g. “Database upgrade”."
          autoComplete="off"
        />

        {monitors.length === 0 ? (
          <p class="muted">
            You have no monitors yet.{' '}
            <a href="/monitors/new" onClick={followLink}>
              Create one
            </a>{' '}
            first.
          </p>
        ) : (
          <CheckboxGroup
            name="monitorIds"
            legend="Monitors"
            options={monitors.map((m) => ({ value: m.id, label: m.name }))}
            selected={draft.monitorIds}
            onChange={(next) => set('monitorIds', next)}
            hint="The monitors this window holds incidents back for."
            error={errors.monitorIds}
            wrap
          />
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
            <CheckboxGroup
              name="days"
              legend="On"
              options={WEEKDAYS.map((d) => ({ value: d, label: DAY_LABELS[d], title: DAY_NAMES[d] }))}
              selected={draft.days}
              onChange={(next) => set('days', next)}
              hint="The days on which the window starts."
              error={errors.days}
              wrap
            />
            <div class="field-row">
              <InputField
                {...bound('time')}
                label="At"
                hint="Time of day it starts, in the time zone below."
                type="time"
              />
              <InputField
                {...bound('durationMinutes')}
                label="For (minutes)"
                hint="1 to 10080 (a week)."
                inputMode="numeric"
              />
            </div>
            <InputField
              {...bound('timeZone')}
              label="Time zone"
              hint={`An IANA name such as Europe/Berlin; yours is ${browserTimeZone()}.`}
              list="time-zones"
              autoComplete="off"
            >
              <datalist id="time-zones">
                {zones.map((zone) => (
                  <option key={zone} value={zone} />
                ))}
              </datalist>
            </InputField>
            {dates(
              'Not before (optional)',
              'Not after (optional)',
              'Your local time: no occurrence starts before it.',
              'Your local time: no occurrence starts at or after it.',
            )}
          </>
        )}

        <FormActions
          busy={busy}
          label={editing ? 'Save changes' : 'Create window'}
          cancelHref="/maintenance"
        />
      </form>
    </>
  );
}
