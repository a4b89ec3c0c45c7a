import { useEffect, useState } from 'react';
import { ApiError } from '../api';
import { asApiError, SelectField, TextField } from '../components/Form';
import { EntryList, usePagedList } from '../components/ListParts';
import {
  FlagBadge,
  LabResult,
  quantityText,
  rangeText,
  RecordsNav,
  resultText,
  whenText,
} from '../components/MedicalParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { downloadText } from '../download';
import { zonedIso, type Formatters, type Preferences } from '../format';
import {
  FLAG_WORDS,
  loincOf,
  RECORD_TYPES,
  records,
  TYPE_NAMES,
  type MedicalRecord,
  type RecordDetail,
} from '../records';
import { Link, useRouter } from '../router';
import { usePreferences } from '../setup';

const PAGE_SIZE = 20;

export function Records() {
  const setup = usePreferences();
  return (
    <Page
      title="Medical records"
      intro="Lab results, conditions, medications, allergies, immunisations and visits from your doctors, newest first."
    >
      <RecordsNav />
      <SetupGate setup={setup}>{({ prefs, fmt }) => <RecordList prefs={prefs} fmt={fmt} />}</SetupGate>
    </Page>
  );
}

interface Filters {
  type: string;
  from: string;
  to: string;
}

const isDate = (text: string | null): text is string => !!text && /^\d{4}-\d{2}-\d{2}$/.test(text);

function filtersOf(search: URLSearchParams): Filters {
  const type = search.get('type') ?? '';
  const from = search.get('from');
  const to = search.get('to');
  return {
    type: (RECORD_TYPES as readonly string[]).includes(type) ? type : '',
    from: isDate(from) ? from : '',
    to: isDate(to) ? to : '',
  };
}

/** The day after a `YYYY-MM-DD` date: "to 3 May" includes all of 3 May. */
const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * Records filtered by type (unless the page fixes one) and by date, paged with the API's cursor. The
 * filters are written into the address, so a reload or a shared link keeps them.
 */
