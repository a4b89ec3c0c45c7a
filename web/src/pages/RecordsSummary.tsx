import { useEffect, useState } from 'react';
import { asApiError, Status } from '../components/Form';
import { ClassBadge } from '../components/Health';
import { FlagBadge, quantityText, rangeText, RecordsNav, whenText } from '../components/MedicalParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { downloadBlob, openInNewTab } from '../download';
import type { Formatters } from '../format';
import { records, type PatientSummary } from '../records';
import { Link } from '../router';
import { usePreferences } from '../setup';

export function RecordsSummary() {
  const setup = usePreferences();
  return (
    <Page
      title="Summary for your doctor"
      intro="Your active problems, current medications, allergies, latest lab results and vital signs on one page: print it, keep it as a file, or take your whole record elsewhere."
    >
      <RecordsNav />
      <SetupGate setup={setup}>{({ fmt }) => <SummaryBody fmt={fmt} />}</SetupGate>
    </Page>
  );
}

type Loaded =
  { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; summary: PatientSummary };

function SummaryBody({ fmt }: { fmt: Formatters }) {
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    records.summary().then(
      (summary) => live && setLoaded({ status: 'ready', summary }),
      (err: unknown) => live && setLoaded({ status: 'error', message: asApiError(err).message }),
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <>
      <ShareActions />
      {loaded.status === 'loading' ? <p>Loading your summary…</p> : null}
      {loaded.status === 'error' ? <p role="alert">{loaded.message}</p> : null}
      {loaded.status === 'ready' ? <Summary summary={loaded.summary} fmt={fmt} /> : null}
    </>
  );
}

