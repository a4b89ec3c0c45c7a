import { useEffect, useRef, useState, type RefObject } from 'react';
import { ApiError } from '../api';
import { asApiError, ErrorSummary, FileField, onSubmit, Status, TextField } from '../components/Form';
import { Counts } from '../components/ListParts';
import { RecordsNav } from '../components/MedicalParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { bytes, type Formatters } from '../format';
import { records, TYPE_NAMES, type ImportReport, type ImportResultStatus } from '../records';
import { Link } from '../router';
import { usePreferences } from '../setup';

/** The server's limit for one upload (medical-records IMPORT_BODY_LIMIT). */
const MAX_BYTES = 20 * 1024 * 1024;

const FIELDS = { file: 'File', source: 'Where it comes from' };

const STATUS_WORDS: Record<ImportResultStatus, string> = {
  imported: 'New',
  updated: 'Updated',
  unchanged: 'Already there',
  skipped: 'Skipped',
};

export function RecordsImport() {
  const setup = usePreferences();
  return (
    <Page
      title="Import medical records"
      intro="Bring in records from a patient portal or another health app as a FHIR file: lab results, conditions, medications, allergies, immunisations, procedures and visits."
    >
      <RecordsNav />
      <SetupGate setup={setup}>{({ fmt }) => <ImportForm fmt={fmt} />}</SetupGate>
    </Page>
  );
}

type Phase =
  | { step: 'idle' }
  | { step: 'uploading'; percent: number }
  | { step: 'reading' }
  | { step: 'done'; report: ImportReport; filename: string };

const fileProblem = (problem: string) =>
  new ApiError(400, 'validation_error', problem, [{ field: 'file', problem }]);

/** A JSON file starts with `{` (after any byte-order mark and white space); anything else is not FHIR JSON. */
async function looksLikeJson(file: File): Promise<boolean> {
  const head = await file.slice(0, 256).text();
  return /^\uFEFF?\s*\{/.test(head);
}

function ImportForm({ fmt }: { fmt: Formatters }) {
  const [file, setFile] = useState<File | null>(null);
  const [source, setSource] = useState('');
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState('');
  const result = useRef<HTMLHeadingElement>(null);
  const abort = useRef<AbortController | null>(null);
  const busy = phase.step === 'uploading' || phase.step === 'reading';

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    if (phase.step === 'done') result.current?.focus();
  }, [phase.step]);

  const submit = onSubmit(async () => {
    setError(null);
    setStatus('');
    if (!file) return setError(fileProblem('Choose a FHIR file (.json)'));
    if (file.size > MAX_BYTES)
      return setError(fileProblem(`The file is ${bytes(file.size, fmt)}: at most 20 MB`));
    if (!(await looksLikeJson(file))) {
      return setError(fileProblem('This is not a JSON file: choose the .json file the portal gave you'));
    }
    setPhase({ step: 'uploading', percent: 0 });
    setStatus(`Uploading ${file.name}…`);
    abort.current = new AbortController();
    try {
      const { data } = await records.importFile(
        file,
        source.trim() || undefined,
        ({ loaded, total }) => {
          const percent = Math.min(100, Math.round((100 * loaded) / (total || 1)));
          // The server reads the file once it has all of it, and answers with the report.
          setPhase(percent >= 100 ? { step: 'reading' } : { step: 'uploading', percent });
        },
        abort.current.signal,
      );
      setPhase({ step: 'done', report: data, filename: file.name });
      const c = data.counts;
      setStatus(
        `Import finished: ${c.imported} new, ${c.updated} updated, ${c.unchanged} already there, ${c.skipped} skipped.`,
      );
    } catch (err) {
      const apiError = asApiError(err);
      setPhase({ step: 'idle' });
      setStatus('');
      // Problems with the file's content (not JSON, not FHIR) belong beside the file.
      setError(
        apiError.fieldErrors.some((e) => e.field === 'source') || apiError.code === 'aborted'
          ? apiError
          : new ApiError(apiError.status, apiError.code, apiError.message, { field: 'file' }),
      );
    } finally {
      abort.current = null;
    }
  });

  return (
    <>
      <section className="card section" aria-labelledby="import-title">
        <h2 id="import-title">Upload a FHIR file</h2>
        <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
          <ErrorSummary form="fhir" error={error} fields={FIELDS} />
          <FileField
            form="fhir"
            name="file"
            label="FHIR file"
            hint="A FHIR R4 Bundle or a single resource, as JSON (.json), up to 20 MB. Importing the same file again changes nothing; a newer version of a record updates it."
            accept=".json,application/json,application/fhir+json"
            disabled={busy}
            onFile={(chosen) => {
              setFile(chosen);
              setError(null);
              setStatus('');
              setPhase({ step: 'idle' });
            }}
            error={error?.fieldError('file')}
          >
            {file ? (
              <p className="file-kind" data-testid="file-kind">
                {file.name} ({bytes(file.size, fmt)})
              </p>
            ) : null}
          </FileField>
          <TextField
            form="fhir"
            name="source"
            label="Where it comes from (optional)"
            hint="A name for the system that made the file, such as your hospital’s portal. Records are recognised by it and their own ids when you import again."
            maxLength={200}
            autoComplete="off"
            value={source}
            disabled={busy}
            onChange={(e) => setSource(e.target.value)}
            error={error?.fieldError('source')}
          />
          <div className="actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? 'Importing…' : 'Upload and import'}
            </button>
            {phase.step === 'uploading' ? (
              <button
                type="button"
                className="button button--secondary"
                onClick={() => abort.current?.abort()}
              >
                Cancel upload
              </button>
            ) : null}
          </div>
          <Status>{status}</Status>
        </form>
        {phase.step === 'uploading' || phase.step === 'reading' ? (
          <div className="progress-steps">
            <p id="fhir-progress-label" className="progress-steps__label">
              {phase.step === 'uploading' ? 'Uploading' : 'Reading the file on the server'}
              <span className="progress-steps__figure">
                {phase.step === 'uploading' ? `${phase.percent} %` : 'upload done'}
              </span>
            </p>
            <progress
              className="meter"
              max={100}
              value={phase.step === 'uploading' ? phase.percent : 100}
              aria-labelledby="fhir-progress-label"
            />
          </div>
        ) : null}
      </section>
      {phase.step === 'done' ? (
        <Report report={phase.report} filename={phase.filename} heading={result} />
      ) : null}
    </>
  );
}

