import { useEffect, useRef, useState } from 'react';
import {
  asApiError,
  type Checked,
  EditForm,
  formProblems,
  MeasureField,
  SelectField,
  TextAreaField,
  TextField,
  useDraftForm,
} from '../components/Form';
import {
  canonicalValue,
  ClassBadge,
  CONTEXT_SHORT,
  ContextField,
  converted,
  enteredValue,
  sourceText,
  unitOptions,
  UnitField,
  lower,
} from '../components/Health';
import { ItemActions, MoreButton, useItemMode } from '../components/ListParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { localInputValue, startOfDay, zonedIso, type Formatters, type Preferences } from '../format';
import { health, isBloodPressure, type Catalog, type Reading } from '../health';
import { Link, useRouter } from '../router';
import { useSetup } from '../setup';
import { TimeZoneHint } from './LogReading';

const PAGE_SIZE = 20;

const PERIODS = [
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: '365', label: 'Last year' },
  { value: 'all', label: 'All time' },
];

export function Readings() {
  const setup = useSetup();
  return (
    <Page
      title="Your readings"
      intro="Everything you have logged, newest first. Change or delete your own entries here."
    >
      <SetupGate setup={setup}>
        {({ catalog, prefs, fmt }) => <ReadingList catalog={catalog} prefs={prefs} fmt={fmt} />}
      </SetupGate>
    </Page>
  );
}

function filtersOf(search: URLSearchParams, catalog: Catalog) {
  const type = search.get('type') ?? '';
  const period = search.get('period') ?? '';
  return {
    type: catalog.byType.has(type) ? type : '',
    period: PERIODS.some((p) => p.value === period) ? period : 'all',
  };
}

const shown = (count: number, more: boolean) =>
  count === 0
    ? ''
    : more
      ? `The newest ${count} readings; “Show older readings” at the end of the list brings more.`
      : `${count} ${count === 1 ? 'reading' : 'readings'}.`;

const keyOf = (r: Reading) => r.id ?? `${r.metric_type}-${r.source}-${r.timestamp}`;

