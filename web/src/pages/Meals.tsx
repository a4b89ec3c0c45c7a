import { useState } from 'react';
import {
  CardForm,
  type Checked,
  formProblems,
  TextAreaField,
  TextField,
  useAddForm,
} from '../components/Form';
import { EntryList, usePagedList } from '../components/ListParts';
import { OnThisPage, Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import { localInputValue, zonedIso, type Formatters, type Preferences } from '../format';
import { nutrition, type Meal, type MealType } from '../nutrition';
import { usePreferences } from '../setup';
import { TimeZoneHint } from './LogReading';
import { MealCard, MealTypeField } from './MealCard';
import { DaySummary, useActivityLevel, WeekView } from './NutritionSummary';

export function Meals() {
  const setup = usePreferences();
  return (
    <Page
      title="Meals and nutrition"
      intro="Say what you ate in your own words: the foods are looked up in the USDA nutrient database, and what could not be matched is listed for you to correct, never guessed."
    >
      <OnThisPage
        links={[
          { href: '#meal-form-title', label: 'Log a meal' },
          { href: '#day-title', label: 'Your day' },
          { href: '#week-title', label: 'Your week' },
          { href: '#meals-title', label: 'Your meals' },
        ]}
      />
      <SetupGate setup={setup}>{({ prefs, fmt }) => <MealsBody prefs={prefs} fmt={fmt} />}</SetupGate>
    </Page>
  );
}

const newestFirst = (a: Meal, b: Meal) => Date.parse(b.eaten_at) - Date.parse(a.eaten_at);

function MealsBody({ prefs, fmt }: { prefs: Preferences; fmt: Formatters }) {
  // A meal logged, corrected or deleted changes the day's and the week's totals: they load again.
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  const [activity, setActivity] = useActivityLevel();
  const list = usePagedList<Meal>(
    (cursor) => nutrition.meals(cursor),
    (m) => `meal-${m.id}`,
    (count) => `Showing ${count} meals.`,
  );
  return (
    <>
      <LogMeal
        prefs={prefs}
        onLogged={(meal) => {
          list.focusAfterRender(`meal-${meal.id}`);
          list.setItems((meals) => [meal, ...(meals ?? [])].sort(newestFirst));
          changed();
        }}
      />
      <DaySummary
        prefs={prefs}
        fmt={fmt}
        version={version}
        activity={activity}
        onActivity={setActivity}
        onWater={changed}
      />
      <WeekView prefs={prefs} fmt={fmt} version={version} activity={activity} />

      <section className="section" aria-labelledby="meals-title">
        <EntryList
          list={list}
          titleId="meals-title"
          title="Your meals"
          loading="Loading your meals…"
          empty={<p>No meals yet. Log your first one above.</p>}
          moreLabel="Show older meals"
          renderItem={(m) => (
            <MealCard
              key={m.id}
              meal={m}
              prefs={prefs}
              fmt={fmt}
              onChanged={(updated) => {
                list.changed(updated, '', newestFirst);
                changed();
              }}
              onDeleted={() => {
                list.deleted(m, 'Meal deleted.');
                changed();
              }}
            />
          )}
        />
      </section>
    </>
  );
}

const FIELDS = { name: 'Name', description: 'What you ate', meal_type: 'Meal', eaten_at: 'When' };

interface Draft {
  name: string;
  description: string;
  meal_type: string;
  eaten_at: string;
}

const EMPTY: Draft = { name: '', description: '', meal_type: '', eaten_at: '' };

function LogMeal({ prefs, onLogged }: { prefs: Preferences; onLogged(meal: Meal): void }) {
  const { draft, setDraft, change, busy, error, submit, saved } = useAddForm({
    initial: EMPTY,
    check: (d: Draft): Checked<Parameters<typeof nutrition.addMeal>[0]> => {
      const problems: { field: string; problem: string }[] = [];
      if (!d.name.trim())
        problems.push({ field: 'name', problem: 'Give the meal a name, such as Breakfast' });
      if (!d.description.trim()) problems.push({ field: 'description', problem: 'Say what you ate' });
      const eatenAt = d.eaten_at ? zonedIso(d.eaten_at, prefs.timezone) : null;
      if (d.eaten_at && !eatenAt) problems.push({ field: 'eaten_at', problem: 'Enter a date and time' });
      if (problems.length > 0) return { error: formProblems(problems) };
      return {
        body: {
          name: d.name.trim(),
          description: d.description.trim(),
          ...(d.meal_type ? { meal_type: d.meal_type as MealType } : {}),
          ...(eatenAt ? { eaten_at: eatenAt } : {}),
        },
      };
    },
    send: async (body) => {
      const meal = await nutrition.addMeal(body);
      setDraft(EMPTY);
      onLogged(meal);
      const open = meal.unresolved.length;
      return `Saved: ${meal.name}, ${meal.items.length - open} of ${meal.items.length} ${meal.items.length === 1 ? 'food' : 'foods'} matched${open > 0 ? ': correct the rest in the meal below' : ''}.`;
    },
  });

  return (
    <CardForm
      form="meal"
      title="Log a meal"
      error={error}
      fields={FIELDS}
      busy={busy}
      onSubmit={submit}
      submitLabel="Save meal"
      status={saved}
    >
      <TextField
        form="meal"
        name="name"
        label="Name"
        hint="Breakfast, Lunch, Dinner or anything you like."
        maxLength={200}
        autoComplete="off"
        value={draft.name}
        onChange={(e) => change({ name: e.target.value })}
        error={error?.fieldError('name')}
      />
      <TextAreaField
        form="meal"
        name="description"
        label="What you ate"
        hint="In plain words, with amounts where you know them: “2 eggs and toast”, “200 g chicken breast with rice”, “1 1/2 cups milk”."
        maxLength={1000}
        value={draft.description}
        onChange={(e) => change({ description: e.target.value })}
        error={error?.fieldError('description')}
      />
      <MealTypeField
        form="meal"
        label="Meal (optional)"
        hint="Left empty, a meal named Breakfast, Lunch, Dinner or Snack is of that kind."
        value={draft.meal_type}
        onValue={(meal_type) => change({ meal_type })}
        error={error?.fieldError('meal_type')}
      />
      <TextField
        form="meal"
        name="eaten_at"
        label="When (optional)"
        type="datetime-local"
        hint={<TimeZoneHint prefs={prefs} empty="Leave empty for now." />}
        max={localInputValue(Date.now(), prefs.timezone)}
        value={draft.eaten_at}
        onChange={(e) => change({ eaten_at: e.target.value })}
        error={error?.fieldError('eaten_at')}
      />
    </CardForm>
  );
}
