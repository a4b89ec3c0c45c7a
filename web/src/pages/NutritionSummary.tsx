import { useEffect, useState } from 'react';
import {
  asApiError,
  ErrorSummary,
  formProblems,
  MeasureField,
  onSubmit,
  SelectField,
  Status,
  TextField,
  useSubmit,
} from '../components/Form';
import { ActionButton, ConfirmDelete } from '../components/ListParts';
import { isoInZone, todayIn, zonedIso, type Formatters, type Preferences } from '../format';
import { FIELD_LABELS } from '../labels';
import {
  ACTIVITY_LEVELS,
  nutrition,
  type Daily,
  type Range,
  type Targets,
  type Total,
  type WaterEntry,
  type WaterUnit,
  type Weekly,
} from '../nutrition';
import { Link } from '../router';
import { amountText } from './MealCard';

/** `YYYY-MM-DD` plus some days. */
const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

type Comparison = { words: string; tone: 'ok' | 'warn' };

/** How a day's total compares with a target range, in words (the colour only repeats them). */
function compare(total: Total | undefined, range: Range): Comparison | null {
  if (!total) return null;
  const v = total.value;
  if (range.min !== null && v < range.min)
    return { words: total.complete ? 'Below' : 'Below, as far as known', tone: 'warn' };
  if (range.max !== null && v > range.max) return { words: 'Above', tone: 'warn' };
  return {
    words:
      range.min !== null && range.max !== null
        ? 'Within'
        : range.max !== null
          ? 'Under the limit'
          : 'Reached',
    tone: 'ok',
  };
}

function rangeWords(range: Range, fmt: Formatters): string {
  const u = `\u00a0${range.unit}`;
  if (range.min !== null && range.max !== null)
    return `${fmt.figure(range.min)}–${fmt.figure(range.max)}${u}`;
  if (range.max !== null) return `under ${fmt.figure(range.max)}${u}`;
  if (range.min !== null) return `at least ${fmt.figure(range.min)}${u}`;
  return '–';
}

const TARGET_ROWS: { key: keyof Omit<Targets, 'energy' | 'method' | 'notes'>; name: string }[] = [
  { key: 'protein', name: 'Protein' },
  { key: 'fat', name: 'Fat' },
  { key: 'carbohydrate', name: 'Carbohydrate' },
  { key: 'fiber', name: 'Fibre' },
  { key: 'saturated_fat', name: 'Saturated fat' },
  { key: 'sodium', name: 'Sodium' },
];

/** What targets need from the profile, when it lacks it: said plainly, with where to add it. */
function MissingTargets({ missing }: { missing: string[] }) {
  return (
    <p className="notice" data-testid="targets-missing">
      No daily targets yet: they are worked out from your weight, height, age and sex. Your profile still
      needs {missing.map((m) => (FIELD_LABELS[m] ?? m).toLowerCase()).join(', ')}.{' '}
      <Link to="/profile">Add them to your profile</Link>.
    </p>
  );
}

/** How active the user says they are (kept in this browser): it sets the energy target. */
export function useActivityLevel(): [string, (level: string) => void] {
  const [level, setLevel] = useState(() => {
    try {
      return localStorage.getItem('pha.activity_level') ?? 'sedentary';
    } catch {
      return 'sedentary';
    }
  });
  const choose = (next: string) => {
    setLevel(next);
    try {
      localStorage.setItem('pha.activity_level', next);
    } catch {
      // Not kept: the default returns next time.
    }
  };
  return [level, choose];
}

// ---- one day ---------------------------------------------------------------------------------------

