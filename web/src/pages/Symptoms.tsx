import type { ApiError } from '../api';
import {
  CardForm,
  type Checked,
  EditForm,
  formProblems,
  MeasureField,
  SelectField,
  TextAreaField,
  TextField,
  useAddForm,
  useDraftForm,
} from '../components/Form';
import { EntryList, ItemActions, useItemMode, usePagedList } from '../components/ListParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { duration, isoInZone, localInputValue, zonedIso, type Formatters, type Preferences } from '../format';
import { health, type Symptom } from '../health';
import { useSetup } from '../setup';
import { TimeZoneHint } from './LogReading';

const COMMON_SYMPTOMS = [
  'Headache',
  'Migraine',
  'Fatigue',
  'Dizziness',
  'Nausea',
  'Cough',
  'Sore throat',
  'Fever',
  'Shortness of breath',
  'Chest pain',
  'Palpitations',
  'Back pain',
  'Joint pain',
  'Stomach ache',
  'Anxiety',
  'Trouble sleeping',
];

/** The words beside some severities, from the API's own scale: 1 is barely noticeable, 10 the worst. */
const SEVERITY_WORDS: Record<number, string> = {
  1: 'barely noticeable',
  3: 'mild',
  5: 'moderate',
  7: 'severe',
  10: 'the worst',
};

export const severityText = (n: number) => {
  const band = n <= 3 ? 'mild' : n <= 6 ? 'moderate' : n <= 9 ? 'severe' : 'the worst';
  return `${n} of 10 (${band})`;
};

const DURATION_UNITS = [
  { value: 'min', label: 'minutes' },
  { value: 'h', label: 'hours' },
  { value: 'd', label: 'days' },
];
const PER_UNIT: Record<string, number> = { min: 1, h: 60, d: 1440 };

function durationDraft(minutes: number | null): { amount: string; unit: string } {
  if (minutes === null) return { amount: '', unit: 'min' };
  if (minutes > 0 && minutes % 1440 === 0) return { amount: String(minutes / 1440), unit: 'd' };
  if (minutes > 0 && minutes % 60 === 0) return { amount: String(minutes / 60), unit: 'h' };
  return { amount: String(minutes), unit: 'min' };
}

interface Draft {
  symptom: string;
  severity: string;
  onset: string;
  amount: string;
  unit: string;
  notes: string;
}

const FIELDS = {
  symptom: 'Symptom',
  severity: 'Severity',
  onset: 'Started',
  duration_minutes: 'How long it lasted',
  notes: 'Notes',
};

type SymptomBody = {
  symptom: string;
  severity: number;
  onset?: string;
  duration_minutes: number | null;
  notes: string | null;
};

/** The body to send, or the problems found before sending. */
function bodyOf(draft: Draft, prefs: Preferences, originalOnset?: string): Checked<SymptomBody> {
  const problems: { field: string; problem: string }[] = [];
  if (draft.symptom.trim() === '') problems.push({ field: 'symptom', problem: 'Say what the symptom is' });
  const severity = Number(draft.severity);
  if (!draft.severity) problems.push({ field: 'severity', problem: 'Choose how severe it is, from 1 to 10' });
  let duration: number | null = null;
  if (draft.amount.trim() !== '') {
    const amount = Number(draft.amount);
    if (!Number.isFinite(amount) || amount < 0) {
      problems.push({
        field: 'duration_minutes',
        problem: 'Enter how long it lasted as a number, or leave it empty',
      });
    } else {
      duration = Math.round(amount * (PER_UNIT[draft.unit] ?? 1));
    }
  }
  let onset: string | undefined;
  if (draft.onset && draft.onset !== originalOnset) {
    onset = zonedIso(draft.onset, prefs.timezone) ?? undefined;
    if (!onset) problems.push({ field: 'onset', problem: 'Enter a date and time' });
  } else if (!draft.onset && originalOnset === undefined) {
    onset = isoInZone(Date.now(), prefs.timezone);
  }
  if (problems.length > 0) return { error: formProblems(problems) };
  return {
    body: {
      symptom: draft.symptom.trim(),
      severity,
      ...(onset ? { onset } : {}),
      duration_minutes: duration,
      notes: draft.notes.trim() || null,
    },
  };
}

