import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { useTitle } from '../announcer.js';
import { Field, focusFirstInvalid } from '../components/field.js';
import { followLink } from '../router.js';
import type { User } from '../types.js';

type Mode = 'login' | 'signup';

/** Sign in or create an account; the API answers with the session cookie. */
export function AuthPage({ mode, onSignedIn }: { mode: Mode; onSignedIn: (user: User) => void }) {
  const signup = mode === 'signup';
  useTitle(signup ? 'Create an account' : 'Log in');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Shown once the API says the account has two-factor authentication.
  const [askCode, setAskCode] = useState(false);
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  // A closed sign-up offers no link to it.
  const [signupOpen, setSignupOpen] = useState(true);
  useEffect(() => {
    const controller = new AbortController();
    api.signupState(controller.signal).then(
      (state) => setSignupOpen(state.open),
      () => undefined,
    );
    return () => controller.abort();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError('');
    try {
      const { user } = signup
        ? await api.signup(name, email, password)
        : await api.login(email, password, askCode ? code : undefined);
      onSignedIn(user);
    } catch (error) {
      const fields = error instanceof ApiError ? error.fields : [];
      if (error instanceof ApiError && error.code === 'second_factor_required') {
        setAskCode(true);
        setFormError('Enter the code from your authenticator app, or a recovery code.');
      } else if (fields.length > 0) {
        setErrors(Object.fromEntries(fields.map((f) => [f.name, f.message])));
        focusFirstInvalid(form.current);
      } else {
        setFormError((error as Error).message);
      }
    } finally {
      setBusy(false);
    }
  };

  /** The attributes every field shares; the input type is written out at each use (Preact types it strictly). */
  const common = (
    id: string,
    set: (v: string) => void,
    describedBy: string | undefined,
    invalid: boolean,
  ) => ({
    id,
    name: id,
    required: true,
    'aria-invalid': invalid,
    'aria-describedby': describedBy,
    onInput: (e: Event) => set((e.currentTarget as HTMLInputElement).value),
  });

  return (
    <div class="auth">
      <h1 tabIndex={-1}>{signup ? 'Create an account' : 'Log in'}</h1>
      <form ref={form} class="card form" onSubmit={submit} noValidate>
        {formError && (
          <p class="error-note" role="alert">
            {formError}
          </p>
        )}
        {signup && (
          <Field id="name" label="Name" error={errors.name}>
            {(describedBy, invalid) => (
              <input
                type="text"
                value={name}
                autoComplete="name"
                {...common('name', setName, describedBy, invalid)}
              />
            )}
          </Field>
        )}
        <Field id="email" label="Email" error={errors.email}>
          {(describedBy, invalid) => (
            <input
              type="email"
              value={email}
              autoComplete="email"
              {...common('email', setEmail, describedBy, invalid)}
            />
          )}
        </Field>
        <Field
          id="password"
          label="Password"
          hint={signup ? 'At least 10 characters; not a common password, not your email.' : undefined}
          error={errors.password}
        >
          {(describedBy, invalid) => (
            <input
              type="password"
              value={password}
              autoComplete={signup ? 'new-password' : 'current-password'}
              {...common('password', setPassword, describedBy, invalid)}
            />
          )}
        </Field>
        {askCode && !signup && (
          <Field id="code" label="Authentication code" error={errors.code}>
            {(describedBy, invalid) => (
              <input
                type="text"
                value={code}
                inputMode="numeric"
                autoComplete="one-time-code"
                {...common('code', setCode, describedBy, invalid)}
              />
            )}
          </Field>
        )}
        <button class="button primary" type="submit" disabled={busy}>
          {busy ? 'Please wait…' : signup ? 'Create account' : 'Log in'}
        </button>
      </form>
      <p class="auth-switch" hidden={!signup && !signupOpen}>
        {signup ? 'Already have an account? ' : 'New here? '}
        <a href={signup ? '/login' + location.search : '/signup' + location.search} onClick={followLink}>
          {signup ? 'Log in' : 'Create an account'}
        </a>
      </p>
    </div>
  );
}
