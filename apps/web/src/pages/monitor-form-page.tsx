import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { Field, focusFirstInvalid } from '../components/field.js';
import { ErrorNote, isNotFound, PageHeading } from '../components/layout.js';
import { followLink, navigate } from '../router.js';
import type { Monitor, MonitorInput } from '../types.js';

/** The form's state: text as typed, so the API can say what is wrong with it. */
interface Draft {
  url: string;
  name: string;
  intervalSeconds: string;
  timeoutMs: string;
  method: 'GET' | 'HEAD';
  expectedStatus: string;
  keyword: string;
  keywordMode: 'present' | 'absent';
  followRedirects: boolean;
  regions: string[];
  paused: boolean;
}

const EMPTY: Draft = {
  url: '',
  name: '',
  intervalSeconds: '180',
  timeoutMs: '30000',
  method: 'GET',
  expectedStatus: '200-299',
  keyword: '',
  keywordMode: 'present',
  followRedirects: true,
  regions: [],
  paused: false,
};

function draftOf(m: Monitor): Draft {
  return {
    url: m.url,
    name: m.name,
    intervalSeconds: String(m.intervalSeconds),
    timeoutMs: String(m.timeoutMs),
    method: m.method,
    expectedStatus: m.expectedStatus.join(', '),
    keyword: m.keyword ?? '',
    keywordMode: m.keywordMode,
    followRedirects: m.followRedirects,
    regions: m.regions,
    paused: m.paused,
  };
}

