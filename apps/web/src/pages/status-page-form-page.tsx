import { api, ApiError } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { FormActions, FormError, InputField, TextareaField } from '../components/field.js';
import { LoadFailed, PageHeading } from '../components/layout.js';
import { useDraftAndMonitorNames, useFormSubmit, value } from '../forms.js';
import { followLink, navigate } from '../router.js';
import type { Monitor, StatusPage, StatusPageInput, StatusPageSection, StatusPageShow } from '../types.js';

/** The form's state: text as typed, so the API can say what is wrong with it. */
interface Draft {
  slug: string;
  title: string;
  description: string;
  sections: StatusPageSection[];
  show: StatusPageShow;
  published: boolean;
  customDomain: string;
}

const SHOW_LABELS: Record<keyof StatusPageShow, string> = {
  uptimeBars: '90 daily uptime bars per monitor',
  uptimePercent: '90-day uptime percentage per monitor',
  incidents: 'Open incidents and those of the last 14 days, with your updates',
  maintenance: 'Maintenance in effect or scheduled',
};

function emptyDraft(): Draft {
  return {
    slug: '',
    title: '',
    description: '',
    sections: [{ name: 'Services', monitors: [] }],
    show: { uptimeBars: true, uptimePercent: true, incidents: true, maintenance: true },
    published: true,
    customDomain: '',
  };
}

function draftOf(page: StatusPage): Draft {
  const { slug, title, description, sections, show, published } = page;
  return { slug, title, description, sections, show, published, customDomain: page.customDomain ?? '' };
}

/** Every field (PUT replaces the page); an empty custom domain is none. */
function inputOf(draft: Draft): StatusPageInput {
  const customDomain = draft.customDomain.trim();
  return { ...draft, slug: draft.slug.trim(), customDomain: customDomain === '' ? null : customDomain };
}

/**
 * Where the API's message goes: its path without "body/", a section's monitor folded into its row
 * (sections/0/monitors/2/displayName → sections/0/monitors/2), a list's index dropped elsewhere.
 */
function errorOf(error: unknown): { key: string; message: string } | null {
  if (!(error instanceof ApiError)) return null;
  const found = /^body\/(\S+)\s+(.*)$/.exec(error.message);
  if (!found) return null;
  const path = found[1]!;
  const message = found[2]!.charAt(0).toUpperCase() + found[2]!.slice(1);
  const row = /^sections\/\d+\/monitors\/\d+/.exec(path);
  if (row) return { key: row[0], message };
  const sectionName = /^sections\/\d+\/name/.exec(path);
  if (sectionName) return { key: sectionName[0], message };
  return { key: path.replace(/\/.*$/, ''), message };
}

type MonitorName = Pick<Monitor, 'id' | 'name'>;

/** Create a status page (no id) or edit one. */
export function StatusPageFormPage({ id }: { id?: string }) {
  const editing = id !== undefined;
  useTitle(editing ? 'Edit status page' : 'New status page');
  const { draft, setDraft, monitors, loadError } = useDraftAndMonitorNames(id, emptyDraft, (id, signal) =>
    api.statusPage(id, signal).then((r) => draftOf(r.statusPage)),
  );
  const { form, errors, setErrors, formError, busy, onSubmit } = useFormSubmit<Record<string, string>>();

  if (loadError) {
    return (
      <LoadFailed
        error={loadError}
        title="Status page"
        notFound="Status page not found"
        back={{ href: '/status-pages', label: 'Back to status pages' }}
      />
    );
  }
  if (!draft || !monitors) return <p class="muted">Loading…</p>;

  const update = (next: Partial<Draft>, clear: string[]) => {
    setDraft({ ...draft, ...next });
    if (clear.some((key) => errors[key]))
      setErrors(Object.fromEntries(Object.entries(errors).filter(([k]) => !clear.includes(k))));
  };
  const setSection = (index: number, section: StatusPageSection, clear: string) =>
    update({ sections: draft.sections.map((s, i) => (i === index ? section : s)) }, [clear, 'sections']);

  const submit = onSubmit(
    async () => {
      const input = inputOf(draft);
      if (editing) await api.updateStatusPage(id, input);
      else await api.createStatusPage(input);
      announce(editing ? 'Status page saved' : 'Status page created');
      navigate('/status-pages');
    },
    (error) => {
      const placed = errorOf(error);
      return placed ? { fields: { [placed.key]: placed.message } } : {};
    },
  );

  const text = (key: 'slug' | 'title' | 'customDomain', label: string, hint: string) => (
    <InputField
      id={key}
      name={key}
      label={label}
      hint={hint}
      error={errors[key]}
      autoComplete="off"
      spellcheck={false}
      value={draft[key]}
      onValue={(v) => update({ [key]: v }, [key])}
    />
  );

  return (
    <>
      <nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/status-pages" onClick={followLink}>
          Status pages
        </a>
      </nav>
      <PageHeading title={editing ? 'Edit status page' : 'New status page'} />
      <form ref={form} class="card form status-page-form" onSubmit={submit} noValidate>
        <FormError message={formError} />
        {text('title', 'Title', 'What visitors read at the top, e.g. “Acme status”.')}
        {text(
          'slug',
          'Address',
          `The page is at ${location.origin}/status/${draft.slug.trim() || '<address>'}: lower-case letters, digits and hyphens.`,
        )}
        <TextareaField
          id="description"
          name="description"
          label="Description (optional)"
          error={errors.description}
          value={draft.description}
          onValue={(v) => update({ description: v }, ['description'])}
        />

        {errors.sections && (
          <p class="field-error" role="alert">
            {errors.sections}
          </p>
        )}
        {draft.sections.map((section, index) => (
          <SectionFields
            key={index}
            index={index}
            section={section}
            monitors={monitors}
            errors={errors}
            onChange={(next, clear) => setSection(index, next, clear)}
            onRemove={
              draft.sections.length > 1
                ? () => update({ sections: draft.sections.filter((_, i) => i !== index) }, ['sections'])
                : undefined
            }
          />
        ))}
        <div class="form-actions">
          <button
            type="button"
            class="button small"
            onClick={() =>
              update({ sections: [...draft.sections, { name: '', monitors: [] }] }, ['sections'])
            }
          >
            Add a section
          </button>
        </div>

        <fieldset class="field">
          <legend>Show</legend>
          <div class="choices">
            {(Object.keys(SHOW_LABELS) as Array<keyof StatusPageShow>).map((key) => (
              <label key={key} class="inline">
                <input
                  type="checkbox"
                  name={`show-${key}`}
                  checked={draft.show[key]}
                  onChange={(e) =>
                    update({ show: { ...draft.show, [key]: e.currentTarget.checked } }, ['show'])
                  }
                />{' '}
                {SHOW_LABELS[key]}
              </label>
            ))}
          </div>
          <p class="hint">Each monitor’s current state and the overall state are always shown.</p>
        </fieldset>

        {text(
          'customDomain',
          'Custom domain (optional)',
          'A host name such as status.example.com whose DNS points here: requests for it get this page at /.',
        )}
        <label class="inline field">
          <input
            type="checkbox"
            name="published"
            checked={draft.published}
            onChange={(e) => update({ published: e.currentTarget.checked }, ['published'])}
          />{' '}
          Published (unpublished pages answer 404 to visitors)
        </label>

        <FormActions
          busy={busy}
          label={editing ? 'Save changes' : 'Create status page'}
          cancelHref="/status-pages"
        />
      </form>
    </>
  );
}

