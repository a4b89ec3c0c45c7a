import type { ApiError } from '../api';
import {
  CardForm,
  type Checked,
  EditForm,
  fieldId,
  formProblems,
  MeasureField,
  SelectField,
  TextAreaField,
  TextField,
  useAddForm,
  useDraftForm,
} from '../components/Form';
import { defaultUnit, unitOptions, lower } from '../components/Health';
import { EntryList, ItemActions, useItemMode, usePagedList } from '../components/ListParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { todayIn, type Formatters, type Preferences } from '../format';
import { health, type Catalog, type Goal, type GoalDirection, type MetricInfo } from '../health';
import { Link } from '../router';
import { useSetup } from '../setup';

const DIRECTIONS: { value: GoalDirection; label: string; hint: string }[] = [
  { value: 'decrease', label: 'Bring it down', hint: 'to the target or below' },
  { value: 'increase', label: 'Bring it up', hint: 'to the target or above' },
  { value: 'maintain', label: 'Keep it steady', hint: 'within a band around the target' },
];

const STATUS_TEXT: Record<string, string> = {
  no_data: 'No reading yet',
  in_progress: 'In progress',
  achieved: 'Achieved',
  missed: 'Deadline passed',
  on_track: 'On track',
  off_track: 'Off track',
};

const FIELDS = {
  metric_type: 'Measurement',
  direction: 'Aim',
  target_value: 'Target',
  unit: 'Unit',
  tolerance: 'Allowed distance from the target',
  baseline_value: 'Starting value',
  deadline: 'Deadline',
  title: 'Name',
  notes: 'Notes',
};

interface Draft {
  metric_type: string;
  direction: GoalDirection;
  target: string;
  unit: string;
  tolerance: string;
  baseline: string;
  deadline: string;
  title: string;
  notes: string;
}

/** Goals need one number per reading: blood pressure (two) has none. */
const goalMetrics = (catalog: Catalog) => catalog.items.filter((m) => m.kind === 'scalar');

function bodyOf(draft: Draft, original?: Goal): Checked<Record<string, unknown>> {
  const problems: { field: string; problem: string }[] = [];
  const num = (text: string) => (text.trim() === '' ? null : Number(text));
  const target = num(draft.target);
  if (target === null || !Number.isFinite(target)) {
    problems.push({ field: 'target_value', problem: 'Enter the target as a number' });
  }
  const tolerance = draft.direction === 'maintain' ? num(draft.tolerance) : null;
  if (
    draft.direction === 'maintain' &&
    (tolerance === null || !Number.isFinite(tolerance) || tolerance <= 0)
  ) {
    problems.push({
      field: 'tolerance',
      problem: 'Enter how far from the target still counts as on track, such as 1',
    });
  }
  const baseline = draft.direction === 'maintain' ? null : num(draft.baseline);
  if (baseline !== null && !Number.isFinite(baseline)) {
    problems.push({
      field: 'baseline_value',
      problem: 'Enter the starting value as a number, or leave it empty',
    });
  }
  if (!draft.deadline) problems.push({ field: 'deadline', problem: 'Choose the date to reach it by' });
  if (problems.length > 0) return { error: formProblems(problems) };
  const body: Record<string, unknown> = {
    direction: draft.direction,
    target_value: target,
    unit: draft.unit,
    title: draft.title.trim() || null,
    notes: draft.notes.trim() || null,
  };
  if (!original || draft.deadline !== original.deadline) body.deadline = draft.deadline;
  if (draft.direction === 'maintain') body.tolerance = tolerance;
  else if (original) body.tolerance = null;
  if (baseline !== null) body.baseline_value = baseline;
  else if (original && original.baseline_value !== null) body.baseline_value = null;
  if (!original) body.metric_type = draft.metric_type;
  return { body };
}

