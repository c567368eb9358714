import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import {
  CheckboxGroup,
  TextareaField,
  FormActions,
  FormError,
  InputField,
  SelectField,
} from '../components/field.js';
import { LoadFailed, PageHeading } from '../components/layout.js';
import { useFormSubmit } from '../forms.js';
import { followLink, navigate } from '../router.js';
import { fieldText, fieldValue, integer, type KindField, kindNamed, KINDS, withScheme } from '../kinds.js';
import type { Channel, Monitor, MonitorInput } from '../types.js';
import './monitor-form.css';

/** The form's state: text as typed, so the API can say what is wrong with it. */
interface Draft {
  kind: string;
  /** Each kind's settings as typed, kept while another kind is chosen. */
  settings: Record<string, Record<string, string | boolean>>;
  name: string;
  intervalSeconds: string;
  timeoutMs: string;
  regions: string[];
  paused: boolean;
  publicBadges: boolean;
  failureThreshold: string;
  recoveryThreshold: string;
  /** '' for a majority of the regions (the API's null). */
  regionQuorum: string;
  retryIntervalSeconds: string;
  /** Undefined on a new monitor until the channels load (then the default ones are ticked). */
  channelIds: string[] | undefined;
  reminderIntervalMinutes: string;
  /** Comma-separated, as typed. */
  tags: string;
  /** Whether the monitor came with tags (a server without them is not sent any). */
  hadTags: boolean;
}

/** Each kind's fields as a new monitor has them, or as `monitor` (of that kind) has them. */
function settingsDrafts(monitor?: Monitor): Draft['settings'] {
  return Object.fromEntries(
    KINDS.map((kind) => [
      kind.name,
      Object.fromEntries(
        kind.fields.map((field) => [
          field.key,
          monitor?.kind === kind.name ? fieldText(field, monitor[field.key]) : field.initial,
        ]),
      ),
    ]),
  );
}

const EMPTY: Draft = {
  kind: 'http',
  settings: settingsDrafts(),
  name: '',
  intervalSeconds: '180',
  // Left empty, the server picks 30000, or 5 s below a shorter interval.
  timeoutMs: '',
  regions: [],
  paused: false,
  publicBadges: false,
  failureThreshold: '2',
  recoveryThreshold: '2',
  regionQuorum: '',
  retryIntervalSeconds: '10',
  channelIds: undefined,
  reminderIntervalMinutes: '0',
  tags: '',
  hadTags: false,
};

function draftOf(m: Monitor): Draft {
  return {
    kind: m.kind,
    settings: settingsDrafts(m),
    name: m.name,
    intervalSeconds: String(m.intervalSeconds),
    timeoutMs: String(m.timeoutMs),
    regions: m.regions,
    paused: m.paused,
    publicBadges: m.publicBadges ?? false,
    failureThreshold: String(m.failureThreshold),
    recoveryThreshold: String(m.recoveryThreshold),
    regionQuorum: m.regionQuorum === null ? '' : String(m.regionQuorum),
    retryIntervalSeconds: String(m.retryIntervalSeconds),
    channelIds: m.channelIds ?? [],
    reminderIntervalMinutes: String(m.reminderIntervalMinutes ?? 0),
    tags: (m.tags ?? []).join(', '),
    hadTags: m.tags !== undefined,
  };
}

