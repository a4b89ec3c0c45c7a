import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../api';
import {
  asApiError,
  formProblems,
  ErrorSummary,
  MeasureField,
  onSubmit,
  SelectField,
  TextAreaField,
  TextField,
} from '../components/Form';
import {
  canonicalValue,
  ClassificationText,
  CONTEXT_SHORT,
  ContextField,
  converted,
  defaultUnit,
  enteredValue,
  unitOptions,
  UnitField,
  lower,
} from '../components/Health';
import { Page } from '../components/Page';
import { isoInZone, localInputValue, zonedIso, type Formatters, type Preferences } from '../format';
import { health, type Catalog, type MetricInfo, type PlausibleRange, type Reading } from '../health';
import { Link, useRouter } from '../router';
import { useSetup } from '../setup';

export function LogReading() {
  const setup = useSetup();
  return (
    <Page
      title="Log a reading"
      intro="Record a measurement in the unit your device shows. It is stored with its unit and the time it was taken."
    >
      {setup.status === 'loading' ? <p>Loading the list of measurements…</p> : null}
      {setup.status === 'error' ? <p role="alert">{setup.message}</p> : null}
      {setup.status === 'ready' ? (
        <ReadingForm catalog={setup.catalog} prefs={setup.prefs} fmt={setup.fmt} />
      ) : null}
      <p>
        Logging how you feel rather than a measurement? <Link to="/symptoms">Log a symptom</Link>.
      </p>
    </Page>
  );
}

/** "kg = 0.45359237 x value + 0": the catalogue's conversion of a unit into the canonical one. */
function linearOf(toCanonical: string): { scale: number; offset: number } | null {
  const m = /=\s*([-\d.e+]+)\s*x value(?:\s*([+-])\s*([\d.e+]+))?\s*$/.exec(toCanonical);
  if (!m) return null;
  const scale = Number(m[1]);
  const offset = m[3] ? Number(m[3]) * (m[2] === '-' ? -1 : 1) : 0;
  return Number.isFinite(scale) && scale !== 0 && Number.isFinite(offset) ? { scale, offset } : null;
}

/** The plausible range in the unit chosen, e.g. "Accepted: 0.44 to 1,433 lb." */
export function rangeHint(
  info: MetricInfo,
  unit: string,
  range: PlausibleRange,
  fmt: Formatters,
): string | undefined {
  const def = info.units.find((u) => u.names.includes(unit) || u.ucum === unit);
  const linear = def ? linearOf(def.to_canonical) : null;
  if (!linear) return undefined;
  const inUnit = (canonical: number) => (canonical - linear.offset) / linear.scale;
  const low = fmt.figure(inUnit(range.min));
  const high = fmt.figure(inUnit(range.max));
  return `Accepted: ${range.min_exclusive ? 'above' : 'from'} ${low} to ${high} ${unit}.`;
}

interface Draft {
  type: string;
  unit: string;
  value: string;
  systolic: string;
  diastolic: string;
  context: string;
  time: string;
  notes: string;
}

const number = (text: string) => (text.trim() === '' ? NaN : Number(text));