function SymptomFields({
  form,
  draft,
  change,
  error,
  prefs,
  onsetOptional,
}: {
  form: string;
  draft: Draft;
  change(patch: Partial<Draft>): void;
  error: ApiError | null;
  prefs: Preferences;
  onsetOptional: boolean;
}) {
  return (
    <>
      <TextField
        form={form}
        name="symptom"
        label="Symptom"
        hint="In your own words, or pick a common one as you type."
        list="common-symptoms"
        autoComplete="off"
        maxLength={200}
        required
        value={draft.symptom}
        onChange={(e) => change({ symptom: e.target.value })}
        error={error?.fieldError('symptom')}
      />
      <SelectField
        form={form}
        name="severity"
        label="Severity"
        hint="From 1 (barely noticeable) to 10 (the worst you can imagine)."
        required
        value={draft.severity}
        onChange={(e) => change({ severity: e.target.value })}
        error={error?.fieldError('severity')}
      >
        <option value="">Choose…</option>
        {Array.from({ length: 10 }, (_, i) => i + 1).map((n) => (
          <option key={n} value={n}>
            {SEVERITY_WORDS[n] ? `${n}: ${SEVERITY_WORDS[n]}` : n}
          </option>
        ))}
      </SelectField>
      <TextField
        form={form}
        name="onset"
        label={onsetOptional ? 'Started (optional)' : 'Started'}
        type="datetime-local"
        hint={<TimeZoneHint prefs={prefs} empty={onsetOptional ? 'Leave empty for now.' : ''} />}
        max={localInputValue(Date.now(), prefs.timezone)}
        value={draft.onset}
        onChange={(e) => change({ onset: e.target.value })}
        error={error?.fieldError('onset')}
      />
      <MeasureField
        form={form}
        name="duration_minutes"
        label="How long it lasted (optional)"
        value={draft.amount}
        unit={draft.unit}
        units={DURATION_UNITS}
        onValue={(amount) => change({ amount })}
        onUnit={(unit) => change({ unit })}
        error={error?.fieldError('duration_minutes')}
      />
      <TextAreaField
        form={form}
        name="notes"
        label="Notes (optional)"
        hint="What you were doing, what helped, anything you want to remember."
        maxLength={2000}
        value={draft.notes}
        onChange={(e) => change({ notes: e.target.value })}
        error={error?.fieldError('notes')}
      />
    </>
  );
}

const EMPTY: Draft = { symptom: '', severity: '', onset: '', amount: '', unit: 'min', notes: '' };

