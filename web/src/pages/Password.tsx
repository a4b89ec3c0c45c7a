import { useEffect, useState } from 'react';
import { api, AUTH, type ApiError, type User } from '../api';
import { asApiError, ErrorSummary, onSubmit, Status, TextField, withField } from '../components/Form';
import { Page } from '../components/Page';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import { PASSWORD_RULES } from './SignUp';

export function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [sent, setSent] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = onSubmit(async () => {
    setBusy(true);
    setError(null);
    setSent('');
    try {
      const answer = await api<{ message: string }>('POST', `${AUTH}/password-reset/request`, {
        auth: false,
        body: { email: email.trim() },
      });
      setSent(`${answer.message}. The link works once, for 30 minutes.`);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  });

  return (
    <Page title="Reset your password" intro="We will email you a link to choose a new password.">
      <form className="form card" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary form="forgot" error={error} fields={{ email: 'Email' }} />
        <TextField
          form="forgot"
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={error?.fieldError('email')}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            Send the link
          </button>
          <Link to="/sign-in">Back to sign in</Link>
        </div>
        <Status>{sent}</Status>
      </form>
    </Page>
  );
}

/** The page the reset email links to (`/reset-password?token=...`). */
export function ResetPassword() {
  const { search } = useRouter();
  const { state, ended } = useSession();
  const token = search.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = onSubmit(async () => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', `${AUTH}/password-reset/confirm`, {
        auth: false,
        body: { token, new_password: password },
      });
      // Every session ends with a reset, this tab's included.
      if (state.status === 'signed-in') ended('Your password has changed. Sign in with the new one.');
      setDone(true);
    } catch (err) {
      const apiError = asApiError(err);
      setError(apiError.code === 'weak_password' ? withField(apiError, 'new_password') : apiError);
    } finally {
      setBusy(false);
    }
  });

  if (!token) {
    return (
      <Page title="Reset your password">
        <p>This link has no reset token. Open the link from the email again, or ask for a new one.</p>
        <p>
          <Link to="/forgot-password">Ask for a new link</Link>
        </p>
      </Page>
    );
  }
  if (done) {
    return (
      <Page title="Password changed">
        <p role="status">Your password has changed and every session has been signed out.</p>
        <p>
          <Link to="/sign-in" className="button">
            Sign in
          </Link>
        </p>
      </Page>
    );
  }
  return (
    <Page title="Choose a new password">
      <form className="form card" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary
          form="reset"
          error={error}
          fields={{ new_password: 'New password', token: 'Reset link' }}
        />
        <TextField
          form="reset"
          name="new_password"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={PASSWORD_RULES}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={error?.fieldError('new_password')}
        />
        {error?.fieldError('token') ? (
          <p>
            <Link to="/forgot-password">Ask for a new link</Link>
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            Set the new password
          </button>
        </div>
      </form>
    </Page>
  );
}

const verifications = new Map<string, Promise<User>>();

/** The page the verification email links to (`/verify-email?token=...`). Each token works once. */
export function VerifyEmail() {
  const { search } = useRouter();
  const { state, setUser } = useSession();
  const token = search.get('token') ?? '';
  const [result, setResult] = useState<{ ok: true } | { ok: false; message: string } | null>(null);

  useEffect(() => {
    if (!token) return;
    let current = verifications.get(token);
    if (!current) {
      current = api<User>('POST', `${AUTH}/email/verify/confirm`, { auth: false, body: { token } });
      verifications.set(token, current);
    }
    let live = true;
    current.then(
      (user) => {
        if (!live) return;
        setResult({ ok: true });
        if (state.status === 'signed-in' && state.user.id === user.id)
          setUser({ ...state.user, email_verified: true });
      },
      (err: unknown) => live && setResult({ ok: false, message: asApiError(err).message }),
    );
    return () => {
      live = false;
    };
    // Only the token starts a confirmation: the user object changing must not.
  }, [token]);

  return (
    <Page title="Verify your email">
      {!token ? (
        <p>This link has no verification token. Open the link from the email again.</p>
      ) : result === null ? (
        <p role="status">Checking the link…</p>
      ) : result.ok ? (
        <p role="status">Thank you: your email address is verified.</p>
      ) : (
        <p role="alert">{result.message}</p>
      )}
      <p>
        <Link to="/">Go to your dashboard</Link>
      </p>
    </Page>
  );
}
