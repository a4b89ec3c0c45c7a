import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import {
  asApiError,
  type Checked,
  EditForm,
  ErrorSummary,
  formProblems,
  onSubmit,
  SelectField,
  Status,
  TextField,
  useDraftForm,
} from '../components/Form';
import { ActionButton, ConfirmDelete, ItemActions, useItemMode } from '../components/ListParts';
import { localInputValue, zonedIso, type Formatters, type Preferences } from '../format';
import {
  MEAL_TYPES,
  NUTRIENT_NAMES,
  nutrition,
  type Amount,
  type Correction,
  type Food,
  type Meal,
  type MealItem,
  type MealType,
  type Total,
} from '../nutrition';

export const MEAL_TYPE_NAMES: Record<MealType, string> = {
  breakfast: 'Breakfast',
  lunch: 'Lunch',
  dinner: 'Dinner',
  snack: 'Snack',
};

/** Breakfast, lunch, dinner or snack, or not said. */
export function MealTypeField({
  form,
  label,
  hint,
  value,
  onValue,
  error,
}: {
  form: string;
  label: string;
  hint?: string;
  value: string;
  onValue(value: string): void;
  error?: string | undefined;
}) {
  return (
    <SelectField
      form={form}
      name="meal_type"
      label={label}
      hint={hint}
      value={value}
      onChange={(e) => onValue(e.target.value)}
      error={error}
    >
      <option value="">Not said</option>
      {MEAL_TYPES.map((t) => (
        <option key={t} value={t}>
          {MEAL_TYPE_NAMES[t]}
        </option>
      ))}
    </SelectField>
  );
}

/** "143 kcal", "12.6 g"; a total that misses some food's value is "at least". */
export function amountText(amount: Amount | Total | undefined, fmt: Formatters): string {
  if (!amount || amount.value === null) return 'not known';
  const figure =
    amount.unit === 'kcal' || amount.unit === 'kJ'
      ? fmt.exact(Math.round(amount.value))
      : fmt.figure(amount.value);
  const floor = 'complete' in amount && !amount.complete ? 'at least ' : '';
  return `${floor}${figure}\u00a0${amount.unit}`;
}

/** The few nutrients shown for each food; the meal's table has them all. */
const ITEM_NUTRIENTS = ['energy', 'protein', 'fat', 'carbohydrate'];

export function MealCard({
  meal,
  prefs,
  fmt,
  onChanged,
  onDeleted,
}: {
  meal: Meal;
  prefs: Preferences;
  fmt: Formatters;
  onChanged(meal: Meal): void;
  onDeleted(): void;
}) {
  const modes = useItemMode();
  const [status, setStatus] = useState('');
  const when = fmt.dateTime(meal.eaten_at);
  const about = `${meal.name} of ${when}`;
  const change = async (corrections: Correction[], done: string) => {
    onChanged(await nutrition.changeMeal(meal.id, { corrections }));
    setStatus(done);
  };

  return (
    <li className="card entry meal" data-testid="meal">
      <h3 id={`meal-${meal.id}`} tabIndex={-1} className="entry__title">
        {meal.name}
      </h3>
      <p className="entry__meta">
        {meal.meal_type ? <span className="tag">{MEAL_TYPE_NAMES[meal.meal_type]}</span> : null} {when}
      </p>
      <p className="meal__description">“{meal.description}”</p>
      <p className="meal__energy" data-testid="meal-energy">
        {amountText(meal.nutrients.energy, fmt)}
        {meal.unresolved.length > 0 ? (
          <span className="hint">
            {' '}
            without {meal.unresolved.length} {meal.unresolved.length === 1 ? 'part' : 'parts'} not matched yet
          </span>
        ) : null}
      </p>

      <h4 id={`meal-${meal.id}-foods`}>Foods</h4>
      <ul className="meal-items" aria-labelledby={`meal-${meal.id}-foods`}>
        {meal.items.map((item) => (
          <FoodItem key={item.id} item={item} meal={meal} fmt={fmt} onChange={change} />
        ))}
      </ul>

      <details className="meal__nutrients">
        <summary>All nutrients of this meal</summary>
        <NutrientTable totals={meal.nutrients} fmt={fmt} caption={`Nutrients of ${meal.name}`} />
        <p className="hint citation">Source: {meal.source}.</p>
      </details>
      <Status>{status}</Status>

      <ItemActions
        modes={modes}
        about={about}
        form={`delete-${meal.id}`}
        question={`Delete “${meal.name}” of ${when}?`}
        onDelete={() => nutrition.deleteMeal(meal.id)}
        onDeleted={onDeleted}
        onChanged={(m: Meal) => {
          onChanged(m);
          setStatus('Meal saved.');
        }}
        editor={(edit) => <EditMeal meal={meal} prefs={prefs} onSaved={edit.saved} onCancel={edit.cancel} />}
      />
    </li>
  );
}