export function Symptoms() {
  const setup = useSetup();
  return (
    <Page
      title="Symptom journal"
      intro="Note how you feel, how bad it is and how long it lasts. Only you can see your journal."
    >
      <datalist id="common-symptoms">
        {COMMON_SYMPTOMS.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <SetupGate setup={setup}>{({ prefs, fmt }) => <Journal prefs={prefs} fmt={fmt} />}</SetupGate>
    </Page>
  );
}

const newestFirst = (a: Symptom, b: Symptom) => Date.parse(b.onset) - Date.parse(a.onset);

function Journal({ prefs, fmt }: { prefs: Preferences; fmt: Formatters }) {
  const list = usePagedList<Symptom>(
    (cursor) => health.symptoms(cursor),
    (s) => `symptom-${s.id}`,
    (count) => `Showing ${count} entries.`,
  );
  const { draft, setDraft, change, busy, error, submit, saved } = useAddForm({
    initial: EMPTY,
    check: (d: Draft) => bodyOf(d, prefs),
    send: async (body) => {
      const symptom = await health.addSymptom(body);
      list.setItems((items) => [symptom, ...(items ?? [])].sort(newestFirst));
      setDraft(EMPTY);
      return `Saved: ${symptom.symptom}, severity ${severityText(symptom.severity)}.`;
    },
  });

  return (
    <>
      <CardForm
        form="symptom"
        title="Log a symptom"
        error={error}
        fields={FIELDS}
        busy={busy}
        onSubmit={submit}
        submitLabel="Save symptom"
        status={saved}
      >
        <SymptomFields
          form="symptom"
          draft={draft}
          change={change}
          error={error}
          prefs={prefs}
          onsetOptional
        />
      </CardForm>

      <EntryList
        list={list}
        titleId="journal-title"
        title="Your journal"
        loading="Loading your journal…"
        empty={<p>Nothing logged yet. Symptoms you log appear here, newest first.</p>}
        moreLabel="Show older entries"
        renderItem={(s) => (
          <SymptomItem
            key={s.id}
            symptom={s}
            prefs={prefs}
            fmt={fmt}
            onChanged={(updated) => list.changed(updated, 'Symptom saved.', newestFirst)}
            onDeleted={() => list.deleted(s, 'Symptom deleted.')}
          />
        )}
      />
    </>
  );
}

function SymptomItem({
  symptom,
  prefs,
  fmt,
  onChanged,
  onDeleted,
}: {
  symptom: Symptom;
  prefs: Preferences;
  fmt: Formatters;
  onChanged(s: Symptom): void;
  onDeleted(): void;
}) {
  const modes = useItemMode();
  const when = fmt.dateTime(symptom.onset);
  const about = `${symptom.symptom} of ${when}`;

  return (
    <li className="card entry symptom" data-testid="symptom">
      <h3 id={`symptom-${symptom.id}`} tabIndex={-1} className="entry__title">
        {symptom.symptom}
      </h3>
      <p className="entry__severity">Severity {severityText(symptom.severity)}</p>
      <p className="entry__meta">
        Started {when}
        {symptom.duration_minutes !== null ? `, lasted ${duration(symptom.duration_minutes)}` : ''}
      </p>
      {symptom.notes ? <p className="entry__notes">{symptom.notes}</p> : null}
      <ItemActions
        modes={modes}
        about={about}
        form={`delete-${symptom.id}`}
        question={`Delete “${symptom.symptom}” of ${when} from your journal?`}
        onDelete={() => health.deleteSymptom(symptom.id)}
        onDeleted={onDeleted}
        onChanged={onChanged}
        editor={(edit) => (
          <EditSymptom symptom={symptom} prefs={prefs} onSaved={edit.saved} onCancel={edit.cancel} />
        )}
      />
    </li>
  );
}

function EditSymptom({
  symptom,
  prefs,
  onSaved,
  onCancel,
}: {
  symptom: Symptom;
  prefs: Preferences;
  onSaved(s: Symptom): void;
  onCancel(): void;
}) {
  const form = `edit-${symptom.id}`;
  const originalOnset = localInputValue(symptom.onset, prefs.timezone);
  const { draft, change, busy, error, submit } = useDraftForm({
    initial: {
      symptom: symptom.symptom,
      severity: String(symptom.severity),
      onset: originalOnset,
      ...durationDraft(symptom.duration_minutes),
      notes: symptom.notes ?? '',
    },
    check: (d: Draft) => bodyOf(d, prefs, originalOnset),
    send: async (body) => onSaved(await health.changeSymptom(symptom.id, body)),
  });

  return (
    <EditForm
      form={form}
      label={`Change “${symptom.symptom}”`}
      error={error}
      fields={FIELDS}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <SymptomFields
        form={form}
        draft={draft}
        change={change}
        error={error}
        prefs={prefs}
        onsetOptional={false}
      />
    </EditForm>
  );
}