export function DaySummary({
  prefs,
  fmt,
  version,
  activity,
  onActivity,
  onWater,
}: {
  prefs: Preferences;
  fmt: Formatters;
  version: number;
  activity: string;
  onActivity(level: string): void;
  onWater(): void;
}) {
  const today = todayIn(prefs.timezone);
  const [date, setDate] = useState(today);
  const [daily, setDaily] = useState<Daily | null>(null);
  const [water, setWater] = useState<WaterEntry[] | null>(null);
  const [error, setError] = useState('');
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(date);

  useEffect(() => {
    if (!valid) return;
    let live = true;
    setError('');
    Promise.all([
      nutrition.daily({ date, timezone: prefs.timezone, activity_level: activity }),
      nutrition.water({ date, timezone: prefs.timezone }),
    ]).then(
      ([d, w]) => {
        if (!live) return;
        setDaily(d);
        setWater(w.items);
      },
      (err: unknown) => live && setError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, [date, activity, prefs.timezone, version, valid]);

  const t = daily?.targets ?? null;
  const energy = daily?.nutrients.energy;
  const energyPercent = t && energy ? Math.round((100 * energy.value) / t.energy.value) : null;

  return (
    <section className="card section" aria-labelledby="day-title" data-testid="day-summary">
      <h2 id="day-title">Your day{date === today ? ': today' : `: ${fmt.calendarDate(date)}`}</h2>
      <form className="filters" aria-label="Choose the day" onSubmit={(e) => e.preventDefault()}>
        <TextField
          form="day"
          name="date"
          label="Day"
          type="date"
          max={today}
          value={date}
          onChange={(e) => setDate(e.target.value)}
        />
        <SelectField
          form="day"
          name="activity_level"
          label="How active you are"
          hint="Sets the energy target."
          value={activity}
          onChange={(e) => onActivity(e.target.value)}
        >
          {ACTIVITY_LEVELS.map((a) => (
            <option key={a.value} value={a.value}>
              {a.label}
            </option>
          ))}
        </SelectField>
      </form>
      {error ? <p role="alert">{error}</p> : null}
      {!daily && !error ? <p>Loading the day…</p> : null}
      {daily ? (
        <>
          <p className="big-number" data-testid="day-energy">
            {amountText(energy, fmt)} <span>{t ? `of ${fmt.exact(t.energy.value)} kcal` : 'eaten'}</span>
          </p>
          {t && energyPercent !== null ? (
            <>
              <progress
                className="meter"
                max={100}
                value={Math.min(100, energyPercent)}
                aria-label="Energy eaten of the target"
              >
                {energyPercent} %
              </progress>
              <p>
                {energyPercent} % of your energy target:{' '}
                {energy!.value <= t.energy.value
                  ? `${fmt.exact(Math.round(t.energy.value - energy!.value))} kcal left`
                  : `${fmt.exact(Math.round(energy!.value - t.energy.value))} kcal over`}
                .
              </p>
            </>
          ) : null}
          <p className="hint">
            {daily.meals} {daily.meals === 1 ? 'meal' : 'meals'}
            {daily.unresolved_items > 0
              ? `; ${daily.unresolved_items} ${daily.unresolved_items === 1 ? 'part' : 'parts'} of them not matched yet, and not counted`
              : ''}
            .
          </p>
          {t ? (
            <TargetTable daily={daily} targets={t} fmt={fmt} />
          ) : (
            <MissingTargets missing={daily.targets_missing} />
          )}
        </>
      ) : null}
      <WaterLog
        date={valid ? date : today}
        today={today}
        prefs={prefs}
        fmt={fmt}
        entries={water}
        total={daily?.water.value ?? null}
        onChanged={onWater}
      />
    </section>
  );
}

function TargetTable({ daily, targets, fmt }: { daily: Daily; targets: Targets; fmt: Formatters }) {
  return (
    <>
      <div className="table-scroll" role="region" aria-label="The day against your targets" tabIndex={0}>
        <table className="figures targets" data-testid="targets">
          <caption className="visually-hidden">The day’s totals against your daily targets</caption>
          <thead>
            <tr>
              <th scope="col">Nutrient</th>
              <th scope="col">Eaten</th>
              <th scope="col">Daily target</th>
              <th scope="col">Compared</th>
            </tr>
          </thead>
          <tbody>
            {TARGET_ROWS.map((row) => {
              const total = daily.nutrients[row.key];
              const range = targets[row.key];
              const c = compare(total, range);
              return (
                <tr key={row.key} data-nutrient={row.key}>
                  <th scope="row">{row.name}</th>
                  <td>{amountText(total, fmt)}</td>
                  <td>{rangeWords(range, fmt)}</td>
                  <td>
                    {c ? (
                      <span className={`tag tag--${c.tone === 'ok' ? 'on_track' : 'off_track'}`}>
                        {c.words}
                      </span>
                    ) : (
                      '–'
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="hint citation">
        Your energy target is {fmt.exact(Math.round(targets.energy.resting))} kcal at rest ×{' '}
        {targets.energy.activity_factor} for how active you are. {targets.method}
      </p>
      {targets.notes.map((note) => (
        <p key={note} className="hint">
          {note}
        </p>
      ))}
    </>
  );
}

// ---- water -----------------------------------------------------------------------------------------

const WATER_UNITS: { value: WaterUnit; label: string }[] = [
  { value: 'mL', label: 'mL' },
  { value: 'L', label: 'L' },
  { value: 'cup', label: 'cups (US, 237 mL)' },
  { value: '[foz_us]', label: 'fl oz (US)' },
];

function WaterLog({
  date,
  today,
  prefs,
  fmt,
  entries,
  total,
  onChanged,
}: {
  date: string;
  today: string;
  prefs: Preferences;
  fmt: Formatters;
  entries: WaterEntry[] | null;
  total: number | null;
  onChanged(): void;
}) {
  const [amount, setAmount] = useState('');
  const [unit, setUnit] = useState<WaterUnit>(prefs.unitSystem === 'imperial' ? '[foz_us]' : 'mL');
  const { busy, error, setError, run } = useSubmit();
  const [status, setStatus] = useState('');
  const [removing, setRemoving] = useState<string | null>(null);

  const submit = onSubmit(async () => {
    setStatus('');
    const value = Number(amount);
    if (amount.trim() === '' || !(value > 0)) {
      setError(formProblems([{ field: 'amount', problem: 'Enter how much you drank, as a number above 0' }]));
      return;
    }
    await run(async () => {
      // Today's water is logged now; another day's at its noon, so that it counts on that day.
      const loggedAt =
        date === today ? isoInZone(Date.now(), prefs.timezone) : zonedIso(`${date}T12:00`, prefs.timezone);
      const entry = await nutrition.addWater({
        amount: { value, unit },
        ...(loggedAt ? { logged_at: loggedAt } : {}),
      });
      setAmount('');
      setStatus(`Added ${fmt.figure(entry.amount.value)} mL of water.`);
      onChanged();
    });
  });

  return (
    <div className="water" aria-labelledby="water-title">
      <h3 id="water-title">Water</h3>
      <p data-testid="water-total">
        {total === null ? 'Loading…' : `${fmt.exact(total)} mL ${date === today ? 'today' : 'that day'}.`}
      </p>
      <form className="form" noValidate onSubmit={submit} aria-busy={busy} aria-label="Log water">
        <ErrorSummary form="water" error={error} fields={{ amount: 'Water' }} />
        <MeasureField
          form="water"
          name="amount"
          label="Water you drank"
          hint={date === today ? 'Logged now.' : 'Logged at noon of the day shown.'}
          value={amount}
          unit={unit}
          units={WATER_UNITS}
          onValue={setAmount}
          onUnit={(u) => setUnit(u as WaterUnit)}
          error={error?.fieldError('amount')}
        />
        <div className="actions">
          <button type="submit" className="button button--secondary" disabled={busy}>
            {busy ? 'Adding…' : 'Add water'}
          </button>
        </div>
        <Status>{status}</Status>
      </form>
      {entries && entries.length > 0 ? (
        <ul className="water-list" aria-label="Water logged that day">
          {entries.map((w) => {
            const about = `${fmt.figure(w.amount.value)} mL at ${fmt.custom({ hour: 'numeric', minute: '2-digit' }).format(new Date(w.logged_at))}`;
            return (
              <li key={w.id}>
                {removing === w.id ? (
                  <ConfirmDelete
                    form={`water-${w.id}`}
                    question={`Delete ${about}?`}
                    onDelete={async () => {
                      await nutrition.deleteWater(w.id);
                      setRemoving(null);
                      setStatus('Water entry deleted.');
                      onChanged();
                    }}
                    onCancel={() => setRemoving(null)}
                  />
                ) : (
                  <>
                    <span>{about}</span>{' '}
                    <ActionButton label="Delete" about={about} danger onClick={() => setRemoving(w.id)} />
                  </>
                )}
              </li>
            );
          })}
        </ul>
      ) : null}
    </div>
  );
}

// ---- one week --------------------------------------------------------------------------------------

const WEEK_NUTRIENTS = [
  { key: 'energy', name: 'Energy' },
  { key: 'protein', name: 'Protein' },
  { key: 'fat', name: 'Fat' },
  { key: 'carbohydrate', name: 'Carbohydrate' },
];

export function WeekView({
  prefs,
  fmt,
  version,
  activity,
}: {
  prefs: Preferences;
  fmt: Formatters;
  version: number;
  activity: string;
}) {
  const [weekStart, setWeekStart] = useState<string | undefined>(undefined);
  const [week, setWeek] = useState<Weekly | null>(null);
  const [error, setError] = useState('');
  const today = todayIn(prefs.timezone);

  useEffect(() => {
    let live = true;
    setError('');
    nutrition.weekly({ week_start: weekStart, timezone: prefs.timezone, activity_level: activity }).then(
      (w) => live && setWeek(w),
      (err: unknown) => live && setError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, [weekStart, prefs.timezone, activity, version]);

  const weekday = fmt.custom({ weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
  const day = (d: string) => weekday.format(new Date(`${d}T00:00:00Z`));
  const current = week && week.week_start <= today && today <= week.week_end;
  const avg = week?.average_per_logged_day ?? null;

  return (
    <section className="card section" aria-labelledby="week-title" data-testid="week">
      <h2 id="week-title">
        Your week{week ? `: ${fmt.calendarDate(week.week_start)} to ${fmt.calendarDate(week.week_end)}` : ''}
      </h2>
      <div className="actions week-nav">
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={!week}
          onClick={() => week && setWeekStart(addDays(week.week_start, -7))}
        >
          Previous week
        </button>
        <button
          type="button"
          className="button button--secondary button--small"
          disabled={!week || !!current}
          onClick={() => week && setWeekStart(addDays(week.week_start, 7))}
        >
          Next week
        </button>
      </div>
      {error ? <p role="alert">{error}</p> : null}
      {!week && !error ? <p>Loading the week…</p> : null}
      {week ? (
        <>
          <p role="status">
            {week.days_logged === 0
              ? 'No meals logged this week.'
              : `Meals logged on ${week.days_logged} of 7 days; the average is over those days.`}
          </p>
          <div className="table-scroll" role="region" aria-label="The week, day by day" tabIndex={0}>
            <table className="figures week-table">
              <caption className="visually-hidden">Each day of the week: meals, nutrients and water</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Meals</th>
                  {WEEK_NUTRIENTS.map((n) => (
                    <th scope="col" key={n.key}>
                      {n.name}
                    </th>
                  ))}
                  <th scope="col">Water</th>
                </tr>
              </thead>
              <tbody>
                {week.days.map((d) => (
                  <tr key={d.date} className={d.logged ? '' : 'not-logged'}>
                    <th scope="row">{day(d.date)}</th>
                    {d.logged ? (
                      <>
                        <td>{d.meals}</td>
                        {WEEK_NUTRIENTS.map((n) => (
                          <td key={n.key}>{amountText(d.nutrients[n.key], fmt)}</td>
                        ))}
                      </>
                    ) : (
                      <td colSpan={1 + WEEK_NUTRIENTS.length}>not logged</td>
                    )}
                    <td>{d.water.value > 0 ? `${fmt.exact(d.water.value)}\u00a0mL` : '–'}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                {avg ? (
                  <tr>
                    <th scope="row">Average per logged day</th>
                    <td>{fmt.figure(avg.meals)}</td>
                    {WEEK_NUTRIENTS.map((n) => (
                      <td key={n.key}>{amountText(avg.nutrients[n.key], fmt)}</td>
                    ))}
                    <td>{avg.water.over_days > 0 ? `${fmt.exact(avg.water.value)}\u00a0mL` : '–'}</td>
                  </tr>
                ) : null}
                {week.targets ? (
                  <tr>
                    <th scope="row">Daily target</th>
                    <td>–</td>
                    <td>{fmt.exact(week.targets.energy.value)}&nbsp;kcal</td>
                    <td>{rangeWords(week.targets.protein, fmt)}</td>
                    <td>{rangeWords(week.targets.fat, fmt)}</td>
                    <td>{rangeWords(week.targets.carbohydrate, fmt)}</td>
                    <td>–</td>
                  </tr>
                ) : null}
              </tfoot>
            </table>
          </div>
          {!week.targets ? <MissingTargets missing={week.targets_missing} /> : null}
        </>
      ) : null}
    </section>
  );
}
