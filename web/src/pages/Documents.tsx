import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import {
  asApiError,
  EditForm,
  ErrorSummary,
  formProblems,
  FileField,
  onSubmit,
  SelectField,
  Status,
  TextField,
} from '../components/Form';
import { ConfirmDelete, EntryList, usePagedList } from '../components/ListParts';
import { RecordsNav } from '../components/MedicalParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { downloadBlob, openInNewTab } from '../download';
import { bytes, todayIn, type Formatters, type Preferences } from '../format';
import {
  CATEGORY_NAMES,
  records,
  type DocumentCategory,
  type DocumentDetail,
  type MedicalDocument,
  type Suggestion,
} from '../records';
import { Link, useRouter } from '../router';
import { usePreferences } from '../setup';

const EXTRACTION_WORDS: Record<MedicalDocument['extraction']['status'], string> = {
  pending: 'Waiting to be read',
  processing: 'Being read',
  done: 'Read',
  failed: 'Could not be read',
};

const METHOD_WORDS: Record<string, string> = {
  text_layer: 'from its text',
  ocr: 'by text recognition (OCR)',
  text_layer_and_ocr: 'from its text and by text recognition (OCR)',
};

const docName = (d: MedicalDocument) => d.title ?? d.filename ?? CATEGORY_NAMES[d.category];

export function Documents() {
  const setup = usePreferences();
  return (
    <Page
      title="Documents"
      intro="Keep lab reports, letters and discharge summaries here. Their text is read on this server, and the lab values found in it are offered for you to check before they join your lab results."
    >
      <RecordsNav />
      <SetupGate setup={setup}>
        {({ prefs, fmt }) => (
          <>
            <UploadDocument prefs={prefs} fmt={fmt} />
            <DocumentList fmt={fmt} />
          </>
        )}
      </SetupGate>
    </Page>
  );
}

const FIELDS = { file: 'File', title: 'Title', document_date: 'Date of the document', category: 'Kind' };

