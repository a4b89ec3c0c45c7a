import { useState } from 'react';
import { api, AUTH, type TokenResponse, type User } from '../api';
import {
  EmailField,
  ErrorSummary,
  onSubmit,
  PasswordField,
  TextField,
  useSubmit,
  withField,
} from '../components/Form';
import { Page } from '../components/Page';
import { Link, useRouter } from '../router';
import { useSession } from '../session';

export function SignUp() {
  const { signedIn } = useSession();
  const { navigate } = useRouter();
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useSubmit((e) => (e.code === 'email_taken' ? withField(e, 'email') : e));

  const submit = onSubmit(() =>
    run(async () => {
      const body = { full_name: fullName.trim(), email: email.trim(), password };
      await api<User>('POST', `${AUTH}/register`, { auth: false, body });
      // A new account has no second factor: signing in right away gives tokens.
      const tokens = await api<TokenResponse>('POST', `${AUTH}/login`, {
        auth: false,
        body: { email: body.email, password },
      });
      signedIn(tokens);
      navigate('/', { replace: true });
    }),
  );

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
        <EmailField form="signup" value={email} onValue={setEmail} error={error?.fieldError('email')} />
        <PasswordField
          form="signup"
          purpose="new"
          value={password}
          onValue={setPassword}
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