/** One section: its name, and which of the user's monitors it shows under which names. */
function SectionFields({
  index,
  section,
  monitors,
  errors,
  onChange,
  onRemove,
}: {
  index: number;
  section: StatusPageSection;
  monitors: MonitorName[];
  errors: Record<string, string>;
  onChange: (next: StatusPageSection, clear: string) => void;
  onRemove: (() => void) | undefined;
}) {
  const prefix = `sections/${index}`;
  const chosen = new Map(section.monitors.map((m, j) => [m.monitorId, { ...m, j }]));
  // Monitors named by the page but no longer the user's (deleted) still show, so they can be removed.
  const rows: MonitorName[] = [
    ...monitors,
    ...section.monitors
      .filter((m) => !monitors.some((own) => own.id === m.monitorId))
      .map((m) => ({ id: m.monitorId, name: 'a deleted monitor' })),
  ];
  const sectionError = errors[prefix] ?? errors[`${prefix}/monitors`];
  return (
    <fieldset class={`field section-fields${sectionError ? ' field-invalid' : ''}`} data-section={index}>
      <legend>Section {index + 1}</legend>
      <InputField
        id={`section-${index}-name`}
        label="Section name"
        error={errors[`${prefix}/name`]}
        autoComplete="off"
        value={section.name}
        onValue={(v) => onChange({ ...section, name: v }, `${prefix}/name`)}
      />
      {monitors.length === 0 && (
        <p class="muted">
          You have no monitors yet.{' '}
          <a href="/monitors/new" onClick={followLink}>
            Create one
          </a>{' '}
          first.
        </p>
      )}
      <ul class="section-monitors" aria-label={`Monitors of section ${index + 1}`}>
        {rows.map((monitor) => {
          const entry = chosen.get(monitor.id);
          const rowKey = entry ? `${prefix}/monitors/${entry.j}` : '';
          const error = entry ? errors[rowKey] : undefined;
          const nameId = `section-${index}-monitor-${monitor.id}`;
          return (
            <li key={monitor.id} class={error ? 'field-invalid' : undefined}>
              <label class="inline">
                <input
                  type="checkbox"
                  checked={entry !== undefined}
                  aria-invalid={Boolean(error)}
                  onChange={(e) =>
                    onChange(
                      {
                        ...section,
                        monitors: e.currentTarget.checked
                          ? [...section.monitors, { monitorId: monitor.id, displayName: monitor.name }]
                          : section.monitors.filter((m) => m.monitorId !== monitor.id),
                      },
                      rowKey,
                    )
                  }
                />{' '}
                {monitor.name}
              </label>
              {entry && (
                <>
                  {' '}
                  <label class="visually-hidden" for={nameId}>
                    Name visitors see for {monitor.name}
                  </label>
                  <input
                    id={nameId}
                    type="text"
                    autoComplete="off"
                    class="display-name"
                    placeholder="Name visitors see"
                    value={entry.displayName}
                    aria-invalid={Boolean(error)}
                    aria-describedby={error ? `${nameId}-error` : undefined}
                    onInput={value((v) =>
                      onChange(
                        {
                          ...section,
                          monitors: section.monitors.map((m) =>
                            m.monitorId === monitor.id ? { ...m, displayName: v } : m,
                          ),
                        },
                        rowKey,
                      ),
                    )}
                  />
                </>
              )}
              {error && (
                <p class="field-error" id={`${nameId}-error`}>
                  {error}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      {sectionError && <p class="field-error">{sectionError}</p>}
      {onRemove && (
        <button type="button" class="button small danger" onClick={onRemove}>
          Remove section {index + 1}
        </button>
      )}
    </fieldset>
  );
}