function GoalFields({
  form,
  draft,
  change,
  error,
  info,
  catalog,
  prefs,
  today,
  fixedMetric,
}: {
  form: string;
  draft: Draft;
  change(patch: Partial<Draft>): void;
  error: ApiError | null;
  info: MetricInfo;
  catalog: Catalog;
  prefs: Preferences;
  today: string;
  fixedMetric: boolean;
}) {
  return (
    <>
      {fixedMetric ? null : (
        <SelectField
          form={form}
          name="metric_type"
          label="Measurement"
          hint="Goals follow one number per reading, so blood pressure has none: track its readings instead."
          value={draft.metric_type}
          onChange={(e) => {
            const next = catalog.byType.get(e.target.value);
            if (next) {
              change({
                metric_type: next.metric_type,
                unit: defaultUnit(next, prefs),
                target: '',
                baseline: '',
                tolerance: '',
              });
            }
          }}
          error={error?.fieldError('metric_type')}
        >
          {goalMetrics(catalog).map((m) => (
            <option key={m.metric_type} value={m.metric_type}>
              {m.name}
            </option>
          ))}
        </SelectField>
      )}
      <fieldset
        className="field"
        aria-describedby={error?.fieldError('direction') ? `${fieldId(form, 'direction')}-error` : undefined}
      >
        <legend>Aim</legend>
        {error?.fieldError('direction') ? (
          <p id={`${fieldId(form, 'direction')}-error`} className="field-error">
            <span className="visually-hidden">Error: </span>
            {error.fieldError('direction')}
          </p>
        ) : null}
        <div className="radios">
          {DIRECTIONS.map((d, i) => (
            <div className="radio" key={d.value}>
              <input
                type="radio"
                id={i === 0 ? fieldId(form, 'direction') : `${fieldId(form, 'direction')}-${d.value}`}
                name={`${form}-direction`}
                value={d.value}
                checked={draft.direction === d.value}
                onChange={() => change({ direction: d.value })}
              />
              <label
                htmlFor={i === 0 ? fieldId(form, 'direction') : `${fieldId(form, 'direction')}-${d.value}`}
              >
                {d.label} <span className="hint-inline">{d.hint}</span>
              </label>
            </div>
          ))}
        </div>
      </fieldset>
      <MeasureField
        form={form}
        name="target_value"
        label="Target"
        value={draft.target}
        unit={draft.unit}
        units={unitOptions(info)}
        onValue={(target) => change({ target })}
        onUnit={(unit) => change({ unit })}
        error={error?.fieldError('target_value') ?? error?.fieldError('unit')}
      />
      {draft.direction === 'maintain' ? (
        <TextField
          form={form}
          name="tolerance"
          label={`Allowed distance from the target, in ${draft.unit}`}
          hint="Within this much of the target, above or below, counts as on track."
          type="number"
          inputMode="decimal"
          min="0"
          step="any"
          value={draft.tolerance}
          onChange={(e) => change({ tolerance: e.target.value })}
          error={error?.fieldError('tolerance')}
        />
      ) : (
        <TextField
          form={form}
          name="baseline_value"
          label={`Starting value, in ${draft.unit} (optional)`}
          hint="Where you start from, to measure progress. Leave it empty to start from your latest reading."
          type="number"
          inputMode="decimal"
          min="0"
          step="any"
          value={draft.baseline}
          onChange={(e) => change({ baseline: e.target.value })}
          error={error?.fieldError('baseline_value')}
        />
      )}
      <TextField
        form={form}
        name="deadline"
        label="Reach it by"
        type="date"
        min={today}
        value={draft.deadline}
        onChange={(e) => change({ deadline: e.target.value })}
        error={error?.fieldError('deadline')}
      />
      <TextField
        form={form}
        name="title"
        label="Name (optional)"
        hint="Such as “Ready for the summer walk”."
        maxLength={200}
        value={draft.title}
        onChange={(e) => change({ title: e.target.value })}
        error={error?.fieldError('title')}
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
    </>
  );
}

