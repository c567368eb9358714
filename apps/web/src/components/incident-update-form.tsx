import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { announce } from '../announcer.js';
import { FormActions, FormError, SelectField, TextareaField } from './field.js';
import { useFormSubmit } from '../forms.js';
import { INCIDENT_UPDATE_STATUSES, type IncidentUpdateStatus } from '../types.js';

const STATUS_LABELS: Record<IncidentUpdateStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

/**
 * Posts an update that visitors read under the incident on every status page showing its monitor. It
 * tells; the incident still opens and resolves from the checks.
 */
export function IncidentUpdateForm({ incidentId }: { incidentId: string }) {
  const [status, setStatus] = useState<IncidentUpdateStatus>('investigating');
  const [message, setMessage] = useState('');
  const { form, errors, setErrors, formError, busy, onSubmit } = useFormSubmit<{
    status?: string;
    message?: string;
  }>();
  const [posted, setPosted] = useState('');

  const submit = onSubmit(
    async () => {
      setPosted('');
      await api.postIncidentUpdate(incidentId, status, message);
      setMessage('');
      setPosted(`Posted “${STATUS_LABELS[status]}”: it shows on the status pages of this monitor.`);
      announce('Incident update posted');
    },
    (error) => {
      const field = error instanceof ApiError ? error.field : null;
      return field && (field.name === 'status' || field.name === 'message')
        ? { fields: { [field.name]: field.message } }
        : {};
    },
  );

  return (
    <form ref={form} class="card form" onSubmit={submit} noValidate aria-labelledby="update-heading">
      <h2 id="update-heading">Post an update for status pages</h2>
      <FormError message={formError} />
      <SelectField
        id="update-status"
        label="Status"
        error={errors.status}
        value={status}
        onValue={(v) => setStatus(v as IncidentUpdateStatus)}
      >
        {INCIDENT_UPDATE_STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
          </option>
        ))}
      </SelectField>
      <TextareaField
        id="update-message"
        label="Message"
        hint="What visitors read, e.g. “We are looking into slow logins.”"
        error={errors.message}
        value={message}
        onValue={(v) => {
          setMessage(v);
          if (errors.message) setErrors({});
        }}
      />
      {posted && <p role="status">{posted}</p>}
      <FormActions busy={busy} busyLabel="Posting…" label="Post update" />
    </form>
  );
}
