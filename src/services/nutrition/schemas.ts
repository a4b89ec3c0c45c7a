import { Type } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { ACTIVITY_FACTORS } from './targets.js';
import { MEAL_TYPES } from './store.js';

const Strict = { additionalProperties: false } as const;
export const MAX_DESCRIPTION = 1000;

export const MealType = StringEnum(MEAL_TYPES);
export const ActivityLevel = StringEnum(Object.keys(ACTIVITY_FACTORS) as (keyof typeof ACTIVITY_FACTORS)[]);

const Amount = Type.Object({ value: Type.Union([Type.Number(), Type.Null()]), unit: Type.String() });
const Total = Type.Object({ value: Type.Number(), unit: Type.String(), complete: Type.Boolean() });
export const NutrientMap = Type.Record(Type.String(), Amount, {
  description: 'Nutrient → amount with its UCUM unit (null where USDA SR28 has no value)',
});
export const TotalMap = Type.Record(Type.String(), Total, {
  description: 'Nutrient → total; complete is false when an item had no USDA value for it',
});

const FoodRef = Type.Object({ ndb_no: Type.String(), description: Type.String(), food_group: Type.String() });

export const MealItem = Type.Object({
  id: Type.String({ format: 'uuid' }),
  text: Type.String({ description: 'The part of the description this item was read from' }),
  quantity: Type.Union([Type.Number(), Type.Null()]),
  unit: Type.Union([Type.String(), Type.Null()]),
  size: Type.Union([Type.String(), Type.Null()]),
  status: StringEnum(['matched', 'unmatched', 'needs_portion'] as const),
  food: Type.Union([FoodRef, Type.Null()]),
  grams: Type.Union([Type.Number(), Type.Null()]),
  portion: Type.Union([Type.Object({ source: Type.String(), note: Type.String() }), Type.Null()]),
  match: Type.Union([
    Type.Object({
      score: Type.Union([Type.Number(), Type.Null()]),
      interpreted_as: Type.Union([Type.String(), Type.Null()]),
      corrected: Type.Boolean(),
    }),
    Type.Null(),
  ]),
  alternatives: Type.Array(Type.Object({ ndb_no: Type.String(), description: Type.String() })),
  problem: Type.Union([Type.String(), Type.Null()]),
  nutrients: Type.Union([NutrientMap, Type.Null()]),
});

export const Meal = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.String(),
  meal_type: Type.Union([MealType, Type.Null()]),
  eaten_at: Type.String({ format: 'date-time' }),
  items: Type.Array(MealItem),
  unresolved: Type.Array(
    Type.Object({
      item_id: Type.String(),
      text: Type.String(),
      status: Type.String(),
      problem: Type.String(),
    }),
    { description: 'Parts of the description with no nutrients yet: correct them with PATCH' },
  ),
  nutrients: TotalMap,
  source: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const MealCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ minLength: 1, maxLength: MAX_DESCRIPTION }),
    meal_type: Type.Optional(MealType),
    eaten_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  Strict,
);

export const MealUpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    meal_type: Type.Optional(Type.Union([MealType, Type.Null()])),
    eaten_at: Type.Optional(Type.String({ format: 'date-time' })),
    corrections: Type.Optional(
      Type.Array(
        Type.Object(
          {
            item_id: Type.String({ format: 'uuid' }),
            ndb_no: Type.Optional(Type.String({ pattern: '^[0-9]{5}$' })),
            grams: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 5000 })),
            remove: Type.Optional(Type.Boolean()),
          },
          Strict,
        ),
        { minItems: 1, maxItems: 50 },
      ),
    ),
  },
  { ...Strict, minProperties: 1 },
);

export const MealParams = Type.Object({ meal_id: Type.String({ format: 'uuid' }) });

export const MealListQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  Strict,
);

export const MealList = Type.Object({
  items: Type.Array(Meal),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const Food = Type.Object({
  ndb_no: Type.String(),
  description: Type.String(),
  food_group: Type.String(),
  per_100g: NutrientMap,
  portions: Type.Array(Type.Object({ label: Type.String(), grams: Type.Number() })),
});

export const FoodSearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 100 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
  },
  Strict,
);