export function RecordList({
  prefs,
  fmt,
  fixedType,
}: {
  prefs: Preferences;
  fmt: Formatters;
  fixedType?: 'lab';
}) {
  const { search } = useRouter();
  const [filters, setFilters] = useState(() => filtersOf(search));
  useEffect(() => setFilters(filtersOf(search)), [search]);
  const type = fixedType ?? filters.type;
  const badRange = filters.from !== '' && filters.to !== '' && filters.from > filters.to;

  const filter = (next: Partial<Filters>) => {
    const chosen = { ...filters, ...next };
    setFilters(chosen);
    const params = new URLSearchParams();
    if (chosen.type && !fixedType) params.set('type', chosen.type);
    if (chosen.from) params.set('from', chosen.from);
    if (chosen.to) params.set('to', chosen.to);
    const q = params.toString();
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${q ? `?${q}` : ''}`);
  };
  const rangeError = badRange
    ? new ApiError(400, 'validation_error', 'The start is after the end', [
        { field: 'to', problem: 'Choose an end date on or after the start date' },
      ])
    : null;

  return (
    <>
      <form
        className={`filters card${fixedType ? '' : ' filters--wide'}`}
        aria-label={fixedType ? 'Filter lab results' : 'Filter records'}
        onSubmit={(e) => e.preventDefault()}
      >
        {fixedType ? null : (
          <SelectField
            form="filter"
            name="type"
            label="Type"
            value={filters.type}
            onChange={(e) => filter({ type: e.target.value })}
          >
            <option value="">All types</option>
            {RECORD_TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_NAMES[t]?.many ?? t}
              </option>
            ))}
          </SelectField>
        )}
        <TextField
          form="filter"
          name="from"
          label="From"
          type="date"
          value={filters.from}
          onChange={(e) => filter({ from: e.target.value })}
        />
        <TextField
          form="filter"
          name="to"
          label="To"
          type="date"
          value={filters.to}
          onChange={(e) => filter({ to: e.target.value })}
          error={rangeError?.fieldError('to')}
        />
      </form>
      {badRange ? null : (
        <RecordResults
          // A new list for new filters: it loads its first page afresh.
          key={`${type}|${filters.from}|${filters.to}`}
          type={type}
          from={filters.from ? (zonedIso(filters.from, prefs.timezone) ?? undefined) : undefined}
          to={filters.to ? (zonedIso(nextDay(filters.to), prefs.timezone) ?? undefined) : undefined}
          filtered={filters.from !== '' || filters.to !== ''}
          fmt={fmt}
        />
      )}
    </>
  );
}

function RecordResults({
  type,
  from,
  to,
  filtered,
  fmt,
}: {
  type: string;
  from: string | undefined;
  to: string | undefined;
  filtered: boolean;
  fmt: Formatters;
}) {
  const names = TYPE_NAMES[type];
  const list = usePagedList<MedicalRecord>(
    (cursor) => records.list({ type: type || undefined, from, to, cursor, limit: PAGE_SIZE }),
    (r) => `record-${r.id}`,
    (count) => `Showing ${count} ${count === 1 ? 'record' : 'records'}.`,
  );
  const what = names ? names.many.toLowerCase() : 'records';
  return (
    <>
      <EntryList
        list={list}
        titleId="records-title"
        title={
          <>
            {names?.many ?? 'All records'}
            {filtered ? ', in the dates chosen' : ''}
          </>
        }
        loading="Loading your records…"
        empty={
          <p>
            No {what}
            {filtered ? ' in these dates' : ' yet'}. <Link to="/records/import">Import a FHIR file</Link> from
            your doctor’s or hospital’s patient portal to bring them in.
          </p>
        }
        moreLabel={<>Show older {what}</>}
        renderItem={(r) => <RecordItem key={r.id} record={r} fmt={fmt} />}
      />
    </>
  );
}

function RecordItem({ record, fmt }: { record: MedicalRecord; fmt: Formatters }) {
  const loinc = loincOf(record);
  const m = record.measurement;
  return (
    <li className="card entry record" data-testid="record" data-type={record.record_type}>
      <h3 id={`record-${record.id}`} tabIndex={-1} className="entry__title">
        <Link to={`/records/${record.id}`}>{record.display}</Link>
      </h3>
      <p className="entry__meta">
        <span className="tag">{TYPE_NAMES[record.record_type]?.one ?? record.record_type}</span>{' '}
        {whenText(record, fmt)}
        {record.status ? `, ${record.status.replace(/[-_]/g, ' ')}` : ''}
      </p>
      {m ? <LabResult measurement={m} fmt={fmt} /> : null}
      {loinc && record.record_type === 'lab' ? (
        <p className="entry__links">
          <Link to={`/labs/${loinc}`}>
            History<span className="visually-hidden"> of {record.display}</span>
          </Link>
        </p>
      ) : null}
    </li>
  );
}

// ---- one record ------------------------------------------------------------------------------------

type Loaded =
  { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ready'; record: RecordDetail };

export function RecordPage({ id }: { id: string }) {
  const setup = usePreferences();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    records.get(id).then(
      (record) => live && setLoaded({ status: 'ready', record }),
      (err: unknown) => live && setLoaded({ status: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, [id]);

  const title =
    loaded.status === 'ready'
      ? loaded.record.display
      : loaded.status === 'error' && loaded.error.status === 404
        ? 'Record not found'
        : 'Medical record';
  return (
    <Page title={title}>
      <RecordsNav />
      {loaded.status === 'loading' ? <p>Loading the record…</p> : null}
      {loaded.status === 'error' ? (
        <p role="alert">
          {loaded.error.status === 404
            ? 'There is no such record in your medical records. It may have been deleted.'
            : loaded.error.message}{' '}
          <Link to="/records">All your records</Link>
        </p>
      ) : null}
      {loaded.status === 'ready' ? (
        <SetupGate setup={setup}>{({ fmt }) => <RecordFacts record={loaded.record} fmt={fmt} />}</SetupGate>
      ) : null}
    </Page>
  );
}

function RecordFacts({ record, fmt }: { record: RecordDetail; fmt: Formatters }) {
  const m = record.measurement;
  const flags = m?.flags ?? null;
  const loinc = loincOf(record);
  const json = JSON.stringify(record.resource, null, 2);
  const result = m ? resultText(m, fmt) : null;
  const range = rangeText(flags?.reference_range ?? null, fmt);
  const limits = flags?.critical_limits ?? null;
  return (
    <>
      <dl className="facts record-facts card">
        <div>
          <dt>Type</dt>
          <dd>{TYPE_NAMES[record.record_type]?.one ?? record.record_type}</dd>
        </div>
        <div>
          <dt>When</dt>
          <dd>{whenText(record, fmt)}</dd>
        </div>
        {record.status ? (
          <div>
            <dt>Status</dt>
            <dd>{record.status.replace(/[-_]/g, ' ')}</dd>
          </div>
        ) : null}
        {record.code?.code ? (
          <div>
            <dt>Code</dt>
            <dd>
              {record.code.code}
              {record.code.system ? <span className="hint"> ({record.code.system})</span> : null}
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Came from</dt>
          <dd>
            {record.source.system}, {record.resource_type} {record.source.id}
          </dd>
        </div>
        <div>
          <dt>Imported</dt>
          <dd>
            {fmt.dateTime(record.created_at)}
            {record.updated_at !== record.created_at ? `, updated ${fmt.dateTime(record.updated_at)}` : ''}
          </dd>
        </div>
      </dl>

      {m ? (
        <section className="card section" aria-labelledby="result-title" data-testid="record-result">
          <h2 id="result-title">Result</h2>
          <p className="big-number">{result ?? 'No value'}</p>
          {flags?.flag ? (
            <p>
              <FlagBadge flag={flags.flag} />{' '}
              <span className="hint">worked out by this server from the value and the ranges below</span>
            </p>
          ) : null}
          <dl className="facts">
            {range ? (
              <div>
                <dt>Reference range</dt>
                <dd>{range}, as the lab gave it</dd>
              </div>
            ) : null}
            {limits ? (
              <div>
                <dt>Critical limits</dt>
                <dd>
                  {[
                    limits.low !== null ? `below ${fmt.exact(limits.low)}` : null,
                    limits.high !== null ? `above ${fmt.exact(limits.high)}` : null,
                  ]
                    .filter(Boolean)
                    .join(' or ')}{' '}
                  {limits.unit}
                  <span className="hint citation block">Source: {limits.source}</span>
                </dd>
              </div>
            ) : null}
            {m.source_interpretation.length > 0 ? (
              <div>
                <dt>The lab’s own flag</dt>
                <dd>
                  {m.source_interpretation
                    .map((code) =>
                      code in FLAG_WORDS ? `${FLAG_WORDS[code as keyof typeof FLAG_WORDS]} (${code})` : code,
                    )
                    .join(', ')}
                  <span className="hint block">Kept as sent; the flag above is worked out here.</span>
                </dd>
              </div>
            ) : null}
          </dl>
          {flags?.note ? <p className="hint">Note: {flags.note}.</p> : null}
          {m.components.length > 0 ? (
            <>
              <h3>Parts</h3>
              <ul className="components">
                {m.components.map((c, i) => (
                  <li key={`${c.code ?? c.display}-${i}`}>
                    {c.display}: {c.value ? quantityText(c.value, fmt) : 'no value'}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {loinc && record.record_type === 'lab' ? (
            <p>
              <Link to={`/labs/${loinc}`}>See every {record.display} result over time</Link>
            </p>
          ) : null}
        </section>
      ) : null}

      <section className="section" aria-labelledby="fhir-title">
        <h2 id="fhir-title">The original FHIR resource</h2>
        <p>Exactly as it was imported: this is what your doctor’s system sent.</p>
        <details className="fhir" data-testid="fhir-resource">
          <summary>Show the {record.resource_type} resource</summary>
          <div
            className="table-scroll"
            role="region"
            aria-label={`${record.resource_type} resource as JSON`}
            tabIndex={0}
          >
            <pre>
              <code>{json}</code>
            </pre>
          </div>
        </details>
        <div className="actions">
          <button
            type="button"
            className="button button--secondary"
            onClick={() =>
              downloadText(
                `${record.resource_type}-${record.source.id}.json`.replace(/[^A-Za-z0-9._-]+/g, '-'),
                `${json}\n`,
                'application/fhir+json',
              )
            }
          >
            Download it as a file
          </button>
        </div>
      </section>
    </>
  );
}
