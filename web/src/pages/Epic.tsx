import { useEffect, useRef, useState } from 'react';
import { asApiError, Status } from '../components/Form';
import { ConfirmDelete } from '../components/ListParts';
import { RecordsNav } from '../components/MedicalParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import type { Formatters } from '../format';
import { records, type EpicConnection } from '../records';
import { Link, useRouter } from '../router';
import { usePreferences } from '../setup';

const STATUS_WORDS: Record<EpicConnection['status'], string> = {
  not_connected: 'Not connected',
  active: 'Connected',
  needs_reauthorization: 'Needs you to sign in to Epic again',
  disconnected: 'Disconnected',
};

const SYNC_WORDS: Record<string, string> = {
  ok: 'finished',
  partial: 'finished in part',
  failed: 'failed',
};

/** Where Epic sends the browser back to (the callback adds `?connection=epic&status=connected`). */
const RETURN_TO = '/records/epic';

export function Epic() {
  const setup = usePreferences();
  return (
    <Page
      title="Connect Epic"
      intro="Bring your records in from a hospital or clinic that uses Epic (MyChart): sign in there once, and your lab results, conditions, medications, allergies and immunisations are read with your permission, then kept up to date."
    >
      <RecordsNav />
      <SetupGate setup={setup}>{({ fmt }) => <EpicBody fmt={fmt} />}</SetupGate>
    </Page>
  );
}

function EpicBody({ fmt }: { fmt: Formatters }) {
  const { search } = useRouter();
  const [state, setState] = useState<EpicConnection | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<'' | 'connect' | 'sync'>('');
  const [status, setStatus] = useState(
    search.get('connection') === 'epic' && search.get('status') === 'connected' ? 'Epic is connected.' : '',
  );
  const [disconnecting, setDisconnecting] = useState(false);
  const disconnectButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let live = true;
    records.epic().then(
      (s) => live && setState(s),
      (err: unknown) => live && setError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, []);

  async function connect() {
    setBusy('connect');
    setError('');
    try {
      const { authorization_url } = await records.connectEpic(RETURN_TO);
      window.location.assign(authorization_url);
    } catch (err) {
      setError(asApiError(err).message);
      setBusy('');
    }
  }

  async function sync() {
    setBusy('sync');
    setError('');
    setStatus('Syncing…');
    try {
      const next = await records.syncEpic();
      setState(next);
      setStatus(`Sync ${SYNC_WORDS[next.last_sync?.status ?? ''] ?? 'done'}.`);
    } catch (err) {
      setStatus('');
      setError(asApiError(err).message);
    } finally {
      setBusy('');
    }
  }

  if (!state) return error ? <p role="alert">{error}</p> : <p>Loading the connection…</p>;

  const connected = state.status === 'active' || state.status === 'needs_reauthorization';
  return (
    <section className="card section" aria-labelledby="epic-title" data-testid="epic">
      <h2 id="epic-title">{state.name}</h2>
      <p>
        <span className={`tag${state.status === 'active' ? ' tag--on_track' : ''}`}>
          {state.configured ? STATUS_WORDS[state.status] : 'Not configured on this server'}
        </span>
      </p>
      {!state.configured ? (
        <div className="notice">
          <p>This server is not set up to connect to Epic, so there is nothing to connect yet.</p>
          {state.message ? <p className="hint">For the person who runs it: {state.message}</p> : null}
        </div>
      ) : null}
      {state.configured && !connected ? (
        <>
          <p>
            Epic’s page opens: sign in with your MyChart account and allow this app to read your records. You
            come back here afterwards. Nothing is shared with Epic from here.
          </p>
          <div className="actions">
            <button type="button" className="button" disabled={busy !== ''} onClick={() => void connect()}>
              {busy === 'connect' ? 'Opening Epic…' : 'Connect Epic'}
            </button>
          </div>
        </>
      ) : null}
      {connected ? (
        <>
          <dl className="facts">
            {state.connected_at ? (
              <div>
                <dt>Connected</dt>
                <dd>{fmt.dateTime(state.connected_at)}</dd>
              </div>
            ) : null}
            {state.patient_id ? (
              <div>
                <dt>Your id at Epic</dt>
                <dd>{state.patient_id}</dd>
              </div>
            ) : null}
            <div>
              <dt>Server</dt>
              <dd>{state.fhir_base_url}</dd>
            </div>
          </dl>
          {state.status === 'needs_reauthorization' ? (
            <p className="notice">
              Epic no longer accepts this connection (it expired or was withdrawn): connect again to keep your
              records up to date.
            </p>
          ) : null}
          <div className="actions">
            {state.status === 'needs_reauthorization' ? (
              <button type="button" className="button" disabled={busy !== ''} onClick={() => void connect()}>
                Connect again
              </button>
            ) : (
              <button
                type="button"
                className="button"
                disabled={busy !== '' || state.sync_in_progress}
                onClick={() => void sync()}
              >
                {busy === 'sync' || state.sync_in_progress ? 'Syncing…' : 'Sync now'}
              </button>
            )}
            {disconnecting ? null : (
              <button
                type="button"
                ref={disconnectButton}
                className="button button--danger-outline"
                onClick={() => setDisconnecting(true)}
              >
                Disconnect
              </button>
            )}
          </div>
          {disconnecting ? (
            <ConfirmDelete
              form="epic-disconnect"
              question="Disconnect Epic? The records already brought in stay; new ones stop coming."
              onDelete={async () => {
                setState(await records.disconnectEpic());
                setDisconnecting(false);
                setStatus('Epic is disconnected.');
              }}
              onCancel={() => {
                setDisconnecting(false);
                setTimeout(() => disconnectButton.current?.focus());
              }}
            />
          ) : null}
          {state.last_sync ? <LastSync sync={state.last_sync} fmt={fmt} /> : <p>No sync yet.</p>}
        </>
      ) : null}
      {error ? <p role="alert">{error}</p> : null}
      <Status>{status}</Status>
    </section>
  );
}

function LastSync({ sync, fmt }: { sync: NonNullable<EpicConnection['last_sync']>; fmt: Formatters }) {
  return (
    <>
      <h3 id="last-sync-title">
        Last sync: {fmt.dateTime(sync.started_at)}
        {sync.status ? `, ${SYNC_WORDS[sync.status] ?? sync.status}` : ', still running'}
      </h3>
      {sync.message ? <p>{sync.message}</p> : null}
      <div className="table-scroll" role="region" aria-labelledby="last-sync-title" tabIndex={0}>
        <table className="figures">
          <thead>
            <tr>
              <th scope="col">Records</th>
              <th scope="col">New</th>
              <th scope="col">Updated</th>
              <th scope="col">Already here</th>
              <th scope="col">Skipped</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {sync.types.map((t) => (
              <tr key={t.resource_type}>
                <th scope="row">{t.resource_type}</th>
                <td>{t.imported}</td>
                <td>{t.updated}</td>
                <td>{t.unchanged}</td>
                <td>{t.skipped}</td>
                <td className="words">
                  {t.error ? t.error.message : t.complete ? '–' : 'not every page was read yet'}
                  {t.notes.length > 0 ? <span className="hint block">{t.notes.join(' ')}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        <Link to="/records">See your records</Link>
      </p>
    </>
  );
}