export const FoodSearchResult = Type.Object({
  items: Type.Array(Type.Object({ score: Type.Number(), food: Food })),
  source: Type.String(),
});

export const DayQuery = Type.Object(
  {
    date: Type.Optional(Type.String({ format: 'date' })),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
    activity_level: Type.Optional(ActivityLevel),
  },
  Strict,
);

const RangeSchema = Type.Object({
  min: Type.Union([Type.Number(), Type.Null()]),
  max: Type.Union([Type.Number(), Type.Null()]),
  unit: Type.String(),
});

const Targets = Type.Union([
  Type.Object({
    energy: Type.Object({
      value: Type.Number(),
      unit: Type.String(),
      resting: Type.Number(),
      activity_level: Type.String(),
      activity_factor: Type.Number(),
    }),
    protein: RangeSchema,
    fat: RangeSchema,
    carbohydrate: RangeSchema,
    fiber: RangeSchema,
    saturated_fat: RangeSchema,
    sodium: RangeSchema,
    method: Type.String(),
    notes: Type.Array(Type.String()),
  }),
  Type.Null(),
]);

export const Daily = Type.Object({
  date: Type.String({ format: 'date' }),
  timezone: Type.String(),
  meals: Type.Integer(),
  unresolved_items: Type.Integer(),
  nutrients: TotalMap,
  water: Type.Object({ value: Type.Number(), unit: Type.Literal('mL') }),
  targets: Targets,
  targets_missing: Type.Array(Type.String(), { description: 'Profile fields needed for targets' }),
});

export const WaterBody = Type.Object(
  {
    amount: Type.Object(
      {
        value: Type.Number({ exclusiveMinimum: 0, maximum: 10000 }),
        unit: StringEnum(['mL', 'L', '[foz_us]', 'cup'] as const, {
          description: 'UCUM mL, L, [foz_us] (US fluid ounce), or cup (US, 236.6 mL)',
        }),
      },
      Strict,
    ),
    logged_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  Strict,
);

export const WaterEntry = Type.Object({
  id: Type.String({ format: 'uuid' }),
  amount: Type.Object({ value: Type.Number(), unit: Type.Literal('mL') }),
  logged_at: Type.String({ format: 'date-time' }),
});
export const WaterDay = Type.Object({
  date: Type.String({ format: 'date' }),
  timezone: Type.String(),
  total: Type.Object({ value: Type.Number(), unit: Type.Literal('mL') }),
  items: Type.Array(WaterEntry),
});

export const WeekQuery = Type.Object(
  {
    week_start: Type.Optional(
      Type.String({ format: 'date', description: 'First local day; default this Monday' }),
    ),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
    activity_level: Type.Optional(ActivityLevel),
  },
  Strict,
);

const Water = Type.Object({ value: Type.Number(), unit: Type.Literal('mL') });

export const Weekly = Type.Object({
  week_start: Type.String({ format: 'date' }),
  week_end: Type.String({ format: 'date' }),
  timezone: Type.String(),
  days_logged: Type.Integer({ description: 'Days with at least one meal' }),
  days_not_logged: Type.Array(Type.String({ format: 'date' })),
  days: Type.Array(
    Type.Object({
      date: Type.String({ format: 'date' }),
      logged: Type.Boolean({ description: 'false when no meal was logged that day' }),
      meals: Type.Integer(),
      unresolved_items: Type.Integer(),
      nutrients: TotalMap,
      water: Water,
    }),
  ),
  total: Type.Object({
    meals: Type.Integer(),
    unresolved_items: Type.Integer(),
    nutrients: TotalMap,
    water: Water,
  }),
  average_per_logged_day: Type.Union(
    [
      Type.Object({
        over_days: Type.Integer(),
        meals: Type.Number(),
        nutrients: TotalMap,
        water: Type.Object({ value: Type.Number(), unit: Type.Literal('mL'), over_days: Type.Integer() }),
      }),
      Type.Null(),
    ],
    { description: 'Null when no day of the week has a meal' },
  ),
  targets: Targets,
  targets_missing: Type.Array(Type.String()),
});