function FoodItem({
  item,
  meal,
  fmt,
  onChange,
}: {
  item: MealItem;
  meal: Meal;
  fmt: Formatters;
  onChange(corrections: Correction[], done: string): Promise<void>;
}) {
  const [mode, setMode] = useState<'view' | 'choose' | 'remove'>('view');
  const button = useRef<HTMLButtonElement>(null);
  const back = () => {
    setMode('view');
    setTimeout(() => button.current?.focus());
  };
  const matched = item.status === 'matched' && item.food;
  return (
    <li className={`meal-item meal-item--${item.status}`} data-testid="meal-item" data-status={item.status}>
      <p className="meal-item__text">
        <strong>{item.text}</strong>
        {item.food ? <> → {item.food.description}</> : null}
      </p>
      {matched ? (
        <>
          <p className="meal-item__portion">
            {fmt.figure(item.grams ?? 0)}&nbsp;g
            {item.portion ? <span className="hint"> ({item.portion.note})</span> : null}
            {item.match?.corrected ? <span className="tag">corrected</span> : null}
          </p>
          <p className="meal-item__nutrients">
            {ITEM_NUTRIENTS.map((key) => {
              const name = NUTRIENT_NAMES.find((n) => n.key === key)?.name ?? key;
              return (
                <span key={key} className="nutrient">
                  {name} {amountText(item.nutrients?.[key], fmt)}
                </span>
              );
            })}
          </p>
        </>
      ) : (
        <p className="meal-item__problem">
          <span className="tag tag--off_track">
            {item.status === 'unmatched' ? 'Not matched' : 'No amount'}
          </span>{' '}
          {item.problem}
        </p>
      )}
      {mode === 'choose' ? (
        <ChooseFood
          item={item}
          onCancel={back}
          onChosen={async (ndb, grams) => {
            await onChange(
              [{ item_id: item.id, ndb_no: ndb, ...(grams !== undefined ? { grams } : {}) }],
              `“${item.text}” corrected.`,
            );
            back();
          }}
        />
      ) : mode === 'remove' ? (
        <ConfirmDelete
          form={`remove-${item.id}`}
          question={`Remove “${item.text}” from ${meal.name}?`}
          onDelete={async () => {
            await onChange([{ item_id: item.id, remove: true }], `“${item.text}” removed from ${meal.name}.`);
          }}
          onCancel={back}
        />
      ) : (
        <div className="entry__actions">
          <ActionButton
            label={matched ? 'Change food' : 'Choose food'}
            about={`for “${item.text}” in ${meal.name}`}
            buttonRef={button}
            onClick={() => setMode('choose')}
          />
          <ActionButton
            label="Remove"
            about={`“${item.text}” from ${meal.name}`}
            danger
            onClick={() => setMode('remove')}
          />
        </div>
      )}
    </li>
  );
}

/**
 * Food search for one item: the server's other candidates first, then what a search finds, each with its
 * energy per 100 g; and the grams, which the server otherwise works out from the amount as written.
 */
