import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { announce } from '../announcer.js';
import { Field, focusFirstInvalid } from './field.js';
import { value } from '../forms.js';
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
  const [errors, setErrors] = useState<{ status?: string; message?: string }>({});
  const [formError, setFormError] = useState('');
  const [posted, setPosted] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError('');
    setPosted('');
    try {
      await api.postIncidentUpdate(incidentId, status, message);
      setMessage('');
      setPosted(`Posted “${STATUS_LABELS[status]}”: it shows on the status pages of this monitor.`);
      announce('Incident update posted');
    } catch (error) {
      const field = error instanceof ApiError ? error.field : null;
      if (field && (field.name === 'status' || field.name === 'message')) {
        setErrors({ [field.name]: field.message });
        focusFirstInvalid(form.current);
      } else {
        setFormError((error as Error).message);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} class="card form" onSubmit={submit} noValidate aria-labelledby="update-heading">
      <h2 id="update-heading">Post an update for status pages</h2>
      {formError && (
        <p class="error-note" role="alert">
          {formError}
        </p>
      )}
      <Field id="update-status" label="Status" error={errors.status}>
        {(describedBy, invalid) => (
          <select
            id="update-status"
            value={status}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onChange={(e) => setStatus(e.currentTarget.value as IncidentUpdateStatus)}
          >
            {INCIDENT_UPDATE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        id="update-message"
        label="Message"
        hint="What visitors read, e.g. “We are looking into slow logins.”"
        error={errors.message}
      >
        {(describedBy, invalid) => (
          <textarea
            id="update-message"
            rows={3}
            value={message}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onInput={value((v) => {
              setMessage(v);
              if (errors.message) setErrors({});
            })}
          />
        )}
      </Field>
      {posted && <p role="status">{posted}</p>}
      <div class="form-actions">
        <button class="button primary" type="submit" disabled={busy}>
          {busy ? 'Posting…' : 'Post update'}
        </button>
      </div>
    </form>
  );
}