export function Goals() {
  const setup = useSetup();
  return (
    <Page
      title="Goals"
      intro="Set a target for a measurement and a date to reach it by. Progress comes from your latest reading."
    >
      <SetupGate setup={setup}>
        {({ catalog, prefs, fmt }) => <GoalsBody catalog={catalog} prefs={prefs} fmt={fmt} />}
      </SetupGate>
    </Page>
  );
}

function GoalsBody({ catalog, prefs, fmt }: { catalog: Catalog; prefs: Preferences; fmt: Formatters }) {
  const first = catalog.byType.get('weight') ?? goalMetrics(catalog)[0]!;
  const fresh = (info: MetricInfo): Draft => ({
    metric_type: info.metric_type,
    direction: 'decrease',
    target: '',
    unit: defaultUnit(info, prefs),
    tolerance: '',
    baseline: '',
    deadline: '',
    title: '',
    notes: '',
  });
  const list = usePagedList<Goal>(
    (cursor) => health.goals(cursor),
    (g) => `goal-${g.id}`,
    (count) => `Showing ${count} goals.`,
  );
  const today = todayIn(prefs.timezone);
  const { draft, setDraft, change, busy, error, submit, saved } = useAddForm({
    initial: () => fresh(first),
    check: (d: Draft) => bodyOf(d),
    send: async (body) => {
      const goal = await health.addGoal(body);
      list.focusAfterRender(`goal-${goal.id}`);
      list.setItems((items) => [goal, ...(items ?? [])]);
      setDraft(fresh(catalog.byType.get(goal.metric_type) ?? first));
      return 'Goal saved: it is first in your list of goals.';
    },
  });
  const info = catalog.byType.get(draft.metric_type) ?? first;

  return (
    <>
      <EntryList
        list={list}
        titleId="goals-title"
        title="Your goals"
        loading="Loading your goals…"
        empty={<p>No goals yet. Set your first one below.</p>}
        moreLabel="Show more goals"
        renderItem={(g) => (
          <GoalItem
            key={g.id}
            goal={g}
            catalog={catalog}
            prefs={prefs}
            fmt={fmt}
            today={today}
            onChanged={(updated) => list.changed(updated, 'Goal saved.')}
            onDeleted={() => list.deleted(g, 'Goal deleted.')}
          />
        )}
      />

      <CardForm
        form="goal"
        title="Set a goal"
        error={error}
        fields={FIELDS}
        busy={busy}
        onSubmit={submit}
        submitLabel="Save goal"
        status={saved}
      >
        <GoalFields
          form="goal"
          draft={draft}
          change={change}
          error={error}
          info={info}
          catalog={catalog}
          prefs={prefs}
          today={today}
          fixedMetric={false}
        />
      </CardForm>
    </>
  );
}

function goalTitle(goal: Goal, catalog: Catalog, fmt: Formatters): string {
  const name = catalog.byType.get(goal.metric_type)?.name ?? goal.metric_type;
  const target = `${fmt.exact(goal.target_value)} ${goal.unit}`;
  if (goal.direction === 'maintain')
    return `${name}: keep within ${fmt.exact(goal.tolerance ?? 0)} ${goal.unit} of ${target}`;
  return `${name}: ${goal.direction === 'decrease' ? 'down' : 'up'} to ${target}`;
}

