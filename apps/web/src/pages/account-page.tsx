import { useEffect, useRef, useState } from 'preact/hooks';
import { renderSVG } from 'uqr';
import { api, type ApiKeyInfo, type SessionInfo } from '../api.js';
import { announce, useTitle } from '../announcer.js';
import { ConfirmDeleteDialog } from '../components/confirm-dialog.js';
import { FormError, InputField, SelectField } from '../components/field.js';
import { PageHeading, ShownOnce } from '../components/layout.js';
import { formatTime } from '../format.js';
import { messageOf } from '../forms.js';
import { ColumnHeads, RowButton } from '../components/table.js';

interface TotpStatus {
  enabled: boolean;
  recoveryCodesLeft: number;
}

/**
 * Password, two-factor authentication, API keys, sessions and deletion of the signed-in account.
 * `onDeleted` runs once the account is gone (the app then shows the login page).
 */
export function AccountPage({ onDeleted }: { onDeleted: () => void }) {
  useTitle('Account');
  // Both the two-factor section and deletion (which then asks for a code) need to know whether it is on.
  const [totp, setTotp] = useState<TotpStatus | null>(null);
  const [totpError, setTotpError] = useState('');
  const loadTotp = () => api.totpStatus().then(setTotp, (e: unknown) => setTotpError(messageOf(e)));
  useEffect(() => void loadTotp(), []);
  return (
    <>
      <PageHeading title="Account" />
      <PasswordSection />
      <TwoFactorSection status={totp} loadError={totpError} reload={loadTotp} />
      <ApiKeysSection />
      <SessionsSection />
      <DeleteAccountSection twoFactor={totp?.enabled === true} onDeleted={onDeleted} />
    </>
  );
}