function ChooseFood({
  item,
  onChosen,
  onCancel,
}: {
  item: MealItem;
  onChosen(ndb: string, grams: number | undefined): Promise<void>;
  onCancel(): void;
}) {
  const form = `food-${item.id}`;
  const [q, setQ] = useState(item.food?.description.split(',')[0] ?? item.text);
  const [found, setFound] = useState<Food[] | null>(null);
  const [chosen, setChosen] = useState(item.food?.ndb_no ?? '');
  const [grams, setGrams] = useState(item.grams === null ? '' : String(item.grams));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [searching, setSearching] = useState(false);
  const [status, setStatus] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.querySelector<HTMLElement>('input')?.focus(), []);

  async function search() {
    if (!q.trim()) return;
    setSearching(true);
    setError(null);
    try {
      const answer = await nutrition.foods(q.trim());
      setFound(answer.items.map((i) => i.food));
      setStatus(
        answer.items.length === 0 ? `No food matches “${q.trim()}”.` : `${answer.items.length} foods found.`,
      );
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setSearching(false);
    }
  }

  const save = onSubmit(async () => {
    setError(null);
    const problems: { field: string; problem: string }[] = [];
    if (!chosen) problems.push({ field: 'ndb_no', problem: 'Choose a food from the list' });
    const g = grams.trim() === '' ? undefined : Number(grams);
    if (g !== undefined && !(g > 0 && g <= 5000)) {
      problems.push({ field: 'grams', problem: 'Enter the grams as a number above 0 and up to 5000' });
    }
    if (problems.length > 0) {
      setError(formProblems(problems));
      return;
    }
    setBusy(true);
    try {
      await onChosen(chosen, g);
    } catch (err) {
      const apiError = asApiError(err);
      // The server names the correction's fields as corrections.0.ndb_no; the form's are plain.
      setError(
        new ApiError(
          apiError.status,
          apiError.code,
          apiError.message,
          apiError.fieldErrors.map((e) => ({
            field: e.field.replace(/^corrections\.\d+\./, ''),
            problem: e.message,
          })),
        ),
      );
      setBusy(false);
    }
  });

  const options: { ndb_no: string; description: string; note?: string }[] = [
    ...(item.food ? [{ ...item.food, note: 'matched now' }] : []),
    ...item.alternatives.map((a) => ({ ...a, note: 'another close match' })),
    ...(found ?? [])
      .filter((f) => f.ndb_no !== item.food?.ndb_no && !item.alternatives.some((a) => a.ndb_no === f.ndb_no))
      .map((f) => ({
        ndb_no: f.ndb_no,
        description: f.description,
        note:
          f.per_100g.energy?.value != null
            ? `${Math.round(f.per_100g.energy.value)} kcal per 100 g`
            : undefined,
      })),
  ];

  return (
    <div className="choose-food" ref={box}>
      <form
        className="form edit-form"
        noValidate
        onSubmit={save}
        aria-busy={busy}
        aria-label={`Choose the food for “${item.text}”`}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      >
        <ErrorSummary form={form} error={error} fields={{ q: 'Search', ndb_no: 'Food', grams: 'Grams' }} />
        <div className="search-row">
          <TextField
            form={form}
            name="q"
            label="Search the USDA foods"
            type="search"
            autoComplete="off"
            maxLength={100}
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              // Enter searches rather than saving the correction.
              if (e.key === 'Enter') {
                e.preventDefault();
                void search();
              }
            }}
          />
          <button
            type="button"
            className="button button--secondary"
            disabled={searching}
            onClick={() => void search()}
          >
            {searching ? 'Searching…' : 'Search'}
          </button>
        </div>
        <p className="list-status" role="status">
          {status}
        </p>
        {options.length > 0 ? (
          <fieldset className={`field${error?.fieldError('ndb_no') ? ' field--invalid' : ''}`}>
            <legend>Food</legend>
            {error?.fieldError('ndb_no') ? (
              <p id={`${form}-ndb_no-error`} className="field-error">
                <span className="visually-hidden">Error: </span>
                {error.fieldError('ndb_no')}
              </p>
            ) : null}
            {options.map((o, i) => (
              <div className="radio" key={o.ndb_no}>
                <input
                  type="radio"
                  id={i === 0 ? `${form}-ndb_no` : `${form}-ndb_no-${o.ndb_no}`}
                  name={`${form}-ndb_no`}
                  value={o.ndb_no}
                  checked={chosen === o.ndb_no}
                  onChange={() => setChosen(o.ndb_no)}
                />
                <label htmlFor={i === 0 ? `${form}-ndb_no` : `${form}-ndb_no-${o.ndb_no}`}>
                  {o.description}
                  {o.note ? <span className="hint"> ({o.note})</span> : null}
                </label>
              </div>
            ))}
          </fieldset>
        ) : (
          <p className="hint">Search for the food, then choose it from the list.</p>
        )}
        <TextField
          form={form}
          name="grams"
          label="Grams (optional)"
          hint="Leave empty to keep the amount as you wrote it: the server works out the grams where it can."
          type="number"
          inputMode="decimal"
          min="0"
          step="any"
          value={grams}
          onChange={(e) => setGrams(e.target.value)}
          error={error?.fieldError('grams')}
        />
        <div className="actions">
          <button type="submit" className="button button--small" disabled={busy}>
            {busy ? 'Saving…' : 'Use this food'}
          </button>
          <button type="button" className="button button--secondary button--small" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