function inputOf(draft: Draft): MonitorInput {
  const kind = kindNamed(draft.kind)!;
  const input: MonitorInput = {
    kind: kind.name,
    intervalSeconds: integer(draft.intervalSeconds),
    failureThreshold: integer(draft.failureThreshold),
    recoveryThreshold: integer(draft.recoveryThreshold),
    regionQuorum: draft.regionQuorum === '' ? null : integer(draft.regionQuorum),
    retryIntervalSeconds: integer(draft.retryIntervalSeconds),
    paused: draft.paused,
    publicBadges: draft.publicBadges,
    channelIds: draft.channelIds,
    reminderIntervalMinutes: integer(draft.reminderIntervalMinutes),
  };
  // A push kind is judged once, by the server: it has no regions and no timeout of its own.
  if (kind.probed) {
    input.timeoutMs = integer(draft.timeoutMs);
    input.regions = draft.regions;
  }
  const typed = draft.settings[kind.name] ?? {};
  for (const field of kind.fields) input[field.key] = fieldValue(field, typed[field.key] ?? field.initial);
  if (draft.hadTags || draft.tags.trim() !== '') {
    input.tags = draft.tags
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean);
  }
  // An empty name lets the API name the monitor after what it checks.
  if (draft.name.trim() !== '') input.name = draft.name;
  for (const key of Object.keys(input)) {
    if (input[key] === undefined) delete input[key];
  }
  return input;
}

