import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { DeliveryTable } from '../components/delivery-table.js';
import { FormActions, FormError, InputField, SelectField } from '../components/field.js';
import { ErrorNote, PageHeading, ShownOnce } from '../components/layout.js';
import { formatDateTime } from '../format.js';
import { usePolling } from '../hooks.js';
import type { Channel, ChannelType, Delivery } from '../types.js';
import { ColumnHeads, RowButton } from '../components/table.js';

/** Each type's settings as form fields: key, label, hint. */
const TYPES: Record<ChannelType, { label: string; fields: Array<[string, string, string]> }> = {
  webhook: { label: 'Webhook', fields: [['url', 'URL', 'Receives signed JSON POSTs (see the README).']] },
  slack: { label: 'Slack', fields: [['url', 'Incoming-webhook URL', 'https://hooks.slack.com/services/…']] },
  discord: { label: 'Discord', fields: [['url', 'Webhook URL', 'https://discord.com/api/webhooks/…']] },
  teams: { label: 'Microsoft Teams', fields: [['url', 'Workflow webhook URL', 'From a Teams workflow.']] },
  telegram: {
    label: 'Telegram',
    fields: [
      ['botToken', 'Bot token', 'From @BotFather.'],
      ['chatId', 'Chat id', 'A numeric chat id or @channel.'],
    ],
  },
  ntfy: {
    label: 'ntfy',
    fields: [
      ['serverUrl', 'Server URL', 'https://ntfy.sh or your own.'],
      ['topic', 'Topic', 'Letters, digits, - and _.'],
    ],
  },
  pagerduty: {
    label: 'PagerDuty',
    fields: [['routingKey', 'Routing key', 'An Events API v2 integration key.']],
  },
  email: { label: 'Email', fields: [['to', 'Recipients', 'Addresses separated by commas.']] },
};

interface Draft {
  id?: string;
  type: ChannelType;
  name: string;
  values: Record<string, string>;
  isDefault: boolean;
}

const EMPTY: Draft = { type: 'webhook', name: '', values: {}, isDefault: false };

function configOf(draft: Draft): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key] of TYPES[draft.type].fields) {
    const value = (draft.values[key] ?? '').trim();
    if (key === 'to') config.to = value.split(/[\s,;]+/).filter(Boolean);
    else if (value !== '' || !draft.id) config[key] = value;
  }
  return config;
}

function draftOf(channel: Channel): Draft {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(channel.config))
    values[key] = Array.isArray(value) ? value.join(', ') : String(value);
  return { id: channel.id, type: channel.type, name: channel.name, values, isDefault: channel.isDefault };
}