/** Every nutrient the server gives, with its unit; "at least" where a food had no value for it. */
export function NutrientTable({
  totals,
  fmt,
  caption,
  targets,
}: {
  totals: Record<string, Total>;
  fmt: Formatters;
  caption: string;
  targets?: Record<string, string>;
}) {
  return (
    <div className="table-scroll" role="region" aria-label={caption} tabIndex={0}>
      <table className="figures nutrients">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Nutrient</th>
            <th scope="col">Amount</th>
            {targets ? <th scope="col">Daily target</th> : null}
          </tr>
        </thead>
        <tbody>
          {NUTRIENT_NAMES.filter((n) => totals[n.key]).map((n) => (
            <tr key={n.key} data-nutrient={n.key}>
              <th scope="row">{n.name}</th>
              <td>{amountText(totals[n.key], fmt)}</td>
              {targets ? <td>{targets[n.key] ?? '–'}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EditMeal({
  meal,
  prefs,
  onSaved,
  onCancel,
}: {
  meal: Meal;
  prefs: Preferences;
  onSaved(m: Meal): void;
  onCancel(): void;
}) {
  const form = `edit-${meal.id}`;
  const originalTime = localInputValue(meal.eaten_at, prefs.timezone);
  const { draft, change, busy, error, submit } = useDraftForm({
    initial: { name: meal.name, type: meal.meal_type ?? '', time: originalTime },
    check: (d): Checked<Parameters<typeof nutrition.changeMeal>[1]> => {
      const eatenAt = d.time !== originalTime ? zonedIso(d.time, prefs.timezone) : undefined;
      const problems = [
        ...(!d.name.trim() ? [{ field: 'name', problem: 'Give the meal a name' }] : []),
        ...(eatenAt === null ? [{ field: 'eaten_at', problem: 'Enter a date and time' }] : []),
      ];
      if (problems.length > 0) return { error: formProblems(problems) };
      return {
        body: {
          name: d.name.trim(),
          meal_type: (d.type || null) as MealType | null,
          ...(eatenAt ? { eaten_at: eatenAt } : {}),
        },
      };
    },
    send: async (body) => onSaved(await nutrition.changeMeal(meal.id, body)),
  });

  return (
    <EditForm
      form={form}
      label={`Change “${meal.name}”`}
      error={error}
      fields={{ name: 'Name', meal_type: 'Meal', eaten_at: 'When' }}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <TextField
        form={form}
        name="name"
        label="Name"
        maxLength={200}
        value={draft.name}
        onChange={(e) => change({ name: e.target.value })}
        error={error?.fieldError('name')}
      />
      <MealTypeField
        form={form}
        label="Meal"
        value={draft.type}
        onValue={(type) => change({ type })}
        error={error?.fieldError('meal_type')}
      />
      <TextField
        form={form}
        name="eaten_at"
        label="When"
        type="datetime-local"
        value={draft.time}
        onChange={(e) => change({ time: e.target.value })}
        error={error?.fieldError('eaten_at')}
      />
    </EditForm>
  );
}
