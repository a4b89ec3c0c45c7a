import { useState } from 'react';
import { api, ApiError, PROFILE } from '../api';
import {
  asApiError,
  CheckboxField,
  codeOnField,
  ErrorSummary,
  onSubmit,
  ReauthFields,
  Status,
  useSubmit,
} from '../components/Form';
import { downloadText } from '../download';
import { useRouter } from '../router';
import { useSession, useUser } from '../session';

export function DataSection() {
  return (
    <section className="card section" aria-labelledby="your-data">
      <h2 id="your-data">Your data</h2>
      <Export />
      <DeleteAccount />
    </section>
  );
}

function Export() {
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function exportData() {
    setBusy(true);
    setStatus('Preparing your data…');
    setError(null);
    try {
      const data = await api<unknown>('GET', `${PROFILE}/export`);
      const day = new Date().toISOString().slice(0, 10);
      const filename = `personal-health-export-${day}.json`;
      downloadText(filename, `${JSON.stringify(data, null, 2)}\n`);
      setStatus(`Downloaded ${filename}.`);
    } catch (err) {
      setStatus('');
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="subform">
      <h3>Export my data</h3>
      <p>
        Everything the platform holds about you (account, sessions, profile, and each service’s data) as one
        JSON file.
      </p>
      <ErrorSummary form="export" error={error} fields={{}} />
      <button type="button" className="button button--secondary" onClick={exportData} disabled={busy}>
        Download my data
      </button>
      <Status>{status}</Status>
    </div>
  );
}

function DeleteAccount() {
  const user = useUser();
  const { ended } = useSession();
  const { navigate } = useRouter();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [sure, setSure] = useState(false);
  const { busy, error, setError, run } = useSubmit(codeOnField);

  const submit = onSubmit(async () => {
    if (!sure) {
      setError(
        new ApiError(400, 'not_confirmed', 'Tick the box to confirm that everything should be deleted', {
          field: 'confirm',
        }),
      );
      return;
    }
    await run(async () => {
      await api('DELETE', PROFILE, {
        body: { password, ...(user.mfa_enabled ? { code: code.trim() } : {}) },
      });
      ended('Your account and all your data have been deleted.');
      navigate('/sign-in', { replace: true });
    });
  });

  return (
    <form
      className="form subform danger-zone"
      noValidate
      onSubmit={submit}
      aria-busy={busy}
      aria-labelledby="delete-title"
    >
      <h3 id="delete-title">Delete my account</h3>
      <p>
        This erases your account and everything every service holds about you. It cannot be undone: export
        your data first if you want to keep it.
      </p>
      <ErrorSummary
        form="delete"
        error={error}
        fields={{ password: 'Password', code: 'Code', confirm: 'Confirmation' }}
      />
      <ReauthFields
        form="delete"
        password={password}
        onPassword={setPassword}
        code={code}
        onCode={setCode}
        withCode={user.mfa_enabled}
        error={error}
      />
      <CheckboxField
        form="delete"
        name="confirm"
        label="I understand that my account and all my data will be deleted for good"
        checked={sure}
        onChange={setSure}
        error={error?.fieldError('confirm')}
      />
      <div className="actions">
        <button type="submit" className="button button--danger" disabled={busy}>
          {busy ? 'Deleting…' : 'Delete my account'}
        </button>
      </div>
    </form>
  );
}