function Report({
  report,
  filename,
  heading,
}: {
  report: ImportReport;
  filename: string;
  heading: RefObject<HTMLHeadingElement | null>;
}) {
  const c = report.counts;
  const skipped = report.results.filter((r) => r.status === 'skipped');
  const reasons = new Map<string, number>();
  for (const r of skipped) {
    const reason = r.reason ?? 'no reason given';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const labs = report.results.some((r) => r.record_type === 'lab' && r.status !== 'skipped');
  return (
    <section className="card section fhir-report" aria-labelledby="report-title" data-testid="fhir-report">
      <h2 id="report-title" ref={heading} tabIndex={-1}>
        Imported: {filename}
      </h2>
      <p>
        {report.results.length} {report.results.length === 1 ? 'resource' : 'resources'} in the file, from{' '}
        <strong>{report.source_system}</strong>.
      </p>
      <Counts
        items={[
          { label: 'New records', value: c.imported, testId: 'count-imported' },
          { label: 'Updated', value: c.updated, testId: 'count-updated' },
          { label: 'Already there', value: c.unchanged, testId: 'count-unchanged' },
          { label: 'Skipped', value: c.skipped, testId: 'count-skipped' },
        ]}
      />
      {reasons.size > 0 ? (
        <>
          <h3>Skipped, and why</h3>
          <ul className="reasons">
            {[...reasons].map(([reason, n]) => (
              <li key={reason}>
                {reason}: <strong>{n}</strong>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <p className="saved__links">
        {labs ? <Link to="/labs">Your lab results</Link> : null}
        <Link to="/records">All your records</Link>
      </p>
      <details className="report-details">
        <summary>Every resource in the file ({report.results.length})</summary>
        <div className="table-scroll" role="region" aria-label="Every resource in the file" tabIndex={0}>
          <table className="figures">
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Result</th>
                <th scope="col">Record, or why not</th>
              </tr>
            </thead>
            <tbody>
              {report.results.map((r) => (
                <tr key={r.path} data-status={r.status}>
                  <th scope="row">
                    {r.resource_type ?? 'Unknown'}
                    {r.source_id ? <span className="hint"> {r.source_id}</span> : null}
                  </th>
                  <td>{STATUS_WORDS[r.status]}</td>
                  <td className="words">
                    {r.reason ? (
                      r.reason
                    ) : r.record_id && r.record_type !== 'patient' ? (
                      <Link to={`/records/${r.record_id}`}>
                        {TYPE_NAMES[r.record_type ?? '']?.one ?? r.record_type ?? 'Record'}
                      </Link>
                    ) : (
                      (TYPE_NAMES[r.record_type ?? '']?.one ?? r.record_type ?? '–')
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}