/** Create a monitor (no id) or edit one, with every setting the API has. */
export function MonitorFormPage({ id }: { id?: string }) {
  const editing = id !== undefined;
  useTitle(editing ? 'Edit monitor' : 'New monitor');
  const [draft, setDraft] = useState<Draft | null>(editing ? null : EMPTY);
  const [savedName, setSavedName] = useState('');
  const [regions, setRegions] = useState<string[]>([]);
  const [channels, setChannels] = useState<Channel[]>([]);
  const [loadError, setLoadError] = useState<Error>();
  const { form, errors, setErrors, formError, busy, onSubmit } = useFormSubmit<Record<string, string>>();
  /** A heartbeat monitor just given its push URL: shown here once, whole, before moving on. */
  const [madePush, setMadePush] = useState<{ id: string; pushUrl: string } | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api.regions(controller.signal).then(
      (r) => setRegions(r.regions),
      () => undefined,
    );
    api.channels(controller.signal).then(
      (r) => {
        setChannels(r.channels);
        // A new monitor starts with the default channels ticked, as the API would choose.
        setDraft((d) =>
          d && d.channelIds === undefined
            ? { ...d, channelIds: r.channels.filter((c) => c.isDefault).map((c) => c.id) }
            : d,
        );
      },
      () => undefined,
    );
    if (id !== undefined) {
      api.monitor(id, controller.signal).then(
        (r) => {
          setDraft(draftOf(r.monitor));
          setSavedName(r.monitor.name);
        },
        (error: Error) => error.name !== 'AbortError' && setLoadError(error),
      );
    }
    return () => controller.abort();
  }, [id]);

  if (loadError) {
    return (
      <LoadFailed
        error={loadError}
        title="Edit monitor"
        notFound="Monitor not found"
        back={{ href: '/', label: 'Back to monitors' }}
      />
    );
  }
  if (!draft) return <p class="muted">Loading…</p>;
  if (madePush) return <PushUrlShown {...madePush} />;

  const kind = kindNamed(draft.kind) ?? KINDS[0]!;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft({ ...draft, [key]: value });
    if (errors[key]) setErrors({ ...errors, [key]: '' });
  };
  const setSetting = (key: string, value: string | boolean) => {
    setDraft({
      ...draft,
      settings: { ...draft.settings, [kind.name]: { ...draft.settings[kind.name], [key]: value } },
    });
    if (errors[key]) setErrors({ ...errors, [key]: '' });
  };

  const submit = onSubmit(
    async () => {
      const input = inputOf(draft);
      const { monitor } = editing ? await api.updateMonitor(id, input) : await api.createMonitor(input);
      announce(editing ? 'Monitor saved' : 'Monitor created');
      // A push URL comes whole only in the answer that made it: shown now, before it is masked for good.
      if (monitor.pushUrl && !monitor.pushUrl.includes('…')) {
        setMadePush({ id: monitor.id, pushUrl: monitor.pushUrl });
        return;
      }
      navigate(`/monitors/${encodeURIComponent(monitor.id)}`);
    },
    (error) => {
      // Every field the API names, each beside its control; a setting's sub-field ("auth/username") at
      // its setting. What names no control here is said above the form.
      const shown: Record<string, string> = {};
      const elsewhere: string[] = [];
      for (const field of error instanceof ApiError ? error.fields : []) {
        const name = field.name.split('/')[0]!;
        if (name in draft || kind.fields.some((f) => f.key === name)) shown[name] ??= field.message;
        else elsewhere.push(`${field.name}: ${field.message}`);
      }
      return { fields: shown, ...(elsewhere.length > 0 ? { message: elsewhere.join('. ') } : {}) };
    },
  );

  /** A text setting of the draft: the input's id and name are its key. */
  const bound = (key: keyof Draft) => ({
    id: key,
    name: key,
    value: draft[key] as string,
    error: errors[key],
    onValue: (value: string) => set(key, value as never),
  });

  const fieldInput = (field: KindField) => (
    <KindFieldInput
      key={`${kind.name}:${field.key}`}
      field={field}
      value={draft.settings[kind.name]?.[field.key] ?? field.initial}
      error={errors[field.key]}
      onChange={(value) => setSetting(field.key, value)}
    />
  );
  const advanced = kind.fields.filter((field) => field.advanced);

  // The quorum can be at most the regions checked from: the chosen ones, or every region when none is (a
  // push kind is judged once, in one region of its own).
  const regionCount = !kind.probed ? 1 : draft.regions.length > 0 ? draft.regions.length : regions.length;
  const quorumChoices = Array.from(
    { length: Math.max(regionCount, Number(draft.regionQuorum) || 0) },
    (_, i) => String(i + 1),
  );
  const majority = Math.floor(regionCount / 2) + 1;

  const cancelHref = editing ? `/monitors/${encodeURIComponent(id)}` : '/';
  return (
    <>
      <PageHeading title={editing ? `Edit ${savedName}` : 'New monitor'} />
      <form ref={form} class="card form monitor-form" onSubmit={submit} noValidate>
        <FormError message={formError} />
        <SelectField
          id="kind"
          label="Kind"
          hint={kind.summary}
          value={draft.kind}
          onValue={(v) => set('kind', v)}
        >
          {KINDS.map((k) => (
            <option key={k.name} value={k.name}>
              {k.label}
            </option>
          ))}
        </SelectField>
        {kind.fields.filter((field) => !field.advanced).map(fieldInput)}
        {advanced.length > 0 && (
          <details class="field more-settings" open={advanced.some((field) => errors[field.key])}>
            <summary>More {kind.label} settings</summary>
            {advanced.map(fieldInput)}
          </details>
        )}
        {kind.name === 'heartbeat' && editing && <p class="hint">The push URL is on the monitor’s page.</p>}
        <InputField
          {...bound('name')}
          label="Name"
          hint={
            kind.name === 'http'
              ? "Optional: the URL's host when left empty."
              : 'Optional: what is checked when left empty.'
          }
          autoComplete="off"
        />
        <InputField
          {...bound('tags')}
          label="Tags"
          hint="Optional, separated by commas, e.g. “production, eu”: to filter and group the overview."
          autoComplete="off"
        />
        <div class="field-row">
          <InputField
            {...bound('intervalSeconds')}
            label={kind.probed ? 'Check every (seconds)' : 'Expect a push every (seconds)'}
            hint="10 to 86400."
            inputMode="numeric"
          />
          {kind.probed && (
            <InputField
              {...bound('timeoutMs')}
              label="Timeout (milliseconds)"
              hint="1000 to 60000, and at least 5 s below the interval. Empty: 30000, or 5 s below a shorter interval."
              inputMode="numeric"
            />
          )}
        </div>
        {kind.probed && regions.length > 0 && (
          <CheckboxGroup
            name="regions"
            legend="Regions"
            options={regions.map((region) => ({ value: region, label: region }))}
            selected={draft.regions}
            onChange={(next) => set('regions', next.sort())}
            hint="None selected: checked from every region."
            error={errors.regions}
          />
        )}
        <fieldset class="field-group" id="alerts">
          <legend>Incidents</legend>
          <p class="hint">
            A failed check alone opens no incident: a region counts as down after several failures in a row,
            and an incident opens when enough regions are down.
          </p>
          <div class="field-row">
            <InputField
              {...bound('failureThreshold')}
              label="Failed checks before down"
              hint="Consecutive failed checks before a region counts as down. Default 2 (1 to 10)."
              inputMode="numeric"
            />
            <InputField
              {...bound('recoveryThreshold')}
              label="Good checks before up"
              hint="Consecutive good checks before a down region counts as up again. Default 2 (1 to 10)."
              inputMode="numeric"
            />
          </div>
          <div class="field-row">
            <SelectField
              id="regionQuorum"
              label="Regions down to open an incident"
              hint={`How many regions must be down at once. Default: a majority of the regions checked from${
                regionCount > 0 ? ` (${majority} of ${regionCount} now)` : ''
              }.`}
              error={errors.regionQuorum}
              value={draft.regionQuorum}
              onValue={(v) => set('regionQuorum', v)}
            >
              <option value="">Majority (default)</option>
              {quorumChoices.map((n) => (
                <option key={n} value={n}>
                  {n}
                  {n === String(regionCount) && regionCount > 1 ? ' (all)' : ''}
                </option>
              ))}
            </SelectField>
            <InputField
              {...bound('retryIntervalSeconds')}
              label="Recheck while failing every (seconds)"
              hint="While a region fails or an incident is open, checks come this often instead, so an outage is confirmed in seconds. Default 10 (at least 5, at most the check interval)."
              inputMode="numeric"
            />
          </div>
        </fieldset>
        <fieldset class="field-group" id="notifications">
          <legend>Notifications</legend>
          {channels.length === 0 ? (
            <p class="hint">
              No channels yet: add one on the{' '}
              <a href="/channels" onClick={followLink}>
                Channels
              </a>{' '}
              page to be told of incidents.
            </p>
          ) : (
            <CheckboxGroup
              name="channelIds"
              legend="Tell these channels"
              options={channels.map((channel) => ({
                value: channel.id,
                label: (
                  <>
                    {channel.name} <span class="muted">({channel.type})</span>
                  </>
                ),
              }))}
              selected={draft.channelIds ?? []}
              onChange={(next) => set('channelIds', next)}
              hint="Each is told when an incident opens and resolves."
              error={errors.channelIds}
            />
          )}
          <InputField
            {...bound('reminderIntervalMinutes')}
            label="Remind every (minutes)"
            hint="While an incident is open and not acknowledged. 0: no reminders."
            inputMode="numeric"
          />
        </fieldset>
        <div class="field checks">
          <label class="inline">
            <input
              type="checkbox"
              name="paused"
              checked={draft.paused}
              onChange={(e) => set('paused', e.currentTarget.checked)}
            />{' '}
            Paused
          </label>
          <label class="inline">
            <input
              type="checkbox"
              name="publicBadges"
              checked={draft.publicBadges}
              onChange={(e) => set('publicBadges', e.currentTarget.checked)}
            />{' '}
            Public badges (status, uptime and response-time images anyone can load)
          </label>
        </div>
        <FormActions
          busy={busy}
          label={editing ? 'Save changes' : 'Create monitor'}
          cancelHref={cancelHref}
        />
      </form>
    </>
  );
}