/** Whole numbers become numbers; anything else is sent as typed, for the API to reject by name. */
function integer(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

function inputOf(draft: Draft): MonitorInput {
  const input: MonitorInput = {
    url: draft.url.trim(),
    intervalSeconds: integer(draft.intervalSeconds),
    timeoutMs: integer(draft.timeoutMs),
    method: draft.method,
    expectedStatus: draft.expectedStatus
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean),
    keyword: draft.keyword === '' ? null : draft.keyword,
    keywordMode: draft.keywordMode,
    followRedirects: draft.followRedirects,
    regions: draft.regions,
    paused: draft.paused,
  };
  // An empty name lets the API name the monitor after the URL's host.
  if (draft.name.trim() !== '') input.name = draft.name;
  for (const key of Object.keys(input) as (keyof MonitorInput)[]) {
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
  const [loadError, setLoadError] = useState<Error>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    api.regions(controller.signal).then(
      (r) => setRegions(r.regions),
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
      <>
        <PageHeading title={isNotFound(loadError) ? 'Monitor not found' : 'Edit monitor'} />
        <ErrorNote error={loadError} />
        <a href="/" onClick={followLink}>
          Back to monitors
        </a>
      </>
    );
  }
  if (!draft) return <p class="muted">Loading…</p>;

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft({ ...draft, [key]: value });
    if (errors[key]) setErrors({ ...errors, [key]: '' });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError('');
    try {
      const input = inputOf(draft);
      const { monitor } = editing ? await api.updateMonitor(id, input) : await api.createMonitor(input);
      announce(editing ? 'Monitor saved' : 'Monitor created');
      navigate(`/monitors/${encodeURIComponent(monitor.id)}`);
    } catch (error) {
      const field = error instanceof ApiError ? error.field : null;
      if (field && field.name in draft) {
        setErrors({ [field.name]: field.message });
        focusFirstInvalid(form.current);
      } else {
        setFormError((error as Error).message);
      }
    } finally {
      setBusy(false);
    }
  };

  const text = (key: keyof Draft, extra: Record<string, unknown> = {}) =>
    function render(describedBy: string | undefined, invalid: boolean) {
      return (
        <input
          id={key}
          name={key}
          type="text"
          value={draft[key] as string}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          onInput={(e) => set(key, e.currentTarget.value as never)}
          {...extra}
        />
      );
    };

  const cancelHref = editing ? `/monitors/${encodeURIComponent(id)}` : '/';
  return (
    <>
      <PageHeading title={editing ? `Edit ${savedName}` : 'New monitor'} />
      <form ref={form} class="card form monitor-form" onSubmit={submit} noValidate>
        {formError && (
          <p class="error-note" role="alert">
            {formError}
          </p>
        )}
        <Field id="url" label="URL" hint="The http or https address to check." error={errors.url}>
          {text('url', {
            inputMode: 'url',
            autoComplete: 'url',
            required: true,
            placeholder: 'https://example.com/health',
          })}
        </Field>
        <Field id="name" label="Name" hint="Optional: the URL's host when left empty." error={errors.name}>
          {text('name', { autoComplete: 'off' })}
        </Field>
        <div class="field-row">
          <Field
            id="intervalSeconds"
            label="Check every (seconds)"
            hint="30 to 86400."
            error={errors.intervalSeconds}
          >
            {text('intervalSeconds', { inputMode: 'numeric' })}
          </Field>
          <Field id="timeoutMs" label="Timeout (milliseconds)" hint="1000 to 60000." error={errors.timeoutMs}>
            {text('timeoutMs', { inputMode: 'numeric' })}
          </Field>
        </div>
        <div class="field-row">
          <Field id="method" label="Method" error={errors.method}>
            {(describedBy, invalid) => (
              <select
                id="method"
                value={draft.method}
                aria-invalid={invalid}
                aria-describedby={describedBy}
                onChange={(e) => set('method', e.currentTarget.value as Draft['method'])}
              >
                <option value="GET">GET</option>
                <option value="HEAD">HEAD</option>
              </select>
            )}
          </Field>
          <Field
            id="expectedStatus"
            label="Expected status codes"
            hint='Codes and ranges that count as up, e.g. "200-299, 304".'
            error={errors.expectedStatus}
          >
            {text('expectedStatus')}
          </Field>
        </div>
        <Field
          id="keyword"
          label="Keyword"
          hint="Optional text to look for in the response body."
          error={errors.keyword}
        >
          {text('keyword')}
        </Field>
        <fieldset class="field" aria-describedby={errors.keywordMode ? 'keywordMode-error' : undefined}>
          <legend>The keyword must be</legend>
          {(['present', 'absent'] as const).map((mode) => (
            <label key={mode} class="inline">
              <input
                type="radio"
                name="keywordMode"
                value={mode}
                checked={draft.keywordMode === mode}
                onChange={() => set('keywordMode', mode)}
              />{' '}
              {mode}
            </label>
          ))}
          {errors.keywordMode && (
            <p class="field-error" id="keywordMode-error">
              {errors.keywordMode}
            </p>
          )}
        </fieldset>
        {regions.length > 0 && (
          <fieldset class="field" aria-describedby="regions-hint">
            <legend>Regions</legend>
            {regions.map((region) => (
              <label key={region} class="inline">
                <input
                  type="checkbox"
                  name="regions"
                  value={region}
                  checked={draft.regions.includes(region)}
                  onChange={(e) =>
                    set(
                      'regions',
                      e.currentTarget.checked
                        ? [...draft.regions, region].sort()
                        : draft.regions.filter((r) => r !== region),
                    )
                  }
                />{' '}
                {region}
              </label>
            ))}
            <p class="hint" id="regions-hint">
              None selected: checked from every region.
            </p>
            {errors.regions && <p class="field-error">{errors.regions}</p>}
          </fieldset>
        )}
        <div class="field checks">
          <label class="inline">
            <input
              type="checkbox"
              name="followRedirects"
              checked={draft.followRedirects}
              onChange={(e) => set('followRedirects', e.currentTarget.checked)}
            />{' '}
            Follow redirects (up to 5)
          </label>
          <label class="inline">
            <input
              type="checkbox"
              name="paused"
              checked={draft.paused}
              onChange={(e) => set('paused', e.currentTarget.checked)}
            />{' '}
            Paused
          </label>
        </div>
        <div class="form-actions">
          <button class="button primary" type="submit" disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save changes' : 'Create monitor'}
          </button>
          <a class="button" href={cancelHref} onClick={followLink}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