function progressText(goal: Goal, fmt: Formatters): string {
  const p = goal.progress;
  const unit = goal.unit;
  const now = p.current_value === null ? null : `${fmt.figure(p.current_value)} ${unit}`;
  if (p.status === 'no_data') return 'No reading yet: log one to see your progress.';
  if (goal.direction === 'maintain') {
    if (now === null) return 'No reading before the deadline.';
    return p.status === 'on_track' || p.status === 'achieved'
      ? `Latest reading ${now}: within ${fmt.exact(goal.tolerance ?? 0)} ${unit} of the target.`
      : `Latest reading ${now}: more than ${fmt.exact(goal.tolerance ?? 0)} ${unit} from the target.`;
  }
  if (p.achieved) return `Target reached: latest reading ${now}.`;
  const parts = [];
  if (p.progress_percent !== null) parts.push(`${fmt.percent(p.progress_percent)} of the way`);
  if (now !== null) parts.push(`latest reading ${now}`);
  if (p.remaining !== null) parts.push(`${fmt.figure(p.remaining)} ${unit} to go`);
  const text = parts.join(', ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function GoalItem({
  goal,
  catalog,
  prefs,
  fmt,
  today,
  onChanged,
  onDeleted,
}: {
  goal: Goal;
  catalog: Catalog;
  prefs: Preferences;
  fmt: Formatters;
  today: string;
  onChanged(g: Goal): void;
  onDeleted(): void;
}) {
  const modes = useItemMode();
  const title = goal.title || goalTitle(goal, catalog, fmt);
  const progressId = `goal-${goal.id}-progress`;

  return (
    <li className="card entry goal" data-testid="goal">
      <h3 id={`goal-${goal.id}`} tabIndex={-1} className="entry__title">
        {title}
      </h3>
      {goal.title ? <p className="entry__meta">{goalTitle(goal, catalog, fmt)}</p> : null}
      <p className="entry__meta">
        <span className={`tag tag--${goal.progress.status}`}>
          {STATUS_TEXT[goal.progress.status] ?? goal.progress.status}
        </span>{' '}
        By {fmt.calendarDate(goal.deadline)}
        {goal.baseline_value !== null ? `, starting from ${fmt.exact(goal.baseline_value)} ${goal.unit}` : ''}
      </p>
      {goal.progress.progress_percent !== null ? (
        <progress
          className="meter"
          max={100}
          value={goal.progress.progress_percent}
          aria-labelledby={`goal-${goal.id} ${progressId}`}
        >
          {fmt.percent(goal.progress.progress_percent)}
        </progress>
      ) : null}
      <p id={progressId} className="goal__progress">
        {progressText(goal, fmt)}
      </p>
      {goal.progress.status === 'no_data' ? (
        <p>
          <Link to={`/log?type=${encodeURIComponent(goal.metric_type)}`}>Log a reading</Link>
        </p>
      ) : null}
      {goal.notes ? <p className="entry__notes">{goal.notes}</p> : null}
      <ItemActions
        modes={modes}
        about={title}
        form={`delete-${goal.id}`}
        question={`Delete the goal “${title}”?`}
        onDelete={() => health.deleteGoal(goal.id)}
        onDeleted={onDeleted}
        onChanged={onChanged}
        editor={(edit) => (
          <EditGoal
            goal={goal}
            catalog={catalog}
            prefs={prefs}
            today={today}
            onSaved={edit.saved}
            onCancel={edit.cancel}
          />
        )}
      />
    </li>
  );
}

function EditGoal({
  goal,
  catalog,
  prefs,
  today,
  onSaved,
  onCancel,
}: {
  goal: Goal;
  catalog: Catalog;
  prefs: Preferences;
  today: string;
  onSaved(g: Goal): void;
  onCancel(): void;
}) {
  const info = catalog.byType.get(goal.metric_type)!;
  const form = `edit-${goal.id}`;
  const { draft, change, busy, error, submit } = useDraftForm({
    initial: {
      metric_type: goal.metric_type,
      direction: goal.direction,
      target: String(goal.target_value),
      unit: goal.unit,
      tolerance: goal.tolerance === null ? '' : String(goal.tolerance),
      baseline: goal.baseline_value === null ? '' : String(goal.baseline_value),
      deadline: goal.deadline,
      title: goal.title ?? '',
      notes: goal.notes ?? '',
    },
    check: (d: Draft) => bodyOf(d, goal),
    send: async (body) => onSaved(await health.changeGoal(goal.id, body)),
  });

  return (
    <EditForm
      form={form}
      label={`Change the goal on ${lower(info.name)}`}
      error={error}
      fields={FIELDS}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <GoalFields
        form={form}
        draft={draft}
        change={change}
        error={error}
        info={info}
        catalog={catalog}
        prefs={prefs}
        today={today}
        fixedMetric
      />
    </EditForm>
  );
}
