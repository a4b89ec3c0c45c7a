import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { notFound, validationError } from '../../platform/http/errors.js';
import { idempotent, type IdempotencyScope } from '../../platform/http/idempotency.js';
import { errorResponses } from '../../platform/http/schemas.js';
import type { ServiceContext } from '../../platform/service.js';
import { addDays, isTimeZone } from '../../platform/time.js';
import { dayRange, isRealDate, mondayOf, today } from './days.js';
import { NUTRIENTS, type Food as FoodData, type FoodTable } from './foods.js';
import { searchFoods } from './matcher.js';
import {
  MAX_PARTS,
  applyCorrections,
  itemsFromDescription,
  nutrientsFor,
  roundNutrient,
  totalNutrients,
  type MealItem,
  type NutrientTotals,
  type Nutrients,
} from './meals.js';
import { PORTIONS } from './portions.js';
import {
  DayQuery,
  Daily,
  Food,
  FoodSearchQuery,
  FoodSearchResult,
  Meal,
  MealCreateBody,
  MealList,
  MealListQuery,
  MealParams,
  MealType,
  MealUpdateBody,
  WaterBody,
  WaterDay,
  WaterEntry,
  WeekQuery,
  Weekly,
} from './schemas.js';
import {
  MEAL_TYPES,
  type MealRow,
  type MealType as MealTypeValue,
  type NutritionStore,
  type WaterRow,
} from './store.js';
import { emitNutritionEvent } from './events.js';
import { dailyTargets, missingInputs, type ActivityLevel, type TargetInputs } from './targets.js';

export const SOURCE = 'USDA National Nutrient Database for Standard Reference, Release 28 (public domain)';

const WATER_ML = { mL: 1, L: 1000, '[foz_us]': 29.5735295625, cup: 236.5882365 } as const;

export function presentFood(food: FoodData) {
  const portions = Object.entries(PORTIONS[food.ndb_no] ?? {}).flatMap(([kind, value]) => {
    if (typeof value === 'number') return [{ label: `1 ${kind}`, grams: value }];
    if (kind === 'serving' && value && typeof value === 'object' && 'label' in value) {
      return [{ label: String(value.label), grams: Number(value.grams) }];
    }
    return [];
  });
  return {
    ndb_no: food.ndb_no,
    description: food.description,
    food_group: food.food_group,
    per_100g: nutrientsFor(food, 100),
    portions,
  };
}

export function presentMeal(table: FoodTable, row: MealRow) {
  const counted: Nutrients[] = [];
  const items = row.items.map((item) => {
    const food = item.ndb_no ? table.get(item.ndb_no) : undefined;
    const nutrients =
      food && item.grams !== null && item.status === 'matched' ? nutrientsFor(food, item.grams) : null;
    if (nutrients) counted.push(nutrients);
    return {
      id: item.id,
      text: item.text,
      quantity: item.quantity,
      unit: item.unit,
      size: item.size,
      status: item.status,
      food: food ? { ndb_no: food.ndb_no, description: food.description, food_group: food.food_group } : null,
      grams: item.grams,
      portion: item.portion,
      match: item.match,
      alternatives: item.alternatives,
      problem: item.problem,
      nutrients,
    };
  });
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    meal_type: row.meal_type,
    eaten_at: row.eaten_at.toISOString(),
    items,
    unresolved: row.items
      .filter((i) => i.status !== 'matched')
      .map((i) => ({ item_id: i.id, text: i.text, status: i.status, problem: i.problem ?? '' })),
    nutrients: totalNutrients(counted),
    source: SOURCE,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const presentWater = (row: WaterRow) => ({
  id: row.id,
  amount: { value: Number(row.amount_ml), unit: 'mL' as const },
  logged_at: row.logged_at.toISOString(),
});

/** "Breakfast" names its own type; anything else is left for the person to say. */
function mealTypeFromName(name: string): MealTypeValue | null {
  const word = name.trim().toLowerCase();
  return (MEAL_TYPES as readonly string[]).includes(word) ? (word as MealTypeValue) : null;
}

function encodeCursor(row: MealRow): string {
  return Buffer.from(JSON.stringify({ t: row.eaten_at.toISOString(), id: row.id })).toString('base64url');
}
/** PostgreSQL text cannot hold a NUL character: a 400 naming the field, not a failed insert. */
function withoutNul<T extends string | undefined>(text: T, field: string): T {
  if (text?.includes('\u0000')) {
    throw validationError(`Invalid body: ${field} contains a NUL character`, [
      { field, problem: 'must not contain a NUL (U+0000) character' },
    ]);
  }
  return text;
}

function decodeCursor(text: string): { eaten_at: string; id: string } {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as {
      t?: unknown;
      id?: unknown;
    };
    if (
      typeof parsed.t === 'string' &&
      new Date(parsed.t).getUTCFullYear() >= 1 &&
      typeof parsed.id === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(parsed.id)
    ) {
      return { eaten_at: parsed.t, id: parsed.id };
    }
  } catch {
    // fall through
  }
  throw validationError('cursor is not one this list gave out', [
    { field: 'cursor', problem: 'is not valid: pass next_cursor from the previous page unchanged' },
  ]);
}

