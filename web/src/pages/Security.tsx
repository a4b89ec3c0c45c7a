import { useEffect, useRef, useState } from 'react';
import { api, type ApiError, AUTH } from '../api';
import {
  CodeField,
  codeOnField,
  ErrorSummary,
  newPasswordOnField,
  onSubmit,
  PasswordField,
  ReauthFields,
  Status,
  useSubmit,
  withField,
} from '../components/Form';
import { downloadText } from '../download';
import { useSession, useUser } from '../session';

interface Enrollment {
  secret: string;
  otpauth_uri: string;
}

/** A secret in groups of four, as authenticator apps show it: easier to type, same value. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

function CopyButton({ text, label, small = true }: { text: string; label: string; small?: boolean }) {
  const [done, setDone] = useState(false);
  if (!navigator.clipboard) return null;
  return (
    <button
      type="button"
      className={`button button--secondary${small ? ' button--small' : ''}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
          setTimeout(() => setDone(false), 3000);
        } catch {
          setDone(false);
        }
      }}
    >
      {done ? 'Copied' : label}
    </button>
  );
}

function BackupCodes({ codes, onDone }: { codes: string[]; onDone(): void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="backup-codes" aria-labelledby="backup-codes-title">
      <h3 id="backup-codes-title" ref={heading} tabIndex={-1}>
        Your backup codes
      </h3>
      <p>
        <strong>Save these now: they are shown only once.</strong> Each code signs you in once if you lose
        your phone. Keep them somewhere safe, such as a password manager.
      </p>
      <ol className="codes" aria-label="Backup codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button
          type="button"
          className="button button--secondary"
          onClick={() =>
            downloadText(
              'personal-health-backup-codes.txt',
              `Personal Health Assistant backup codes\nEach code works once.\n\n${codes.join('\n')}\n`,
              'text/plain',
            )
          }
        >
          Download as a text file
        </button>
        <CopyButton text={codes.join('\n')} label="Copy codes" small={false} />
        <button type="button" className="button" onClick={onDone}>
          I have saved my codes
        </button>
      </div>
    </div>
  );
}

/** Busy flag and error of one form; codes about the second factor land on its `code` field. */
const useAction = () => useSubmit(codeOnField);

/**
 * A form that sends a code from the authenticator app to `path` (under the auth service) and is
 * answered with a new set of backup codes, handed to `onCodes`.
 */
function useCodeForBackupCodes(path: string, onCodes: (codes: string[]) => void) {
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  const submit = onSubmit(() =>
    run(async () => {
      const answer = await api<{ backup_codes: string[] }>('POST', `${AUTH}${path}`, {
        body: { code: code.trim() },
      });
      onCodes(answer.backup_codes);
    }),
  );
  return { code, setCode, busy, error, submit };
}

/** The problems with a form that asks only for a code, and the code field itself. */
function CodeOnly({
  form,
  label,
  code,
  onCode,
  error,
}: {
  form: string;
  label: string;
  code: string;
  onCode(value: string): void;
  error: ApiError | null;
}) {
  return (
    <>
      <ErrorSummary form={form} error={error} fields={{ code: 'Code' }} />
      <CodeField form={form} label={label} value={code} onValue={onCode} error={error?.fieldError('code')} />
    </>
  );
}

export function MfaSection() {
  const user = useUser();
  const { setUser } = useSession();
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [status, setStatus] = useState('');
  const start = useAction();

  const begin = () =>
    start.run(async () => {
      setStatus('');
      setEnrollment(await api<Enrollment>('POST', `${AUTH}/mfa/enroll`));
    });

  let body;
  if (codes) {
    body = <BackupCodes codes={codes} onDone={() => setCodes(null)} />;
  } else if (enrollment) {
    body = (
      <Enroll
        enrollment={enrollment}
        onCancel={() => setEnrollment(null)}
        onConfirmed={(backupCodes) => {
          setEnrollment(null);
          setCodes(backupCodes);
          setUser({ ...user, mfa_enabled: true });
          setStatus('Two-factor sign-in is on.');
        }}
      />
    );
  } else if (!user.mfa_enabled) {
    body = (
      <>
        <p>
          Two-factor sign-in is <strong>off</strong>. Turn it on and signing in asks for a code from an app on
          your phone as well as your password, so a stolen password alone cannot open your health data.
        </p>
        <ErrorSummary form="mfa-start" error={start.error} fields={{}} />
        <div className="actions">
          <button type="button" className="button" onClick={begin} disabled={start.busy}>
            Set up two-factor sign-in
          </button>
        </div>
      </>
    );
  } else {
    body = (
      <>
        <p>
          Two-factor sign-in is <strong>on</strong>: signing in asks for a code from your authenticator app or
          one of your backup codes.
        </p>
        <ReplaceCodes
          onCodes={(backupCodes) => {
            setCodes(backupCodes);
            setStatus('New backup codes made; the old ones no longer work.');
          }}
        />
        <DisableMfa
          onDisabled={() => {
            setUser({ ...user, mfa_enabled: false });
            setStatus('Two-factor sign-in is off.');
          }}
        />
      </>
    );
  }

  return (
    <section className="card section" aria-labelledby="two-factor">
      <h2 id="two-factor">Two-factor sign-in</h2>
      {body}
      <Status>{status}</Status>
    </section>
  );
}