function UploadDocument({ prefs, fmt }: { prefs: Preferences; fmt: Formatters }) {
  const { navigate } = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [date, setDate] = useState('');
  const [category, setCategory] = useState<DocumentCategory>('lab_report');
  const [error, setError] = useState<ApiError | null>(null);
  const [percent, setPercent] = useState<number | null>(null);
  const [status, setStatus] = useState('');

  const submit = onSubmit(async () => {
    setError(null);
    if (!file) {
      setError(formProblems([{ field: 'file', problem: 'Choose a file' }]));
      return;
    }
    const form = new FormData();
    if (title.trim()) form.append('title', title.trim());
    if (date) form.append('document_date', date);
    form.append('category', category);
    form.append('file', file, file.name);
    setPercent(0);
    setStatus(`Uploading ${file.name}…`);
    try {
      const { status: code, data } = await records.uploadDocument(form, ({ loaded, total }) =>
        setPercent(Math.min(100, Math.round((100 * loaded) / (total || 1)))),
      );
      navigate(`/records/documents/${data.id}${code === 200 ? '?same=1' : ''}`);
    } catch (err) {
      const apiError = asApiError(err);
      setPercent(null);
      setStatus('');
      setError(
        apiError.fieldErrors.length > 0
          ? apiError
          : new ApiError(apiError.status, apiError.code, apiError.message, { field: 'file' }),
      );
    }
  });

  const busy = percent !== null;
  return (
    <section className="card section" aria-labelledby="upload-title">
      <h2 id="upload-title">Add a document</h2>
      <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary form="document" error={error} fields={FIELDS} />
        <FileField
          form="document"
          name="file"
          label="File"
          hint="A PDF or a photo or scan (PNG, JPEG, TIFF, WebP), up to 20 MB. It is kept encrypted."
          accept=".pdf,.png,.jpg,.jpeg,.tif,.tiff,.webp,application/pdf,image/png,image/jpeg,image/tiff,image/webp"
          disabled={busy}
          onFile={setFile}
          error={error?.fieldError('file')}
        >
          {file ? (
            <p className="file-kind">
              {file.name} ({bytes(file.size, fmt)})
            </p>
          ) : null}
        </FileField>
        <SelectField
          form="document"
          name="category"
          label="Kind"
          value={category}
          disabled={busy}
          onChange={(e) => setCategory(e.target.value as DocumentCategory)}
          error={error?.fieldError('category')}
        >
          {Object.entries(CATEGORY_NAMES).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </SelectField>
        <TextField
          form="document"
          name="title"
          label="Title (optional)"
          maxLength={200}
          value={title}
          disabled={busy}
          onChange={(e) => setTitle(e.target.value)}
          error={error?.fieldError('title')}
        />
        <TextField
          form="document"
          name="document_date"
          label="Date of the document (optional)"
          type="date"
          max={todayIn(prefs.timezone)}
          value={date}
          disabled={busy}
          onChange={(e) => setDate(e.target.value)}
          error={error?.fieldError('document_date')}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Uploading…' : 'Upload'}
          </button>
        </div>
        {percent !== null ? (
          <progress className="meter" max={100} value={percent} aria-label="Upload">
            {percent} %
          </progress>
        ) : null}
        <Status>{status}</Status>
      </form>
    </section>
  );
}

function DocumentList({ fmt }: { fmt: Formatters }) {
  const list = usePagedList<MedicalDocument>(
    (cursor) => records.documents(cursor),
    (d) => `document-${d.id}`,
    (count) => `Showing ${count} documents.`,
  );
  return (
    <section className="section" aria-labelledby="documents-title">
      <EntryList
        list={list}
        titleId="documents-title"
        title="Your documents"
        loading="Loading your documents…"
        empty={<p>No documents yet.</p>}
        moreLabel="Show older documents"
        renderItem={(d) => (
          <li key={d.id} className="card entry record" data-testid="document">
            <h3 id={`document-${d.id}`} tabIndex={-1} className="entry__title">
              <Link to={`/records/documents/${d.id}`}>{docName(d)}</Link>
            </h3>
            <p className="entry__meta">
              <span className="tag">{CATEGORY_NAMES[d.category]}</span>{' '}
              {d.document_date ? fmt.calendarDate(d.document_date) : `added ${fmt.date(d.created_at)}`},{' '}
              {bytes(d.size_bytes, fmt)}: {EXTRACTION_WORDS[d.extraction.status].toLowerCase()}
            </p>
          </li>
        )}
      />
    </section>
  );
}

// ---- one document ----------------------------------------------------------------------------------

type Loaded =
  { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ready'; doc: DocumentDetail };

export function DocumentPage({ id }: { id: string }) {
  const setup = usePreferences();
  const { search } = useRouter();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const reading =
    loaded.status === 'ready' && ['pending', 'processing'].includes(loaded.doc.extraction.status);

  useEffect(() => {
    let live = true;
    records.document(id).then(
      (doc) => live && setLoaded({ status: 'ready', doc }),
      (err: unknown) => live && setLoaded({ status: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, [id]);

  // While the server reads the text, look again every second and a half.
  useEffect(() => {
    if (!reading) return;
    const timer = setTimeout(() => {
      records.document(id).then(
        (doc) => setLoaded({ status: 'ready', doc }),
        () => undefined,
      );
    }, 1500);
    return () => clearTimeout(timer);
  }, [id, reading, loaded]);

  const title =
    loaded.status === 'ready'
      ? docName(loaded.doc)
      : loaded.status === 'error' && loaded.error.status === 404
        ? 'Document not found'
        : 'Document';
  return (
    <Page title={title}>
      <RecordsNav />
      {search.get('same') === '1' ? (
        <p className="notice" role="status">
          You uploaded this same file before: this is the document already kept.
        </p>
      ) : null}
      {loaded.status === 'loading' ? <p>Loading the document…</p> : null}
      {loaded.status === 'error' ? (
        <p role="alert">
          {loaded.error.status === 404 ? 'There is no such document.' : loaded.error.message}{' '}
          <Link to="/records/documents">Your documents</Link>
        </p>
      ) : null}
      {loaded.status === 'ready' ? (
        <SetupGate setup={setup}>
          {({ fmt }) => (
            <DocumentBody
              doc={loaded.doc}
              fmt={fmt}
              onChanged={(doc) => setLoaded({ status: 'ready', doc })}
            />
          )}
        </SetupGate>
      ) : null}
    </Page>
  );
}

function DocumentBody({
  doc,
  fmt,
  onChanged,
}: {
  doc: DocumentDetail;
  fmt: Formatters;
  onChanged(doc: DocumentDetail): void;
}) {
  const { navigate } = useRouter();
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState('');
  const [blockedUrl, setBlockedUrl] = useState('');
  const x = doc.extraction;
  const pending = doc.suggestions.filter((s) => s.status === 'pending' || s.status === 'confirming');
  return (
    <>
      <dl className="facts record-facts card" data-testid="document-facts">
        <div>
          <dt>Kind</dt>
          <dd>{CATEGORY_NAMES[doc.category]}</dd>
        </div>
        {doc.document_date ? (
          <div>
            <dt>Date</dt>
            <dd>{fmt.calendarDate(doc.document_date)}</dd>
          </div>
        ) : null}
        <div>
          <dt>File</dt>
          <dd>
            {doc.filename ?? 'unnamed'} ({doc.media_type}, {bytes(doc.size_bytes, fmt)}), added{' '}
            {fmt.dateTime(doc.created_at)}
          </dd>
        </div>
        <div>
          <dt>Text</dt>
          <dd>
            <span data-testid="extraction" role="status">
              {EXTRACTION_WORDS[x.status]}
              {x.status === 'done' && x.method ? ` ${METHOD_WORDS[x.method] ?? x.method}` : ''}
              {x.pages ? `, ${x.pages} ${x.pages === 1 ? 'page' : 'pages'}` : ''}
              {x.reason ? `: ${x.reason}` : ''}
              {x.status === 'pending' || x.status === 'processing' ? '…' : '.'}
            </span>
          </dd>
        </div>
      </dl>
      <div className="actions">
        <button
          type="button"
          className="button"
          onClick={async () => {
            setError('');
            setBlockedUrl('');
            try {
              const blocked = await openInNewTab(async () => (await records.documentLink(doc.id)).url);
              if (blocked) setBlockedUrl(blocked);
            } catch (err) {
              setError(asApiError(err).message);
            }
          }}
        >
          Open in a new tab
        </button>
        <button
          type="button"
          className="button button--secondary"
          onClick={async () => {
            setError('');
            try {
              const { blob, filename } = await records.documentFile(doc.id);
              downloadBlob(filename ?? doc.filename ?? 'document', blob);
            } catch (err) {
              setError(asApiError(err).message);
            }
          }}
        >
          Download the original
        </button>
        {deleting ? null : (
          <button type="button" className="button button--danger-outline" onClick={() => setDeleting(true)}>
            Delete this document
          </button>
        )}
      </div>
      {blockedUrl ? (
        <p>
          The browser did not open a new tab.{' '}
          <a href={blockedUrl} target="_blank" rel="noopener noreferrer">
            Open “{docName(doc)}”
          </a>{' '}
          (this link works for a few minutes).
        </p>
      ) : null}
      {error ? <p role="alert">{error}</p> : null}
      {deleting ? (
        <ConfirmDelete
          form="delete-document"
          question={`Delete “${docName(doc)}”, its text and the values not yet added? Lab results you added from it stay.`}
          onDelete={async () => {
            await records.deleteDocument(doc.id);
            navigate('/records/documents');
          }}
          onCancel={() => setDeleting(false)}
        />
      ) : null}

      {x.status === 'done' ? (
        <section className="section" aria-labelledby="suggestions-title">
          <h2 id="suggestions-title">Lab values found</h2>
          {doc.suggestions.length === 0 ? (
            <p>No lab values were found in its text.</p>
          ) : (
            <p>
              Check each against the document: add the ones read right (correct them first if needed) to your
              lab results, where the server flags them. {pending.length} still to check.
            </p>
          )}
          <ul className="entries" aria-labelledby="suggestions-title">
            {doc.suggestions.map((s) => (
              <SuggestionItem
                key={s.id}
                docId={doc.id}
                suggestion={s}
                fmt={fmt}
                onChanged={(changed) =>
                  onChanged({
                    ...doc,
                    suggestions: doc.suggestions.map((x) => (x.id === changed.id ? changed : x)),
                  })
                }
              />
            ))}
          </ul>
        </section>
      ) : null}
      {doc.text ? (
        <details className="fhir">
          <summary>Show the text read from it</summary>
          <div
            className="table-scroll"
            role="region"
            aria-label="The text read from the document"
            tabIndex={0}
          >
            <pre>{doc.text}</pre>
          </div>
        </details>
      ) : null}
    </>
  );
}

const SUGGESTION_FIELDS = { value: 'Value', unit: 'Unit', effective_date: 'Date of the sample' };

function SuggestionItem({
  docId,
  suggestion: s,
  fmt,
  onChanged,
}: {
  docId: string;
  suggestion: Suggestion;
  fmt: Formatters;
  onChanged(s: Suggestion): void;
}) {
  const [mode, setMode] = useState<'view' | 'correct'>('view');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const printed = `${s.comparator ?? ''}${s.value_text}${s.unit ? ` ${s.unit.display}` : ''}`;

  async function decide(action: () => Promise<Suggestion>, done: string) {
    setBusy(true);
    setError(null);
    try {
      onChanged(await action());
      setMode('view');
      setStatus(done);
      heading.current?.focus();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }
  const confirm = (body: { value?: number; unit?: string; effective_date?: string }) =>
    decide(
      async () => (await records.confirm(docId, s.id, body)).suggestion,
      `${s.name} added to your lab results.`,
    );

  return (
    <li className="card entry suggestion" data-testid="suggestion" data-status={s.status}>
      <h3 ref={heading} tabIndex={-1} className="entry__title">
        {s.name}
      </h3>
      <p className="lab-result">
        <span className="lab-result__value">{printed}</span>
        {s.reference_range ? (
          <span className="lab-result__range">Reference range {s.reference_range.text}</span>
        ) : null}
      </p>
      <p className="entry__meta">
        {s.effective_date
          ? `Sample of ${fmt.calendarDate(s.effective_date.slice(0, 10))}. `
          : 'No date in the document. '}
        Read from line {s.source.line}: “{s.source.text}”
      </p>
      {s.notes.map((n) => (
        <p key={n} className="hint">
          {n}
        </p>
      ))}
      {s.status === 'confirmed' ? (
        <p>
          <span className="tag tag--on_track">Added</span>{' '}
          {s.record_id ? <Link to={`/records/${s.record_id}`}>See it in your lab results</Link> : null}
        </p>
      ) : s.status === 'rejected' ? (
        <p>
          <span className="tag">Dismissed</span>
        </p>
      ) : mode === 'correct' ? (
        <CorrectSuggestion
          suggestion={s}
          busy={busy}
          error={error}
          onSave={confirm}
          onCancel={() => setMode('view')}
        />
      ) : (
        <>
          <ErrorSummary form={`suggestion-${s.id}`} error={error} fields={SUGGESTION_FIELDS} />
          <div className="entry__actions">
            <button
              type="button"
              className="button button--small"
              disabled={busy}
              aria-label={`Add to my lab results: ${s.name} ${printed}`}
              onClick={() => void confirm({})}
            >
              Add to my lab results
            </button>
            <button
              type="button"
              className="button button--secondary button--small"
              disabled={busy}
              aria-label={`Correct first: ${s.name} ${printed}`}
              onClick={() => setMode('correct')}
            >
              Correct first
            </button>
            <button
              type="button"
              className="button button--danger-outline button--small"
              disabled={busy}
              aria-label={`Dismiss ${s.name} ${printed}`}
              onClick={() => void decide(() => records.reject(docId, s.id), `${s.name} dismissed.`)}
            >
              Dismiss
            </button>
          </div>
        </>
      )}
      <Status>{status}</Status>
    </li>
  );
}

function CorrectSuggestion({
  suggestion: s,
  busy,
  error,
  onSave,
  onCancel,
}: {
  suggestion: Suggestion;
  busy: boolean;
  error: ApiError | null;
  onSave(body: { value?: number; unit?: string; effective_date?: string }): void;
  onCancel(): void;
}) {
  const form = `correct-${s.id}`;
  const [value, setValue] = useState(s.value === null ? '' : String(s.value));
  const [unit, setUnit] = useState(s.unit?.ucum ?? '');
  const [date, setDate] = useState(s.effective_date?.slice(0, 10) ?? '');
  const [problem, setProblem] = useState<ApiError | null>(null);
  const submit = onSubmit(() => {
    setProblem(null);
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
      setProblem(
        new ApiError(400, 'validation_error', 'Enter the value', [
          { field: 'value', problem: 'Enter the value as a number' },
        ]),
      );
      return;
    }
    onSave({
      value: n,
      ...(unit.trim() ? { unit: unit.trim() } : {}),
      ...(date ? { effective_date: date } : {}),
    });
  });
  const shown = problem ?? error;
  return (
    <EditForm
      form={form}
      label={`Correct ${s.name}`}
      error={shown}
      fields={SUGGESTION_FIELDS}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
      submitLabel="Add to my lab results"
    >
      <TextField
        form={form}
        name="value"
        label="Value"
        type="number"
        inputMode="decimal"
        step="any"
        min="0"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        error={shown?.fieldError('value')}
      />
      <TextField
        form={form}
        name="unit"
        label="Unit"
        autoComplete="off"
        maxLength={40}
        value={unit}
        onChange={(e) => setUnit(e.target.value)}
        error={shown?.fieldError('unit')}
      />
      <TextField
        form={form}
        name="effective_date"
        label="Date of the sample"
        type="date"
        value={date}
        onChange={(e) => setDate(e.target.value)}
        error={shown?.fieldError('effective_date')}
      />
    </EditForm>
  );
}