function checkParts(items: MealItem[]): void {
  if (items.length === 0) {
    throw validationError('description names no food', [{ field: 'description', problem: 'names no food' }]);
  }
  if (items.length > MAX_PARTS) {
    throw validationError(`description has more than ${MAX_PARTS} parts`, [
      { field: 'description', problem: `has ${items.length} parts; at most ${MAX_PARTS} per meal` },
    ]);
  }
}

function zoneOf(tz: string | undefined): string {
  const timezone = tz ?? 'UTC';
  if (!isTimeZone(timezone)) {
    throw validationError(`timezone "${timezone}" is not an IANA time zone`, [
      { field: 'timezone', problem: 'is not an IANA time zone such as Europe/Paris' },
    ]);
  }
  return timezone;
}

function checkDate(field: string, date: string): void {
  if (!isRealDate(date)) {
    throw validationError(`${field} is not a real date`, [{ field, problem: 'is not a real date' }]);
  }
}

function dayOf(query: { date?: string; timezone?: string }) {
  const timezone = zoneOf(query.timezone);
  const date = query.date ?? today(timezone);
  checkDate('date', date);
  return { date, timezone, ...dayRange(date, timezone) };
}

/** Adds up per-day totals; a nutrient is complete only when it was complete every day. */
function sumTotals(list: readonly NutrientTotals[]): NutrientTotals {
  const out = {} as NutrientTotals;
  for (const n of NUTRIENTS) {
    out[n.key] = {
      value: roundNutrient(
        n.key,
        list.reduce((s, d) => s + d[n.key].value, 0),
      ),
      unit: n.unit,
      complete: list.every((d) => d[n.key].complete),
    };
  }
  return out;
}

function averageTotals(total: NutrientTotals, days: number): NutrientTotals {
  const out = {} as NutrientTotals;
  for (const n of NUTRIENTS) {
    out[n.key] = { ...total[n.key], value: roundNutrient(n.key, total[n.key].value / days) };
  }
  return out;
}

interface ProfileView {
  age: number | null;
  sex: TargetInputs['sex'];
  height: { value_cm: number } | null;
  weight: { value_kg: number } | null;
}