/** Notification channels: add, edit, test, delete, and each one's recent deliveries. */
export function ChannelsPage() {
  useTitle('Channels');
  const page = usePolling((signal) => api.channels(signal), 10_000, 'channels');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);

  const save = async (event: Event) => {
    event.preventDefault();
    if (!draft) return;
    setErrors({});
    try {
      const input = {
        type: draft.type,
        name: draft.name,
        config: configOf(draft),
        isDefault: draft.isDefault,
      };
      if (draft.id) {
        const { type: _type, ...changes } = input;
        await api.updateChannel(draft.id, changes);
        setSecret(null);
        setNote({ ok: true, text: `Channel “${draft.name}” saved.` });
      } else {
        const created = await api.createChannel(input);
        setSecret(created.channel.type === 'webhook' ? created.secret : null);
        setNote({ ok: true, text: `Channel “${draft.name}” added.` });
      }
      announce('Channel saved');
      setDraft(null);
      page.reload();
    } catch (error) {
      const field = error instanceof ApiError ? error.field : null;
      if (field) setErrors({ [field.name.replace(/^config\//, '')]: field.message });
      else setErrors({ form: (error as Error).message });
    }
  };

  const test = async (channel: Channel) => {
    setNote(null);
    try {
      const result = await api.testChannel(channel.id);
      setNote(
        result.outcome === 'delivered'
          ? { ok: true, text: `Test message to “${channel.name}” delivered.` }
          : {
              ok: false,
              text: `Test message to “${channel.name}” failed: ${result.error ?? 'unknown error'}`,
            },
      );
      page.reload();
    } catch (error) {
      setNote({ ok: false, text: (error as Error).message });
    }
  };

  const remove = async (channel: Channel) => {
    if (!confirm(`Delete the channel “${channel.name}”? Its monitors stop telling it anything.`)) return;
    try {
      await api.deleteChannel(channel.id);
      page.reload();
    } catch (error) {
      setNote({ ok: false, text: (error as Error).message });
    }
  };

  const channels = page.data?.channels;
  return (
    <>
      <PageHeading title="Channels">
        <button type="button" class="button primary" onClick={() => (setDraft(EMPTY), setErrors({}))}>
          Add channel
        </button>
      </PageHeading>
      <p class="muted">
        Where alerts go. Choose a monitor’s channels in its form; default channels join new monitors.
      </p>
      {page.error && <ErrorNote error={page.error} stale={Boolean(channels)} />}
      {note && (
        <p class={note.ok ? 'muted channel-note' : 'error-note channel-note'} role="status">
          {note.text}
        </p>
      )}
      {secret && (
        <ShownOnce what="The webhook signing secret" card>
          {secret}
        </ShownOnce>
      )}
      {draft && <ChannelForm draft={draft} setDraft={setDraft} errors={errors} onSubmit={save} />}
      {channels && channels.length === 0 && !draft && <p class="muted">No channels yet.</p>}
      {channels && channels.length > 0 && (
        <div class="table-scroll">
          <table class="channels-table">
            <ColumnHeads columns={['Name', 'Type', 'Last outcome']} actions />
            <tbody>
              {channels.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    {c.name}
                    {c.isDefault && <span class="muted"> (default)</span>}
                  </th>
                  <td>{TYPES[c.type].label}</td>
                  <td class={`wrap ${c.lastOutcome?.outcome === 'failed' ? 'down-text' : ''}`}>
                    {c.lastOutcome
                      ? `${c.lastOutcome.outcome} ${formatDateTime(c.lastOutcome.at)}${
                          c.lastOutcome.error ? `: ${c.lastOutcome.error}` : ''
                        }`
                      : 'nothing sent yet'}
                  </td>
                  <td class="actions">
                    <RowButton label="Test" of={c.name} onClick={() => void test(c)} />{' '}
                    <RowButton
                      label="Edit"
                      of={c.name}
                      onClick={() => (setDraft(draftOf(c)), setErrors({}))}
                    />{' '}
                    <RowButton
                      label="Deliveries"
                      of={`of ${c.name}`}
                      expanded={shown === c.id}
                      onClick={() => setShown(shown === c.id ? null : c.id)}
                    />{' '}
                    <RowButton label="Delete" of={c.name} danger onClick={() => void remove(c)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && <ChannelDeliveries key={shown} id={shown} />}
    </>
  );
}

function ChannelForm({
  draft,
  setDraft,
  errors,
  onSubmit,
}: {
  draft: Draft;
  setDraft: (draft: Draft | null) => void;
  errors: Record<string, string>;
  onSubmit: (event: Event) => void;
}) {
  return (
    <form
      class="card form channel-form"
      onSubmit={onSubmit}
      noValidate
      aria-label={draft.id ? 'Edit channel' : 'Add channel'}
    >
      <FormError message={errors.form} />
      <SelectField
        id="channel-type"
        label="Type"
        value={draft.type}
        disabled={Boolean(draft.id)}
        onValue={(type) => setDraft({ ...draft, type: type as ChannelType, values: {} })}
      >
        {(Object.keys(TYPES) as ChannelType[]).map((t) => (
          <option key={t} value={t}>
            {TYPES[t].label}
          </option>
        ))}
      </SelectField>
      <InputField
        id="channel-name"
        label="Name"
        error={errors.name}
        value={draft.name}
        onValue={(name) => setDraft({ ...draft, name })}
      />
      {TYPES[draft.type].fields.map(([key, label, hint]) => (
        <InputField
          key={key}
          id={`channel-${key}`}
          label={label}
          hint={draft.id ? `${hint} Shown masked; leave as is to keep it.` : hint}
          error={errors[key]}
          autoComplete="off"
          value={draft.values[key] ?? ''}
          onValue={(v) => setDraft({ ...draft, values: { ...draft.values, [key]: v } })}
        />
      ))}
      <label class="inline">
        <input
          type="checkbox"
          checked={draft.isDefault}
          onChange={(e) => setDraft({ ...draft, isDefault: e.currentTarget.checked })}
        />{' '}
        Default: add to new monitors
      </label>
      <FormActions label={draft.id ? 'Save channel' : 'Add channel'} onCancel={() => setDraft(null)} />
    </form>
  );
}

function ChannelDeliveries({ id }: { id: string }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<Error>();
  useEffect(() => {
    const controller = new AbortController();
    api.channelDeliveries(id, controller.signal).then(
      (r) => setDeliveries(r.deliveries),
      (e: Error) => e.name !== 'AbortError' && setError(e),
    );
    return () => controller.abort();
  }, [id]);
  return (
    <section aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Recent deliveries</h2>
      {error && <ErrorNote error={error} />}
      {deliveries &&
        (deliveries.length === 0 ? (
          <p class="muted">Nothing sent yet.</p>
        ) : (
          <DeliveryTable deliveries={deliveries} showChannel={false} />
        ))}
    </section>
  );
}
