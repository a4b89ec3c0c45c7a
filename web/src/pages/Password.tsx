import { useEffect, useState } from 'react';
import { api, AUTH, type User } from '../api';
import {
  asApiError,
  EmailField,
  ErrorSummary,
  newPasswordOnField,
  onSubmit,
  PasswordField,
  Status,
  useSubmit,
} from '../components/Form';
import { Page } from '../components/Page';
import { Link, useRouter } from '../router';
import { useSession } from '../session';

export function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState('');
  const { busy, error, run } = useSubmit();

  const submit = onSubmit(() =>
    run(async () => {
      setSent('');
      const answer = await api<{ message: string }>('POST', `${AUTH}/password-reset/request`, {
        auth: false,
        body: { email: email.trim() },
      });
      setSent(`${answer.message}. The link works once, for 30 minutes.`);
    }),
  );

  return (
    <Page title="Reset your password" intro="We will email you a link to choose a new password.">
      <form className="form card" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary form="forgot" error={error} fields={{ email: 'Email' }} />
        <EmailField form="forgot" value={email} onValue={setEmail} error={error?.fieldError('email')} />
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
  const [done, setDone] = useState(false);
  const { busy, error, run } = useSubmit(newPasswordOnField);

  const submit = onSubmit(() =>
    run(async () => {
      await api('POST', `${AUTH}/password-reset/confirm`, {
        auth: false,
        body: { token, new_password: password },
      });
      // Every session ends with a reset, this tab's included.
      if (state.status === 'signed-in') ended('Your password has changed. Sign in with the new one.');
      setDone(true);
    }),
  );

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
        <PasswordField
          form="reset"
          name="new_password"
          label="New password"
          purpose="new"
          value={password}
          onValue={setPassword}
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