function PasswordSection() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await api.changePassword(current, next);
      setCurrent('');
      setNext('');
      setNote({ ok: true, text: 'Password changed; your other sessions were signed out.' });
    } catch (error) {
      setNote({ ok: false, text: messageOf(error) });
    }
  };
  return (
    <section class="card form" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      {note && (
        <p class={note.ok ? 'muted' : 'error-note'} role="status">
          {note.text}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <CredentialField
          id="current-password"
          label="Current password"
          kind="password"
          value={current}
          set={setCurrent}
        />
        <InputField
          id="new-password"
          label="New password"
          hint="At least 10 characters; not a common password, not your email."
          type="password"
          autoComplete="new-password"
          value={next}
          onValue={setNext}
        />
        <button class="button primary" type="submit">
          Change password
        </button>
      </form>
    </section>
  );
}

function TwoFactorSection({
  status,
  loadError,
  reload,
}: {
  status: TotpStatus | null;
  loadError: string;
  reload: () => Promise<void>;
}) {
  const [setup, setSetup] = useState<{ secret: string; otpauthUrl: string } | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [actionError, setError] = useState('');
  const error = actionError || loadError;

  const run = (action: () => Promise<void>) => async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      await action();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const start = run(async () => setSetup(await api.totpSetup()));
  const confirm = run(async () => {
    const { recoveryCodes } = await api.totpEnable(code);
    setRecoveryCodes(recoveryCodes);
    setSetup(null);
    setCode('');
    await reload();
  });
  const disable = run(async () => {
    await api.totpDisable(password, code);
    setPassword('');
    setCode('');
    setRecoveryCodes(null);
    await reload();
  });

  return (
    <section class="card form" aria-labelledby="totp-heading">
      <h2 id="totp-heading">Two-factor authentication</h2>
      <FormError message={error} />
      {recoveryCodes && (
        <div role="status">
          <p>
            Save these recovery codes somewhere safe. Each signs you in once if you lose your phone; they are
            not shown again.
          </p>
          <pre class="recovery-codes">{recoveryCodes.join('\n')}</pre>
        </div>
      )}
      {status?.enabled ? (
        <form onSubmit={disable} noValidate>
          <p>On. {status.recoveryCodesLeft} recovery codes left.</p>
          <CredentialField
            id="totp-password"
            label="Password"
            kind="password"
            value={password}
            set={setPassword}
          />
          <CredentialField
            id="totp-off-code"
            label="Code from the app, or a recovery code"
            kind="code"
            value={code}
            set={setCode}
          />
          <button class="button danger" type="submit">
            Turn off
          </button>
        </form>
      ) : setup ? (
        <form onSubmit={confirm} noValidate>
          <p>Scan this with an authenticator app, then enter the code it shows.</p>
          <img
            class="qr"
            width={180}
            height={180}
            alt={`QR code for an authenticator app; or enter the key ${setup.secret}`}
            src={`data:image/svg+xml;utf8,${encodeURIComponent(renderSVG(setup.otpauthUrl))}`}
          />
          <p class="muted">
            Key: <code class="totp-secret">{setup.secret}</code>
          </p>
          <InputField
            id="totp-code"
            label="Code from the app"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onValue={setCode}
          />
          <button class="button primary" type="submit">
            Turn on
          </button>
        </form>
      ) : (
        <form onSubmit={start}>
          <p>Off. With it on, signing in also asks for a code from an authenticator app.</p>
          <button class="button" type="submit" disabled={!status}>
            Set up
          </button>
        </form>
      )}
    </section>
  );
}

function ApiKeysSection() {
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'write'>('read');
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api.apiKeys().then(
      (r) => setKeys(r.apiKeys),
      (e: unknown) => setError(messageOf(e)),
    );
  useEffect(() => void load(), []);

  const create = async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      const { key } = await api.createApiKey(name, scope);
      setCreated(key);
      setName('');
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const remove = async (key: ApiKeyInfo) => {
    if (!confirm(`Delete the API key "${key.name}"? Scripts using it stop working at once.`)) return;
    try {
      await api.deleteApiKey(key.id);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section class="card form" aria-labelledby="keys-heading">
      <h2 id="keys-heading">API keys</h2>
      <p class="muted">
        For scripts: <code>Authorization: Bearer bu_…</code>. A read key can only read.
      </p>
      <FormError message={error} />
      {created && <ShownOnce what="Your new key">{created}</ShownOnce>}
      <form onSubmit={create} noValidate>
        <InputField id="key-name" label="Name" value={name} onValue={setName} />
        <SelectField
          id="key-scope"
          label="Scope"
          value={scope}
          onValue={(v) => setScope(v as 'read' | 'write')}
        >
          <option value="read">read</option>
          <option value="write">write</option>
        </SelectField>
        <button class="button" type="submit">
          Create key
        </button>
      </form>
      {keys && keys.length > 0 && (
        <div class="table-scroll">
          <table>
            <ColumnHeads columns={['Name', 'Scope', 'Key', 'Last used']} actions />
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>{key.scope}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{key.lastUsedAt ? formatTime(key.lastUsedAt) : 'never'}</td>
                  <td>
                    <RowButton label="Delete" of={key.name} danger onClick={() => void remove(key)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SessionsSection() {
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api.sessions().then(
      (r) => setSessions(r.sessions),
      (e: unknown) => setError(messageOf(e)),
    );
  useEffect(() => void load(), []);
  const revoke = async (id: string) => {
    try {
      await api.revokeSession(id);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section class="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <FormError message={error} />
      {sessions && (
        <div class="table-scroll">
          <table>
            <ColumnHeads columns={['Signed in', 'Client']} actions />
            <tbody>
              {sessions.map((session) => (
                <tr key={session.id}>
                  <td>{formatTime(session.createdAt)}</td>
                  <td>{session.userAgent ?? 'unknown'}</td>
                  <td>
                    {session.current ? (
                      <span class="muted">this session</span>
                    ) : (
                      <button type="button" class="button small" onClick={() => void revoke(session.id)}>
                        Sign out
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Deleting the account asks for the password (and a code with two-factor on), then to confirm. */
function DeleteAccountSection({ twoFactor, onDeleted }: { twoFactor: boolean; onDeleted: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const ask = (event: Event) => {
    event.preventDefault();
    dialog.current?.showModal();
  };
  const remove = async () => {
    await api.deleteAccount(password, twoFactor ? code : undefined);
    announce('Your account was deleted');
    onDeleted();
  };
  return (
    <section class="card form" aria-labelledby="delete-account-heading">
      <h2 id="delete-account-heading">Delete account</h2>
      <p class="muted">
        Deletes your account with all its monitors, check results, incidents, maintenance windows, API keys
        and sessions. This cannot be undone.
      </p>
      <form onSubmit={ask} noValidate>
        <CredentialField
          id="delete-password"
          label="Your password"
          kind="password"
          value={password}
          set={setPassword}
        />
        {twoFactor && (
          <CredentialField
            id="delete-code"
            label="Two-factor code or a recovery code"
            kind="code"
            value={code}
            set={setCode}
          />
        )}
        <button class="button danger" type="submit">
          Delete account…
        </button>
      </form>
      <ConfirmDeleteDialog
        dialog={dialog}
        id="delete-account"
        title="Delete your account?"
        action="Delete my account"
        run={remove}
      >
        Your account and everything in it will be deleted now, for good. Monitors stop being checked.
      </ConfirmDeleteDialog>
    </section>
  );
}

/** The current password, or a second-factor code (authenticator or recovery), as the account forms ask. */
function CredentialField(props: {
  id: string;
  label: string;
  kind: 'password' | 'code';
  value: string;
  set: (value: string) => void;
}) {
  return (
    <InputField
      id={props.id}
      label={props.label}
      {...(props.kind === 'password'
        ? { type: 'password', autoComplete: 'current-password' }
        : { autoComplete: 'one-time-code' })}
      value={props.value}
      onValue={props.set}
    />
  );
}