export function ReadingForm({
  catalog,
  prefs,
  fmt,
}: {
  catalog: Catalog;
  prefs: Preferences;
  fmt: Formatters;
}) {
  const { search } = useRouter();
  const first = catalog.byType.get(search.get('type') ?? '') ?? catalog.items[0]!;
  const fresh = (info: MetricInfo, keep?: Partial<Draft>): Draft => ({
    type: info.metric_type,
    unit: defaultUnit(info, prefs),
    value: '',
    systolic: '',
    diastolic: '',
    context: '',
    time: '',
    notes: '',
    ...keep,
  });
  const [draft, setDraft] = useState<Draft>(() => fresh(first));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<Reading | null>(null);
  const info = catalog.byType.get(draft.type) ?? first;
  const bp = info.kind === 'blood_pressure';
  const change = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const fields: Record<string, string> = {
    metric_type: 'Measurement',
    ...(bp ? { 'value.systolic': 'Systolic', 'value.diastolic': 'Diastolic' } : { value: info.name }),
    unit: 'Unit',
    ...(info.contexts ? { context: 'When it was measured' } : {}),
    timestamp: 'When measured',
    notes: 'Notes',
  };

  const submit = onSubmit(async () => {
    setError(null);
    const problems: { field: string; problem: string }[] = [];
    let value: Reading['value'] = NaN;
    if (bp) {
      const systolic = number(draft.systolic);
      const diastolic = number(draft.diastolic);
      if (!Number.isFinite(systolic)) {
        problems.push({ field: 'value.systolic', problem: 'Enter the systolic (top) number, such as 120' });
      }
      if (!Number.isFinite(diastolic)) {
        problems.push({
          field: 'value.diastolic',
          problem: 'Enter the diastolic (bottom) number, such as 80',
        });
      }
      value = { systolic, diastolic };
    } else {
      value = number(draft.value);
      if (!Number.isFinite(value)) {
        problems.push({ field: 'value', problem: `Enter the ${lower(info.name)} as a number` });
      }
    }
    let timestamp = isoInZone(Date.now(), prefs.timezone);
    if (draft.time) {
      const zoned = zonedIso(draft.time, prefs.timezone);
      if (zoned) timestamp = zoned;
      else problems.push({ field: 'timestamp', problem: 'Enter a date and time, or leave it empty for now' });
    }
    if (problems.length > 0) {
      setError(formProblems(problems));
      return;
    }
    setBusy(true);
    try {
      const reading = await health.addReading({
        metric_type: info.metric_type,
        value,
        unit: draft.unit,
        timestamp,
        ...(info.contexts && draft.context ? { context: draft.context } : {}),
        ...(draft.notes.trim() ? { notes: draft.notes.trim() } : {}),
      });
      setSaved(reading);
      setDraft(fresh(info, { unit: draft.unit }));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  });

  const rangeText = (range: PlausibleRange) => rangeHint(info, draft.unit, range, fmt);

  return (
    <>
      {saved ? <SavedReading reading={saved} catalog={catalog} fmt={fmt} /> : null}
      <form className="form card" noValidate onSubmit={submit} aria-busy={busy} aria-labelledby="log-title">
        <h2 id="log-title">{saved ? 'Log another reading' : 'New reading'}</h2>
        <ErrorSummary form="log" error={error} fields={fields} />
        <SelectField
          form="log"
          name="metric_type"
          label="Measurement"
          value={draft.type}
          onChange={(e) => {
            const next = catalog.byType.get(e.target.value);
            if (next) setDraft(fresh(next, { time: draft.time, notes: draft.notes }));
            setError(null);
          }}
          error={error?.fieldError('metric_type')}
        >
          {catalog.items.map((m) => (
            <option key={m.metric_type} value={m.metric_type}>
              {m.name}
            </option>
          ))}
        </SelectField>

        {bp ? (
          <fieldset className="field bp" aria-describedby="log-bp-hint">
            <legend>Blood pressure</legend>
            <p className="hint" id="log-bp-hint">
              The two numbers your monitor shows, such as 120 over 80.
            </p>
            <div className="bp-row">
              <TextField
                form="log"
                name="value.systolic"
                label="Systolic (top number)"
                type="number"
                inputMode="decimal"
                min="0"
                step="any"
                hint={info.plausible_range ? rangeText(info.plausible_range) : undefined}
                value={draft.systolic}
                onChange={(e) => change({ systolic: e.target.value })}
                error={error?.fieldError('value.systolic')}
              />
              <TextField
                form="log"
                name="value.diastolic"
                label="Diastolic (bottom number)"
                type="number"
                inputMode="decimal"
                min="0"
                step="any"
                hint={info.diastolic_range ? rangeText(info.diastolic_range) : undefined}
                value={draft.diastolic}
                onChange={(e) => change({ diastolic: e.target.value })}
                error={error?.fieldError('value.diastolic')}
              />
            </div>
            <UnitField
              form="log"
              info={info}
              value={draft.unit}
              onValue={(unit) => change({ unit })}
              error={error?.fieldError('unit')}
            />
          </fieldset>
        ) : (
          <MeasureField
            form="log"
            name="value"
            label={info.name}
            hint={rangeText(info.plausible_range)}
            value={draft.value}
            unit={draft.unit}
            units={unitOptions(info)}
            onValue={(value) => change({ value })}
            onUnit={(unit) => change({ unit })}
            error={error?.fieldError('value') ?? error?.fieldError('unit')}
          />
        )}

        {info.contexts ? (
          <ContextField
            form="log"
            contexts={info.contexts}
            hint="Fasting readings are compared with the fasting thresholds; the others with the threshold for any time of day."
            value={draft.context}
            onValue={(context) => change({ context })}
            error={error?.fieldError('context')}
          />
        ) : null}

        <TextField
          form="log"
          name="timestamp"
          label="When measured (optional)"
          type="datetime-local"
          hint={<TimeZoneHint prefs={prefs} />}
          max={localInputValue(Date.now(), prefs.timezone)}
          value={draft.time}
          onChange={(e) => change({ time: e.target.value })}
          error={error?.fieldError('timestamp')}
        />
        <TextAreaField
          form="log"
          name="notes"
          label="Notes (optional)"
          maxLength={2000}
          value={draft.notes}
          onChange={(e) => change({ notes: e.target.value })}
          error={error?.fieldError('notes')}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Saving…' : 'Save reading'}
          </button>
        </div>
      </form>
    </>
  );
}

export function TimeZoneHint({
  prefs,
  empty = 'Leave empty for now.',
}: {
  prefs: Preferences;
  empty?: string;
}) {
  return (
    <>
      {empty} In your time zone, {prefs.timezone}
      {prefs.timezoneFromDevice ? (
        <>
          {' '}
          (this device’s: <Link to="/settings#preferences">choose yours in Settings</Link>)
        </>
      ) : null}
      .
    </>
  );
}

/** What was stored: the value as entered, in the canonical unit, and its guideline class. */
function SavedReading({ reading, catalog, fmt }: { reading: Reading; catalog: Catalog; fmt: Formatters }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [reading]);
  const info = catalog.byType.get(reading.metric_type);
  return (
    <section className="card saved" aria-labelledby="saved-title" data-testid="saved-reading">
      <h2 id="saved-title" ref={heading} tabIndex={-1}>
        Saved: {info?.name ?? reading.metric_type}
      </h2>
      <dl className="facts">
        <div>
          <dt>You entered</dt>
          <dd>{enteredValue(reading, fmt)}</dd>
        </div>
        <div>
          <dt>Stored as</dt>
          <dd>
            {canonicalValue(reading, catalog, fmt)}
            {converted(reading) ? (
              <span className="hint">
                {' '}
                (converted to {info?.canonical_unit.name}, the unit it is kept in)
              </span>
            ) : (
              <span className="hint"> (the unit it is kept in)</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Taken</dt>
          <dd>{fmt.dateTime(reading.timestamp)}</dd>
        </div>
        {reading.context ? (
          <div>
            <dt>When</dt>
            <dd>{CONTEXT_SHORT[reading.context] ?? reading.context}</dd>
          </div>
        ) : null}
        {reading.notes ? (
          <div>
            <dt>Notes</dt>
            <dd>{reading.notes}</dd>
          </div>
        ) : null}
      </dl>
      <h3>Guideline class</h3>
      {reading.classification ? (
        <ClassificationText classification={reading.classification} info={info} />
      ) : (
        <p>
          None: no guideline classes a single {info ? lower(info.name) : 'reading'} reading
          {reading.metric_type === 'weight' ? ' (body mass index has the WHO classes)' : ''}.
        </p>
      )}
      <p className="saved__links">
        <Link to={`/readings?type=${encodeURIComponent(reading.metric_type)}`}>
          See your {info ? lower(info.name) : ''} readings
        </Link>{' '}
        <Link to="/">Back to the dashboard</Link>
      </p>
    </section>
  );
}