/** One setting of a kind, as its description says it is edited. */
function KindFieldInput({
  field,
  value,
  error,
  onChange,
}: {
  field: KindField;
  value: string | boolean;
  error: string | undefined;
  onChange: (value: string | boolean) => void;
}) {
  const { key, label, hint, control } = field;
  if (control.type === 'checkbox') {
    return (
      <div class="field checks">
        <label class="inline">
          <input
            id={key}
            type="checkbox"
            name={key}
            checked={value === true}
            onChange={(e) => onChange(e.currentTarget.checked)}
          />{' '}
          {label}
        </label>
        {error && (
          <p class="field-error" id={`${key}-error`}>
            {error}
          </p>
        )}
      </div>
    );
  }
  if (control.type === 'auth') return <AuthInput value={String(value)} error={error} onChange={onChange} />;
  const text = String(value);
  const labelled = { id: key, name: key, label, hint, error };
  return (
    <>
      {control.type === 'select' ? (
        <SelectField {...labelled} value={text} onValue={onChange}>
          {control.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </SelectField>
      ) : control.type === 'textarea' || control.type === 'headers' || control.type === 'json' ? (
        <TextareaField
          {...labelled}
          rows={control.type === 'textarea' ? 3 : 2}
          spellcheck={false}
          value={text}
          onValue={onChange}
        />
      ) : (
        <InputField
          {...labelled}
          autoComplete="off"
          value={text}
          inputMode={
            control.type === 'integer' ? 'numeric' : control.type === 'text' ? control.inputMode : undefined
          }
          placeholder={control.type === 'text' ? control.placeholder : undefined}
          onValue={onChange}
          // Shows the scheme the address will be saved with as soon as the box is left.
          onBlur={
            control.type === 'text' && control.inputMode === 'url'
              ? (e) => onChange(withScheme(e.currentTarget.value.trim()))
              : undefined
          }
        />
      )}
    </>
  );
}

type Auth = { type: 'basic'; username: string; password?: string } | { type: 'bearer'; token?: string };

/** HTTP authentication: none, basic or bearer; a secret comes back masked and is kept when sent back so. */
function AuthInput({
  value,
  error,
  onChange,
}: {
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const auth = value === '' ? null : (JSON.parse(value) as Auth);
  const change = (next: Auth | null) => onChange(next === null ? '' : JSON.stringify(next));
  /** One credential's box; a secret one is kept by the server while it shows the mask. */
  const part = (name: string, label: string, text: string, set: (text: string) => void, secret = false) => (
    <InputField
      id={`auth-${name}`}
      label={label}
      hint={secret ? 'Kept as it is while it shows ********.' : undefined}
      type={secret ? 'password' : 'text'}
      autoComplete={secret ? 'new-password' : 'off'}
      value={text}
      onValue={set}
    />
  );
  return (
    <>
      <SelectField
        id="auth"
        label="Authentication"
        error={error}
        value={auth?.type ?? ''}
        onValue={(type) =>
          change(
            type === 'basic'
              ? { type, username: '', password: '' }
              : type === 'bearer'
                ? { type, token: '' }
                : null,
          )
        }
      >
        <option value="">None</option>
        <option value="basic">Basic (username and password)</option>
        <option value="bearer">Bearer token</option>
      </SelectField>
      {auth?.type === 'basic' && (
        <div class="field-row">
          {part('username', 'Username', auth.username, (username) => change({ ...auth, username }))}
          {part(
            'password',
            'Password',
            auth.password ?? '',
            (password) => change({ ...auth, password }),
            true,
          )}
        </div>
      )}
      {auth?.type === 'bearer' &&
        part('token', 'Token', auth.token ?? '', (token) => change({ ...auth, token }), true)}
    </>
  );
}

/** A heartbeat monitor's new push URL, shown whole this once (the server keeps only its hash). */
function PushUrlShown({ id, pushUrl }: { id: string; pushUrl: string }) {
  return (
    <>
      <PageHeading title="Your push URL" />
      <div class="card form" role="status">
        <p>
          Call this URL from your cron job or service, at least once per interval (copy it now: it is not
          shown again):
        </p>
        <pre class="new-key push-url">{pushUrl}</pre>
        <p class="hint">
          For example <code>curl -fsS -m 10 {pushUrl}</code>; add <code>?status=down&amp;message=…</code> to
          report a failure yourself.
        </p>
        <a class="button primary" href={`/monitors/${encodeURIComponent(id)}`} onClick={followLink}>
          Go to the monitor
        </a>
      </div>
    </>
  );
}
