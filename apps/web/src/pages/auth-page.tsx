import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { useTitle } from '../announcer.js';
import { FormError, InputField } from '../components/field.js';
import { useFormSubmit } from '../forms.js';
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
  const { form, errors, formError, busy, onSubmit } = useFormSubmit<Record<string, string>>();
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

  const submit = onSubmit(
    async () => {
      const { user } = signup
        ? await api.signup(name, email, password)
        : await api.login(email, password, askCode ? code : undefined);
      onSignedIn(user);
    },
    (error) => {
      if (error instanceof ApiError && error.code === 'second_factor_required') {
        setAskCode(true);
        return { message: 'Enter the code from your authenticator app, or a recovery code.' };
      }
      const fields = error instanceof ApiError ? error.fields : [];
      return { fields: Object.fromEntries(fields.map((f) => [f.name, f.message])) };
    },
  );

  /** The props every field shares: its id is its name, and each is required. */
  const bound = (id: string, value: string, set: (value: string) => void) => ({
    id,
    name: id,
    required: true,
    value,
    error: errors[id],
    onValue: set,
  });

  return (
    <div class="auth">
      <h1 tabIndex={-1}>{signup ? 'Create an account' : 'Log in'}</h1>
      <form ref={form} class="card form" onSubmit={submit} noValidate>
        <FormError message={formError} />
        {signup && <InputField {...bound('name', name, setName)} label="Name" autoComplete="name" />}
        <InputField {...bound('email', email, setEmail)} label="Email" type="email" autoComplete="email" />
        <InputField
          {...bound('password', password, setPassword)}
          label="Password"
          hint={signup ? 'At least 10 characters; not a common password, not your email.' : undefined}
          type="password"
          autoComplete={signup ? 'new-password' : 'current-password'}
        />
        {askCode && !signup && (
          <InputField
            {...bound('code', code, setCode)}
            label="Authentication code"
            inputMode="numeric"
            autoComplete="one-time-code"
          />
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