function ReadingList({ catalog, prefs, fmt }: { catalog: Catalog; prefs: Preferences; fmt: Formatters }) {
  // A new `search` each time the router moves (even to this same page from the menu).
  const { search } = useRouter();
  // The filters live here and are written into the address (so a reload or a shared link keeps them)
  // without a move through the router, which would take focus away from the field being changed.
  const [filters, setFilters] = useState(() => filtersOf(search, catalog));
  useEffect(() => setFilters(filtersOf(search, catalog)), [search, catalog]);
  const { type, period } = filters;
  const [items, setItems] = useState<Reading[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const firstNew = useRef<string | null>(null);

  // The start of the period, fixed when the list loads so that later pages use the same one.
  const from = useRef<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    setItems(null);
    setError('');
    from.current =
      period === 'all'
        ? undefined
        : new Date(startOfDay(Date.now() - (Number(period) - 1) * 86_400_000, prefs.timezone)).toISOString();
    health.readings({ metric_type: type || undefined, from: from.current, limit: PAGE_SIZE }).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setCursor(page.next_cursor);
        setStatus(shown(page.items.length, page.next_cursor !== null));
      },
      (err: unknown) => live && setError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, [type, period, prefs.timezone]);

  useEffect(() => {
    if (firstNew.current) {
      document.getElementById(`reading-${firstNew.current}`)?.focus();
      firstNew.current = null;
    }
  }, [items]);

  const filter = (next: { type?: string; period?: string }) => {
    const chosen = { type: next.type ?? type, period: next.period ?? period };
    setFilters(chosen);
    const params = new URLSearchParams();
    if (chosen.type) params.set('type', chosen.type);
    if (chosen.period !== 'all') params.set('period', chosen.period);
    const q = params.toString();
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${q ? `?${q}` : ''}`);
  };

  async function more() {
    if (!cursor || !items) return;
    setBusy(true);
    try {
      const page = await health.readings({
        metric_type: type || undefined,
        from: from.current,
        cursor,
        limit: PAGE_SIZE,
      });
      firstNew.current = page.items[0] ? keyOf(page.items[0]) : null;
      setItems([...items, ...page.items]);
      setCursor(page.next_cursor);
      setStatus(shown(items.length + page.items.length, page.next_cursor !== null));
    } catch (err) {
      setError(asApiError(err).message);
    } finally {
      setBusy(false);
    }
  }

  const hasSeries = items?.some((r) => r.storage === 'series');
  const typeName = type ? lower(catalog.byType.get(type)!.name) : '';

  return (
    <>
      <p>
        <Link to={type ? `/log?type=${encodeURIComponent(type)}` : '/log'} className="button">
          Log a reading
        </Link>
      </p>
      <form className="filters card" aria-label="Filter readings" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          form="filter"
          name="type"
          label="Measurement"
          value={type}
          onChange={(e) => filter({ type: e.target.value })}
        >
          <option value="">All measurements</option>
          {catalog.items.map((m) => (
            <option key={m.metric_type} value={m.metric_type}>
              {m.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          form="filter"
          name="period"
          label="Period"
          value={period}
          onChange={(e) => filter({ period: e.target.value })}
        >
          {PERIODS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </SelectField>
      </form>

      <h2 ref={heading} tabIndex={-1} id="readings-title">
        {type ? catalog.byType.get(type)!.name : 'All readings'}
        {period !== 'all' ? `, ${PERIODS.find((p) => p.value === period)!.label.toLowerCase()}` : ''}
      </h2>
      <p className="list-status" role="status">
        {status}
      </p>
      {error ? <p role="alert">{error}</p> : null}
      {!items && !error ? <p>Loading your readings…</p> : null}
      {items && items.length === 0 ? (
        <p>
          No {typeName ? `${typeName} ` : ''}readings{period !== 'all' ? ' in this period' : ''} yet.{' '}
          <Link to={type ? `/log?type=${encodeURIComponent(type)}` : '/log'}>Log one</Link>.
        </p>
      ) : null}
      {hasSeries ? (
        <p className="notice">
          Readings marked <strong>device sample, read-only</strong> came from a device or an app and are kept
          with that source’s other samples, so they cannot be changed or deleted one by one here. Correct them
          at their source: importing again would bring them back.
        </p>
      ) : null}
      {items && items.length > 0 ? (
        <ul className="entries" aria-labelledby="readings-title">
          {items.map((r) => (
            <ReadingItem
              key={keyOf(r)}
              reading={r}
              catalog={catalog}
              prefs={prefs}
              fmt={fmt}
              onChanged={(updated) => {
                setItems((list) => list && list.map((x) => (x.id === updated.id ? updated : x)));
                setStatus('Reading saved.');
              }}
              onDeleted={() => {
                setItems((list) => list && list.filter((x) => x.id !== r.id));
                setStatus('Reading deleted.');
                heading.current?.focus();
              }}
            />
          ))}
        </ul>
      ) : null}
      {cursor && items ? (
        <MoreButton busy={busy} onMore={more}>
          Show older readings
        </MoreButton>
      ) : null}
    </>
  );
}

function ReadingItem({
  reading,
  catalog,
  prefs,
  fmt,
  onChanged,
  onDeleted,
}: {
  reading: Reading;
  catalog: Catalog;
  prefs: Preferences;
  fmt: Formatters;
  onChanged(r: Reading): void;
  onDeleted(): void;
}) {
  const modes = useItemMode();
  const info = catalog.byType.get(reading.metric_type);
  const name = info?.name ?? reading.metric_type;
  const when = fmt.dateTime(reading.timestamp);
  const about = `${lower(name)} of ${when}`;
  const key = keyOf(reading);

  return (
    <li className="card entry" data-testid="reading" data-metric={reading.metric_type}>
      <h3 id={`reading-${key}`} tabIndex={-1} className="entry__title">
        {name}
      </h3>
      <p className="entry__value">
        {enteredValue(reading, fmt)}
        {converted(reading) ? (
          <span className="entry__converted"> ({canonicalValue(reading, catalog, fmt)})</span>
        ) : null}
      </p>
      {reading.classification ? (
        <p className="entry__class">
          <ClassBadge classification={reading.classification} />{' '}
          <span className="hint">by the {info?.guideline}</span>
        </p>
      ) : null}
      <p className="entry__meta">
        {when}
        {reading.context ? `, ${CONTEXT_SHORT[reading.context] ?? reading.context}` : ''},{' '}
        {sourceText(reading.source)}
        {reading.storage === 'series' ? (
          <>
            {' '}
            <span className="tag">device sample, read-only</span>
          </>
        ) : null}
      </p>
      {reading.notes ? <p className="entry__notes">{reading.notes}</p> : null}

      {reading.storage === 'series' || !reading.id ? null : (
        <ItemActions
          modes={modes}
          about={about}
          form={`delete-${key}`}
          question={`Delete this ${lower(name)} reading of ${when}?`}
          onDelete={() => health.deleteReading(reading.id!)}
          onDeleted={onDeleted}
          onChanged={onChanged}
          editor={(edit) => (
            <EditReading
              reading={reading}
              catalog={catalog}
              prefs={prefs}
              fmt={fmt}
              onSaved={edit.saved}
              onCancel={edit.cancel}
            />
          )}
        />
      )}
    </li>
  );
}

function EditReading({
  reading,
  catalog,
  prefs,
  fmt,
  onSaved,
  onCancel,
}: {
  reading: Reading;
  catalog: Catalog;
  prefs: Preferences;
  fmt: Formatters;
  onSaved(r: Reading): void;
  onCancel(): void;
}) {
  const info = catalog.byType.get(reading.metric_type)!;
  const bp = isBloodPressure(reading.value);
  const form = `edit-${reading.id}`;
  const originalTime = localInputValue(reading.timestamp, prefs.timezone);
  const fields: Record<string, string> = {
    ...(bp ? { 'value.systolic': 'Systolic', 'value.diastolic': 'Diastolic' } : { value: info.name }),
    unit: 'Unit',
    ...(info.contexts ? { context: 'When it was measured' } : {}),
    timestamp: 'When measured',
    notes: 'Notes',
  };
  const { draft, change, busy, error, submit } = useDraftForm({
    initial: {
      value: isBloodPressure(reading.value) ? '' : String(reading.value),
      systolic: isBloodPressure(reading.value) ? String(reading.value.systolic) : '',
      diastolic: isBloodPressure(reading.value) ? String(reading.value.diastolic) : '',
      unit: unitOptions(info).some((u) => u.value === reading.unit)
        ? reading.unit
        : (info.units.find((u) => u.ucum === reading.ucum_unit)?.names[0] ?? reading.unit),
      context: reading.context ?? '',
      time: originalTime,
      notes: reading.notes ?? '',
    },
    check: (d): Checked<Parameters<typeof health.changeReading>[1]> => {
      const n = (t: string) => (t.trim() === '' ? NaN : Number(t));
      const problems: { field: string; problem: string }[] = [];
      const newValue = bp ? { systolic: n(d.systolic), diastolic: n(d.diastolic) } : n(d.value);
      if (typeof newValue === 'number' ? !Number.isFinite(newValue) : !Number.isFinite(newValue.systolic)) {
        problems.push({ field: bp ? 'value.systolic' : 'value', problem: 'Enter a number' });
      }
      if (typeof newValue === 'object' && !Number.isFinite(newValue.diastolic)) {
        problems.push({ field: 'value.diastolic', problem: 'Enter a number' });
      }
      const timestamp = d.time && d.time !== originalTime ? zonedIso(d.time, prefs.timezone) : undefined;
      if (d.time && d.time !== originalTime && !timestamp) {
        problems.push({ field: 'timestamp', problem: 'Enter a date and time' });
      }
      if (problems.length > 0) return { error: formProblems(problems) };
      return {
        body: {
          value: newValue,
          unit: d.unit,
          ...(timestamp ? { timestamp } : {}),
          ...(info.contexts ? { context: d.context || null } : {}),
          notes: d.notes.trim() || null,
        },
      };
    },
    send: async (body) => onSaved(await health.changeReading(reading.id!, body)),
  });

  return (
    <EditForm
      form={form}
      label={`Change the ${lower(info.name)} reading of ${fmt.dateTime(reading.timestamp)}`}
      error={error}
      fields={fields}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
      focusFirst="input, select"
    >
      <div>
        {bp ? (
          <div className="bp-row">
            <TextField
              form={form}
              name="value.systolic"
              label="Systolic (top number)"
              type="number"
              inputMode="decimal"
              step="any"
              value={draft.systolic}
              onChange={(e) => change({ systolic: e.target.value })}
              error={error?.fieldError('value.systolic')}
            />
            <TextField
              form={form}
              name="value.diastolic"
              label="Diastolic (bottom number)"
              type="number"
              inputMode="decimal"
              step="any"
              value={draft.diastolic}
              onChange={(e) => change({ diastolic: e.target.value })}
              error={error?.fieldError('value.diastolic')}
            />
          </div>
        ) : null}
        {bp ? (
          <UnitField form={form} info={info} value={draft.unit} onValue={(unit) => change({ unit })} />
        ) : (
          <MeasureField
            form={form}
            name="value"
            label={info.name}
            value={draft.value}
            unit={draft.unit}
            units={unitOptions(info)}
            onValue={(value) => change({ value })}
            onUnit={(unit) => change({ unit })}
            error={error?.fieldError('value') ?? error?.fieldError('unit')}
          />
        )}
      </div>
      {info.contexts ? (
        <ContextField
          form={form}
          contexts={info.contexts}
          value={draft.context}
          onValue={(context) => change({ context })}
          error={error?.fieldError('context')}
        />
      ) : null}
      <TextField
        form={form}
        name="timestamp"
        label="When measured"
        type="datetime-local"
        hint={<TimeZoneHint prefs={prefs} empty="" />}
        value={draft.time}
        onChange={(e) => change({ time: e.target.value })}
        error={error?.fieldError('timestamp')}
      />
      <TextAreaField
        form={form}
        name="notes"
        label="Notes (optional)"
        maxLength={2000}
        value={draft.notes}
        onChange={(e) => change({ notes: e.target.value })}
        error={error?.fieldError('notes')}
      />
    </EditForm>
  );
}