function Enroll({
  enrollment,
  onCancel,
  onConfirmed,
}: {
  enrollment: Enrollment;
  onCancel(): void;
  onConfirmed(codes: string[]): void;
}) {
  const { code, setCode, busy, error, submit } = useCodeForBackupCodes('/mfa/confirm', onConfirmed);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  return (
    <>
      <h3 ref={heading} tabIndex={-1}>
        Set up your authenticator app
      </h3>
      <ol className="steps">
        <li>
          <p>
            In your authenticator app (such as Aegis, FreeOTP, 2FAS, Google Authenticator or a password
            manager), add an account and type in this secret key:
          </p>
          <p className="secret">
            <code data-testid="mfa-secret">{grouped(enrollment.secret)}</code>{' '}
            <CopyButton text={enrollment.secret} label="Copy key" />
          </p>
          <p className="hint">
            Spaces do not matter. If the app asks: time-based, 6 digits, every 30 seconds.
          </p>
          <details>
            <summary>Or use the setup link</summary>
            <p>Apps that accept a setup link (otpauth://) can take this one:</p>
            <p className="uri">
              <code data-testid="mfa-uri">{enrollment.otpauth_uri}</code>
            </p>
            <CopyButton text={enrollment.otpauth_uri} label="Copy link" />
          </details>
        </li>
        <li>
          <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
            <CodeOnly
              form="mfa-confirm"
              label="Enter the 6-digit code the app shows"
              code={code}
              onCode={setCode}
              error={error}
            />
            <div className="actions">
              <button type="submit" className="button" disabled={busy}>
                Turn on two-factor sign-in
              </button>
              <button type="button" className="link-button" onClick={onCancel}>
                Cancel
              </button>
            </div>
          </form>
        </li>
      </ol>
    </>
  );
}

function ReplaceCodes({ onCodes }: { onCodes(codes: string[]): void }) {
  const { code, setCode, busy, error, submit } = useCodeForBackupCodes('/mfa/backup-codes', onCodes);
  return (
    <form
      className="form subform"
      noValidate
      onSubmit={submit}
      aria-busy={busy}
      aria-labelledby="mfa-codes-title"
    >
      <h3 id="mfa-codes-title">Replace your backup codes</h3>
      <p>If you have used or lost some, make a new set. The old codes stop working.</p>
      <CodeOnly
        form="mfa-codes"
        label="Code from your authenticator app"
        code={code}
        onCode={setCode}
        error={error}
      />
      <div className="actions">
        <button type="submit" className="button button--secondary" disabled={busy}>
          Make new backup codes
        </button>
      </div>
    </form>
  );
}

function DisableMfa({ onDisabled }: { onDisabled(): void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction();
  const submit = onSubmit(() =>
    run(async () => {
      await api('POST', `${AUTH}/mfa/disable`, { body: { password, code: code.trim() || undefined } });
      onDisabled();
    }),
  );
  return (
    <form
      className="form subform"
      noValidate
      onSubmit={submit}
      aria-busy={busy}
      aria-labelledby="mfa-off-title"
    >
      <h3 id="mfa-off-title">Turn two-factor sign-in off</h3>
      <ErrorSummary form="mfa-off" error={error} fields={{ password: 'Password', code: 'Code' }} />
      <ReauthFields
        form="mfa-off"
        password={password}
        onPassword={setPassword}
        code={code}
        onCode={setCode}
        withCode
        error={error}
      />
      <div className="actions">
        <button type="submit" className="button button--danger" disabled={busy}>
          Turn off two-factor sign-in
        </button>
      </div>
    </form>
  );
}

export function PasswordSection() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [status, setStatus] = useState('');
  const { busy, error, run } = useSubmit((e) =>
    codeOnField(
      e.code === 'invalid_current_password' ? withField(e, 'current_password') : newPasswordOnField(e),
    ),
  );

  const submit = onSubmit(() =>
    run(async () => {
      setStatus('');
      await api('POST', `${AUTH}/change-password`, {
        body: { current_password: current, new_password: next },
      });
      setCurrent('');
      setNext('');
      setStatus('Password changed. Your other sessions have been signed out.');
    }),
  );

  return (
    <section className="card section" aria-labelledby="password">
      <h2 id="password">Password</h2>
      <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary
          form="password"
          error={error}
          fields={{ current_password: 'Current password', new_password: 'New password' }}
        />
        <PasswordField
          form="password"
          name="current_password"
          label="Current password"
          purpose="current"
          value={current}
          onValue={setCurrent}
          error={error?.fieldError('current_password')}
        />
        <PasswordField
          form="password"
          name="new_password"
          label="New password"
          purpose="new"
          value={next}
          onValue={setNext}
          error={error?.fieldError('new_password')}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            Change password
          </button>
        </div>
        <Status>{status}</Status>
      </form>
    </section>
  );
}