export function registerNutritionRoutes(
  root: FastifyInstance,
  ctx: ServiceContext,
  store: NutritionStore,
  table: FoodTable,
): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['meals'];
  const idempotency = (userId: string): IdempotencyScope => ({
    schema: 'nutrition',
    inUserTransaction: (fn) => store.forUser(userId, fn),
  });

  /** One local day's meal and water totals: the computation behind daily and weekly. */
  async function dayTotals(userId: string, day: { from: Date; to: Date }) {
    const rows = await store.listMeals(userId, { from: day.from, to: day.to, limit: 1000 });
    const counted: Nutrients[] = [];
    let unresolved = 0;
    for (const row of rows) {
      for (const item of row.items) {
        const food = item.ndb_no ? table.get(item.ndb_no) : undefined;
        if (food && item.grams !== null && item.status === 'matched')
          counted.push(nutrientsFor(food, item.grams));
        else unresolved += 1;
      }
    }
    const water = await store.listWater(userId, day.from, day.to);
    return {
      meals: rows.length,
      unresolved_items: unresolved,
      nutrients: totalNutrients(counted),
      water: { value: Math.round(water.reduce((s, w) => s + Number(w.amount_ml), 0)), unit: 'mL' as const },
    };
  }

  /** Daily targets from the caller's profile, or which profile fields they need. */
  async function targetsFor(request: FastifyRequest, activity: ActivityLevel) {
    const profile = await ctx.clients.onBehalfOf(request)<ProfileView>('user-profile', {
      method: 'GET',
      path: '/api/v1/profile',
    });
    const inputs: TargetInputs =
      profile.status === 200
        ? {
            age: profile.body.age,
            sex: profile.body.sex,
            height_cm: profile.body.height?.value_cm ?? null,
            weight_kg: profile.body.weight?.value_kg ?? null,
          }
        : { age: null, sex: null, height_cm: null, weight_kg: null };
    return {
      targets: dailyTargets(inputs, activity),
      targets_missing: profile.status === 200 ? missingInputs(inputs) : ['profile'],
    };
  }

  async function ownMeal(request: FastifyRequest, id: string): Promise<MealRow> {
    const row = await store.findMeal(principalOf(request).userId, id);
    if (!row) throw notFound('No such meal');
    return row;
  }

  app.get(
    '/api/v1/meals/types',
    {
      schema: {
        tags,
        summary: 'Meal types',
        response: { 200: Type.Object({ items: Type.Array(MealType) }) },
      },
    },
    async () => ({ items: [...MEAL_TYPES] }),
  );

  app.post(
    '/api/v1/meals',
    {
      schema: {
        tags,
        summary: 'Log a meal from a description',
        description:
          'The description ("2 eggs and toast", "200 g chicken breast") is split into foods with amounts, matched ' +
          'against USDA SR28, and the nutrients computed. Parts that match no food, or whose amount is unknown, are ' +
          'listed in `unresolved`; correct them with PATCH. Honours Idempotency-Key.',
        body: MealCreateBody,
        response: { 201: Meal, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const userId = principalOf(request).userId;
      withoutNul(body.name, 'name');
      const eatenAt = body.eaten_at ? new Date(body.eaten_at) : undefined;
      const items = itemsFromDescription(table, withoutNul(body.description, 'description'));
      checkParts(items);
      return idempotent(idempotency(userId), request, reply, userId, async (tx) => {
        const row = await store.insertMeal(
          userId,
          {
            name: body.name.trim(),
            description: body.description,
            meal_type: body.meal_type ?? mealTypeFromName(body.name),
            eaten_at: eatenAt ?? new Date(),
            items,
          },
          tx,
        );
        await emitNutritionEvent(tx, userId, 'meal.logged', mealEventData(row));
        return { status: 201, body: presentMeal(table, row) };
      });
    },
  );

  app.get(
    '/api/v1/meals',
    {
      schema: {
        tags,
        summary: 'My meals, newest first',
        querystring: MealListQuery,
        response: { 200: MealList, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 20;
      const rows = await store.listMeals(principalOf(request).userId, {
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        limit: limit + 1,
        after: q.cursor ? decodeCursor(q.cursor) : undefined,
      });
      const page = rows.slice(0, limit);
      return {
        items: page.map((row) => presentMeal(table, row)),
        next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
      };
    },
  );

  app.get(
    '/api/v1/meals/:meal_id',
    {
      schema: {
        tags,
        summary: 'One meal',
        params: MealParams,
        response: { 200: Meal, ...errorResponses(401, 404) },
      },
    },
    async (request) => presentMeal(table, await ownMeal(request, request.params.meal_id)),
  );

  app.patch(
    '/api/v1/meals/:meal_id',
    {
      schema: {
        tags,
        summary: 'Correct a meal',
        description:
          'Rename it, change its type or time, or correct items: choose another food (ndb_no from food search), ' +
          'set the grams, or remove an item.',
        params: MealParams,
        body: MealUpdateBody,
        response: { 200: Meal, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const current = await ownMeal(request, request.params.meal_id);
      const body = request.body;
      let items = current.items;
      if (body.corrections) {
        const result = applyCorrections(table, items, body.corrections);
        if (result.problems.length > 0) {
          throw validationError(
            `Invalid body: ${result.problems.map((p) => `${p.field} ${p.problem}`).join('; ')}`,
            result.problems,
          );
        }
        items = result.items;
      }
      const row = await store.forUser(userId, async (tx) => {
        const updated = await store.updateMeal(
          userId,
          current.id,
          {
            name: withoutNul(body.name, 'name')?.trim() ?? current.name,
            meal_type: body.meal_type === undefined ? current.meal_type : body.meal_type,
            eaten_at: body.eaten_at ? new Date(body.eaten_at) : current.eaten_at,
            items,
          },
          tx,
        );
        if (updated) await emitNutritionEvent(tx, userId, 'meal.corrected', mealEventData(updated));
        return updated;
      });
      if (!row) throw notFound('No such meal');
      return presentMeal(table, row);
    },
  );

  app.delete(
    '/api/v1/meals/:meal_id',
    {
      schema: {
        tags,
        summary: 'Delete a meal',
        params: MealParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const mealId = request.params.meal_id;
      const deleted = await store.forUser(userId, async (tx) => {
        const gone = await store.deleteMeal(userId, mealId, tx);
        if (gone) await emitNutritionEvent(tx, userId, 'meal.deleted', { meal_id: mealId });
        return gone;
      });
      if (!deleted) throw notFound('No such meal');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/foods',
    {
      schema: {
        tags: ['foods'],
        summary: 'Search the USDA SR28 foods',
        querystring: FoodSearchQuery,
        response: { 200: FoodSearchResult, ...errorResponses(400, 401) },
      },
    },
    async (request) => ({
      items: searchFoods(table, request.query.q, request.query.limit ?? 10).map((c) => ({
        score: Math.round(c.score * 100) / 100,
        food: presentFood(c.food),
      })),
      source: SOURCE,
    }),
  );

  app.get(
    '/api/v1/foods/:ndb_no',
    {
      schema: {
        tags: ['foods'],
        summary: 'One food, per 100 g',
        params: Type.Object({ ndb_no: Type.String({ pattern: '^[0-9]{5}$' }) }),
        response: { 200: Food, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const food = table.get(request.params.ndb_no);
      if (!food) throw notFound('No such food in USDA SR28');
      return presentFood(food);
    },
  );

  app.get(
    '/api/v1/nutrition/daily',
    {
      schema: {
        tags: ['summary'],
        summary: 'One day: nutrient totals, water and targets from my profile',
        description:
          'Energy target by Mifflin-St Jeor (Am J Clin Nutr 1990;51:241-7) × activity factor (activity_level, ' +
          'default sedentary); macro ranges from the IOM 2005 AMDR. Needs weight, height, date of birth and sex in ' +
          'the profile; otherwise targets is null and targets_missing names the fields.',
        querystring: DayQuery,
        response: { 200: Daily, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const day = dayOf(request.query);
      const totals = await dayTotals(userId, day);
      const t = await targetsFor(request, request.query.activity_level ?? 'sedentary');
      return { date: day.date, timezone: day.timezone, ...totals, ...t };
    },
  );

  app.get(
    '/api/v1/nutrition/weekly',
    {
      schema: {
        tags: ['summary'],
        summary:
          'Seven local days: per-day totals, the week total and the average per logged day, with targets',
        description:
          'week_start (default: the Monday of the current week in timezone) and the 6 days after it. Each day is ' +
          'computed as GET /nutrition/daily; days with no meals have logged=false and are left out of the averages ' +
          '(days_logged says over how many days they are). Water is averaged over the days with water logged. ' +
          'Targets are daily targets, so the averages compare with them directly.',
        querystring: WeekQuery,
        response: { 200: Weekly, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const timezone = zoneOf(request.query.timezone);
      const weekStart = request.query.week_start ?? mondayOf(today(timezone));
      checkDate('week_start', weekStart);
      const days = [];
      for (let i = 0; i < 7; i++) {
        const date = addDays(weekStart, i);
        const totals = await dayTotals(userId, dayOf({ date, timezone }));
        days.push({ date, logged: totals.meals > 0, ...totals });
      }
      const t = await targetsFor(request, request.query.activity_level ?? 'sedentary');
      const logged = days.filter((d) => d.logged);
      const watered = days.filter((d) => d.water.value > 0);
      const total = sumTotals(days.map((d) => d.nutrients));
      const weekWater = days.reduce((s, d) => s + d.water.value, 0);
      return {
        week_start: weekStart,
        week_end: addDays(weekStart, 6),
        timezone,
        days_logged: logged.length,
        days_not_logged: days.filter((d) => !d.logged).map((d) => d.date),
        days,
        total: {
          meals: days.reduce((s, d) => s + d.meals, 0),
          unresolved_items: days.reduce((s, d) => s + d.unresolved_items, 0),
          nutrients: total,
          water: { value: weekWater, unit: 'mL' as const },
        },
        average_per_logged_day:
          logged.length === 0
            ? null
            : {
                over_days: logged.length,
                meals: Math.round((logged.reduce((s, d) => s + d.meals, 0) / logged.length) * 100) / 100,
                nutrients: averageTotals(total, logged.length),
                water: {
                  value: watered.length === 0 ? 0 : Math.round(weekWater / watered.length),
                  unit: 'mL' as const,
                  over_days: watered.length,
                },
              },
        ...t,
      };
    },
  );

  app.post(
    '/api/v1/water',
    {
      schema: {
        tags: ['water'],
        summary: 'Log water drunk',
        description: 'Honours Idempotency-Key.',
        body: WaterBody,
        response: { 201: WaterEntry, ...errorResponses(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const { amount, logged_at } = request.body;
      const userId = principalOf(request).userId;
      const ml = Math.round(amount.value * WATER_ML[amount.unit] * 10) / 10;
      return idempotent(idempotency(userId), request, reply, userId, async (tx) => {
        const row = await store.insertWater(userId, ml, logged_at ? new Date(logged_at) : new Date(), tx);
        await emitNutritionEvent(tx, userId, 'water.logged', {
          water_id: row.id,
          logged_at: row.logged_at.toISOString(),
        });
        return { status: 201, body: presentWater(row) };
      });
    },
  );

  app.get(
    '/api/v1/water',
    {
      schema: {
        tags: ['water'],
        summary: 'Water drunk on one day',
        querystring: DayQuery,
        response: { 200: WaterDay, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const day = dayOf(request.query);
      const rows = await store.listWater(principalOf(request).userId, day.from, day.to);
      return {
        date: day.date,
        timezone: day.timezone,
        total: { value: Math.round(rows.reduce((s, w) => s + Number(w.amount_ml), 0)), unit: 'mL' as const },
        items: rows.map(presentWater),
      };
    },
  );

  app.delete(
    '/api/v1/water/:water_id',
    {
      schema: {
        tags: ['water'],
        summary: 'Delete a water entry',
        params: Type.Object({ water_id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const waterId = request.params.water_id;
      const deleted = await store.forUser(userId, async (tx) => {
        const gone = await store.deleteWater(userId, waterId, tx);
        if (gone) await emitNutritionEvent(tx, userId, 'water.deleted', { water_id: waterId });
        return gone;
      });
      if (!deleted) throw notFound('No such water entry');
      return reply.status(204).send(null);
    },
  );
}

export { presentWater };

/** What a meal event carries: ids, type and time, never the description. */
function mealEventData(row: MealRow): Record<string, unknown> {
  return { meal_id: row.id, meal_type: row.meal_type, eaten_at: row.eaten_at.toISOString() };
}
