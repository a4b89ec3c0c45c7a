import { useEffect, useRef, useState } from 'react';
import { api, AUTH, ApiError, isMfaChallenge, type MfaChallenge, type TokenResponse } from '../api';
import {
  asApiError,
  CodeField,
  EmailField,
  ErrorSummary,
  onSubmit,
  PasswordField,
  useSubmit,
  withField,
} from '../components/Form';
import { Page } from '../components/Page';
import { Link, useRouter } from '../router';
import { useSession } from '../session';

/** Where to go after signing in: the page that sent the user here, if it is one of ours. */
export function nextPath(search: URLSearchParams): string {
  const next = search.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignIn() {
  const { state, signedIn, clearNotice } = useSession();
  const { search, navigate } = useRouter();
  const [notice] = useState(state.status === 'signed-out' ? state.notice : undefined);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const { busy, error, setError, run } = useSubmit();

  useEffect(() => {
    if (notice) clearNotice();
  }, [notice, clearNotice]);

  const finish = (tokens: TokenResponse) => {
    signedIn(tokens);
    navigate(nextPath(search), { replace: true });
  };

  const submit = onSubmit(() =>
    run(async () => {
      const answer = await api<TokenResponse | MfaChallenge>('POST', `${AUTH}/login`, {
        auth: false,
        body: { email: email.trim(), password },
      });
      if (isMfaChallenge(answer)) setChallenge(answer);
      else finish(answer);
    }),
  );

  if (challenge) {
    return (
      <MfaStep
        challenge={challenge}
        onDone={finish}
        onRestart={(message) => {
          setChallenge(null);
          setPassword('');
          setError(message ? new ApiError(401, 'mfa_expired', message) : null);
        }}
      />
    );
  }

  return (
    <Page title="Sign in">
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <form className="form card" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary form="signin" error={error} fields={{ email: 'Email', password: 'Password' }} />
        <EmailField
          form="signin"
          autoComplete="username"
          value={email}
          onValue={setEmail}
          error={error?.fieldError('email')}
        />
        <PasswordField
          form="signin"
          purpose="current"
          value={password}
          onValue={setPassword}
          error={error?.fieldError('password')}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <Link to="/forgot-password">Forgot your password?</Link>
        </div>
      </form>
      <p>
        New here? <Link to="/sign-up">Create an account</Link>
      </p>
    </Page>
  );
}

function MfaStep({
  challenge,
  onDone,
  onRestart,
}: {
  challenge: MfaChallenge;
  onDone(tokens: TokenResponse): void;
  onRestart(message?: string): void;
}) {
  const [code, setCode] = useState('');
  const { busy, error, run } = useSubmit((e) => (e.code === 'invalid_mfa_code' ? withField(e, 'code') : e));
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = 'Two-factor sign-in · Personal Health Assistant';
    heading.current?.focus();
  }, []);

  const submit = onSubmit(() =>
    run(async () => {
      try {
        onDone(
          await api<TokenResponse>('POST', `${AUTH}/login/mfa`, {
            auth: false,
            body: { mfa_token: challenge.mfa_token, code: code.trim() },
          }),
        );
      } catch (err) {
        // The step's token lasts minutes: past them, the sign-in starts again.
        if (asApiError(err).code !== 'invalid_token') throw err;
        onRestart('The sign-in took too long. Please enter your email and password again.');
      }
    }),
  );

  return (
    <>
      <h1 ref={heading} tabIndex={-1} className="page-title">
        Two-factor sign-in
      </h1>
      <p className="lead">Your password was right. Now enter the 6-digit code from your authenticator app.</p>
      <form className="form card" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary form="mfa" error={error} fields={{ code: 'Code' }} />
        <CodeField
          form="mfa"
          label="Code"
          hint="The 6-digit code from your authenticator app, or one of your backup codes (like abcde-fghjk)."
          backup
          value={code}
          onValue={setCode}
          error={error?.fieldError('code')}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Checking…' : 'Continue'}
          </button>
          <button type="button" className="link-button" onClick={() => onRestart()}>
            Use a different account
          </button>
        </div>
      </form>
    </>
  );
}
