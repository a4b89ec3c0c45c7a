import { useState } from 'react';
import { api, AUTH, type ApiError, type TokenResponse, type User } from '../api';
import { asApiError, ErrorSummary, onSubmit, TextField, withField } from '../components/Form';
import { Page } from '../components/Page';
import { Link, useRouter } from '../router';
import { useSession } from '../session';

export const PASSWORD_RULES =
  'At least 8 characters, using three of: lower-case letters, capitals, digits and symbols (or any 16 characters or more). Not a common password and not your email address.';

export function SignUp() {
  const { signedIn } = useSession();
  const { navigate } = useRouter();
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = onSubmit(async () => {
    setBusy(true);
    setError(null);
    try {
      const body = { full_name: fullName.trim(), email: email.trim(), password };
      await api<User>('POST', `${AUTH}/register`, { auth: false, body });
      // A new account has no second factor: signing in right away gives tokens.
      const tokens = await api<TokenResponse>('POST', `${AUTH}/login`, {
        auth: false,
        body: { email: body.email, password },
      });
      signedIn(tokens);
      navigate('/', { replace: true });
    } catch (err) {
      const apiError = asApiError(err);
      setError(apiError.code === 'email_taken' ? withField(apiError, 'email') : apiError);
    } finally {
      setBusy(false);
    }
  });

  return (
    <Page title="Create your account" intro="Keep your health data in one place that you control.">
      <form className="form card" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary
          form="signup"
          error={error}
          fields={{ full_name: 'Full name', email: 'Email', password: 'Password' }}
        />
        <TextField
          form="signup"
          name="full_name"
          label="Full name"
          autoComplete="name"
          required
          maxLength={200}
          value={fullName}
          onChange={(e) => setFullName(e.target.value)}
          error={error?.fieldError('full_name')}
        />
        <TextField
          form="signup"
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={error?.fieldError('email')}
        />
        <TextField
          form="signup"
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint={PASSWORD_RULES}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={error?.fieldError('password')}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Creating your account…' : 'Create account'}
          </button>
        </div>
      </form>
      <p>
        Already have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </Page>
  );
}