/** What the FHIR export says it had to leave out (its OperationOutcome), in words. */
function exportIssues(text: string): string[] {
  try {
    const bundle = JSON.parse(text) as {
      entry?: { resource?: { resourceType?: string; issue?: { diagnostics?: string }[] } }[];
    };
    return (bundle.entry ?? [])
      .filter((e) => e.resource?.resourceType === 'OperationOutcome')
      .flatMap((e) => e.resource?.issue ?? [])
      .map((i) => i.diagnostics ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

function ShareActions() {
  const [busy, setBusy] = useState<'' | 'page' | 'fhir' | 'open'>('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [blockedUrl, setBlockedUrl] = useState('');
  const day = new Date().toISOString().slice(0, 10);

  async function openPrintable() {
    setBusy('open');
    setStatus('');
    setError('');
    setBlockedUrl('');
    try {
      const blocked = await openInNewTab(async () => (await records.summaryLink()).url);
      if (blocked) setBlockedUrl(blocked);
      else setStatus('Opened the printable summary in a new tab: print it from there.');
    } catch (err) {
      setError(asApiError(err).message);
    } finally {
      setBusy('');
    }
  }

  async function fetchAndSave(kind: 'page' | 'fhir') {
    setBusy(kind);
    setStatus('');
    setError('');
    try {
      if (kind === 'page') {
        const { blob, filename } = await records.summaryPage();
        downloadBlob(filename ?? `health-summary-${day}.html`, blob);
        setStatus('Downloaded the printable summary: open it in any browser to print it.');
      } else {
        const { blob, filename } = await records.exportFhir();
        downloadBlob(filename ?? `health-record-${day}.fhir.json`, blob);
        const issues = exportIssues(await blob.text());
        setStatus(
          `Downloaded your whole record as FHIR.${issues.length ? ` Note: ${issues.join(' ')}` : ''}`,
        );
      }
    } catch (err) {
      setError(asApiError(err).message);
    } finally {
      setBusy('');
    }
  }

  return (
    <section className="card section no-print" aria-labelledby="share-title">
      <h2 id="share-title">Print or share</h2>
      <div className="actions">
        <button type="button" className="button" disabled={busy !== ''} onClick={() => void openPrintable()}>
          {busy === 'open' ? 'Opening…' : 'Open the printable summary'}
        </button>
        <button
          type="button"
          className="button button--secondary"
          disabled={busy !== ''}
          onClick={() => void fetchAndSave('page')}
        >
          {busy === 'page' ? 'Preparing…' : 'Download it as a web page'}
        </button>
      </div>
      <h3>Your whole record</h3>
      <p>
        Every record you imported and your latest vital signs, as one FHIR R4 file that other health apps and
        patient portals can import.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button--secondary"
          disabled={busy !== ''}
          onClick={() => void fetchAndSave('fhir')}
        >
          {busy === 'fhir' ? 'Preparing…' : 'Download all my records (FHIR)'}
        </button>
      </div>
      {blockedUrl ? (
        <p>
          The browser did not open a new tab.{' '}
          <a href={blockedUrl} target="_blank" rel="noopener noreferrer">
            Open the printable summary
          </a>{' '}
          (this link works for a few minutes).
        </p>
      ) : null}
      {error ? <p role="alert">{error}</p> : null}
      <Status>{status}</Status>
    </section>
  );
}

const words = (text: string | null) => (text ? text.replace(/[-_]/g, ' ') : null);
const left = (n: number, what: string) =>
  n > 0 ? (
    <p className="hint">{`${n} ${what} not listed (resolved, stopped, refuted or entered in error).`}</p>
  ) : null;

function Summary({ summary, fmt }: { summary: PatientSummary; fmt: Formatters }) {
  const p = summary.patient;
  const missing = summary.sources.filter((s) => s.status === 'unavailable');
  return (
    <article className="summary" aria-labelledby="summary-title" data-testid="summary">
      <h2 id="summary-title">{p.name ?? 'Patient summary'}</h2>
      <p className="hint">
        Made {fmt.dateTime(summary.generated_at)} from your medical records
        {p.source === 'profile' ? ' (personal details from your profile)' : ''}.
      </p>
      <dl className="facts">
        {p.birth_date ? (
          <div>
            <dt>Born</dt>
            <dd>
              {/^\d{4}-\d{2}-\d{2}$/.test(p.birth_date) ? fmt.calendarDate(p.birth_date) : p.birth_date}
              {p.age_years !== null ? ` (${p.age_years} years)` : ''}
            </dd>
          </div>
        ) : null}
        {p.gender ? (
          <div>
            <dt>Sex</dt>
            <dd>{p.gender}</dd>
          </div>
        ) : null}
      </dl>
      {missing.length > 0 ? (
        <div className="notice" data-testid="summary-missing">
          {missing.map((s) => (
            <p key={s.name}>
              Not included: {s.name} ({s.detail})
            </p>
          ))}
        </div>
      ) : null}

      <section aria-labelledby="problems-title">
        <h3 id="problems-title">Active problems</h3>
        {summary.problems.length === 0 ? <p>None recorded.</p> : null}
        <ul className="summary-list">
          {summary.problems.map((c) => (
            <li key={c.record_id}>
              <Link to={`/records/${c.record_id}`}>{c.display}</Link>
              {c.onset ? `, since ${c.onset}` : ''}
              {c.clinical_status ? ` (${words(c.clinical_status)})` : ''}
              {c.note ? <span className="hint block">{c.note}</span> : null}
            </li>
          ))}
        </ul>
        {left(summary.excluded.problems, 'other conditions')}
      </section>

      <section aria-labelledby="medications-title">
        <h3 id="medications-title">Current medications</h3>
        {summary.medications.length === 0 ? <p>None recorded.</p> : null}
        <ul className="summary-list">
          {summary.medications.map((m) => (
            <li key={m.record_id}>
              <Link to={`/records/${m.record_id}`}>{m.display}</Link>
              {m.dosage ? `: ${m.dosage}` : ''}
              {m.status ? ` (${words(m.status)})` : ''}
              {m.note ? <span className="hint block">{m.note}</span> : null}
            </li>
          ))}
        </ul>
        {left(summary.excluded.medications, 'other medications')}
      </section>

      <section aria-labelledby="allergies-title">
        <h3 id="allergies-title">Allergies</h3>
        {summary.allergies.length === 0 ? <p>None recorded.</p> : null}
        <ul className="summary-list">
          {summary.allergies.map((a) => (
            <li key={a.record_id}>
              <Link to={`/records/${a.record_id}`}>{a.display}</Link>
              {a.criticality ? ` (criticality ${words(a.criticality)})` : ''}
              {a.reactions.length > 0
                ? `: ${a.reactions
                    .map((r) => `${r.manifestations.join(', ')}${r.severity ? ` (${r.severity})` : ''}`)
                    .join('; ')}`
                : ''}
            </li>
          ))}
        </ul>
        {left(summary.excluded.allergies, 'other allergies')}
      </section>

      <section aria-labelledby="summary-labs-title">
        <h3 id="summary-labs-title">Latest lab results</h3>
        {summary.labs.length === 0 ? (
          <p>None recorded.</p>
        ) : (
          <div className="table-scroll" role="region" aria-labelledby="summary-labs-title" tabIndex={0}>
            <table className="figures">
              <thead>
                <tr>
                  <th scope="col">Test</th>
                  <th scope="col">Result</th>
                  <th scope="col">Flag</th>
                  <th scope="col">Reference range</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {summary.labs.map((l) => (
                  <tr key={l.record_id}>
                    <th scope="row">
                      <Link to={`/records/${l.record_id}`}>{l.display}</Link>
                    </th>
                    <td>{l.value ? quantityText(l.value, fmt) : (l.value_text ?? '–')}</td>
                    <td>{l.flags?.flag ? <FlagBadge flag={l.flags.flag} short /> : '–'}</td>
                    <td>{rangeText(l.flags?.reference_range ?? null, fmt) ?? '–'}</td>
                    <td>{whenText(l, fmt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="summary-vitals-title">
        <h3 id="summary-vitals-title">Latest vital signs</h3>
        {summary.vitals.status === 'unavailable' ? (
          <p className="notice">
            Your readings could not be read just now
            {summary.vitals.message ? `: ${summary.vitals.message}` : ''}.
          </p>
        ) : summary.vitals.items.length === 0 ? (
          <p>None logged.</p>
        ) : (
          <ul className="summary-list">
            {summary.vitals.items.map((v) => (
              <li key={v.metric_type}>
                <strong>{v.name}</strong>:{' '}
                {typeof v.value === 'number'
                  ? `${fmt.exact(v.value)}\u00a0${v.unit}`
                  : `${fmt.exact(v.value.systolic)}/${fmt.exact(v.value.diastolic)}\u00a0${v.unit}`}
                , {fmt.dateTime(v.timestamp)}{' '}
                {v.classification ? <ClassBadge classification={v.classification} /> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
