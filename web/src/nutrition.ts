// The nutrition API as the web app uses it: meals read from plain descriptions and matched to the USDA
// SR28 foods, corrections, food search, water, and a day's or a week's totals against targets from the
// profile. Every amount comes with its unit from the server; the app computes no nutrient itself.
import { api } from './api';
import { query, type Page } from './health';

export const NUTRITION = '/nutrition/api/v1';

export const MEAL_TYPES = ['breakfast', 'lunch', 'dinner', 'snack'] as const;
export type MealType = (typeof MEAL_TYPES)[number];

export interface Amount {
  value: number | null;
  unit: string;
}

export interface Total {
  value: number;
  unit: string;
  /** False when a counted food had no USDA value for this nutrient: the total is then a floor. */
  complete: boolean;
}

export interface FoodRef {
  ndb_no: string;
  description: string;
  food_group: string;
}

export interface MealItem {
  id: string;
  text: string;
  quantity: number | null;
  unit: string | null;
  size: string | null;
  status: 'matched' | 'unmatched' | 'needs_portion';
  food: FoodRef | null;
  grams: number | null;
  portion: { source: string; note: string } | null;
  match: { score: number | null; interpreted_as: string | null; corrected: boolean } | null;
  alternatives: { ndb_no: string; description: string }[];
  problem: string | null;
  nutrients: Record<string, Amount> | null;
}

export interface Meal {
  id: string;
  name: string;
  description: string;
  meal_type: MealType | null;
  eaten_at: string;
  items: MealItem[];
  unresolved: { item_id: string; text: string; status: string; problem: string }[];
  nutrients: Record<string, Total>;
  source: string;
  created_at: string;
  updated_at: string;
}

export interface Food extends FoodRef {
  per_100g: Record<string, Amount>;
  portions: { label: string; grams: number }[];
}

export interface Range {
  min: number | null;
  max: number | null;
  unit: string;
}

export interface Targets {
  energy: { value: number; unit: string; resting: number; activity_level: string; activity_factor: number };
  protein: Range;
  fat: Range;
  carbohydrate: Range;
  fiber: Range;
  saturated_fat: Range;
  sodium: Range;
  method: string;
  notes: string[];
}

export interface Water {
  value: number;
  unit: 'mL';
}

export interface Daily {
  date: string;
  timezone: string;
  meals: number;
  unresolved_items: number;
  nutrients: Record<string, Total>;
  water: Water;
  targets: Targets | null;
  targets_missing: string[];
}

export interface WeekDay {
  date: string;
  logged: boolean;
  meals: number;
  unresolved_items: number;
  nutrients: Record<string, Total>;
  water: Water;
}

export interface Weekly {
  week_start: string;
  week_end: string;
  timezone: string;
  days_logged: number;
  days_not_logged: string[];
  days: WeekDay[];
  total: { meals: number; unresolved_items: number; nutrients: Record<string, Total>; water: Water };
  average_per_logged_day: {
    over_days: number;
    meals: number;
    nutrients: Record<string, Total>;
    water: Water & { over_days: number };
  } | null;
  targets: Targets | null;
  targets_missing: string[];
}

export interface WaterEntry {
  id: string;
  amount: Water;
  logged_at: string;
}

export type WaterUnit = 'mL' | 'L' | '[foz_us]' | 'cup';

export const ACTIVITY_LEVELS = [
  { value: 'sedentary', label: 'Sedentary (little or no exercise)' },
  { value: 'light', label: 'Light (exercise 1–3 days a week)' },
  { value: 'moderate', label: 'Moderate (exercise 3–5 days a week)' },
  { value: 'active', label: 'Active (exercise 6–7 days a week)' },
  { value: 'very_active', label: 'Very active (hard exercise every day, or a physical job)' },
];

/** The nutrients the pages show, in order, with their names (the server's keys and units). */
export const NUTRIENT_NAMES: { key: string; name: string }[] = [
  { key: 'energy', name: 'Energy' },
  { key: 'protein', name: 'Protein' },
  { key: 'fat', name: 'Fat' },
  { key: 'saturated_fat', name: 'Saturated fat' },
  { key: 'carbohydrate', name: 'Carbohydrate' },
  { key: 'sugars', name: 'Sugars' },
  { key: 'fiber', name: 'Fibre' },
  { key: 'sodium', name: 'Sodium' },
  { key: 'potassium', name: 'Potassium' },
  { key: 'calcium', name: 'Calcium' },
  { key: 'iron', name: 'Iron' },
  { key: 'cholesterol', name: 'Cholesterol' },
  { key: 'vitamin_c', name: 'Vitamin C' },
];

export interface Correction {
  item_id: string;
  ndb_no?: string;
  grams?: number;
  remove?: boolean;
}

const meal = (id: string) => `${NUTRITION}/meals/${encodeURIComponent(id)}`;

export const nutrition = {
  meals: (cursor?: string) => api<Page<Meal>>('GET', `${NUTRITION}/meals${query({ cursor, limit: 10 })}`),
  addMeal: (body: { name: string; description: string; meal_type?: MealType; eaten_at?: string }) =>
    api<Meal>('POST', `${NUTRITION}/meals`, { body }),
  changeMeal: (
    id: string,
    body: { name?: string; meal_type?: MealType | null; eaten_at?: string; corrections?: Correction[] },
  ) => api<Meal>('PATCH', meal(id), { body }),
  deleteMeal: (id: string) => api<void>('DELETE', meal(id)),
  foods: (q: string) =>
    api<{ items: { score: number; food: Food }[]; source: string }>(
      'GET',
      `${NUTRITION}/foods${query({ q, limit: 8 })}`,
    ),
  daily: (params: { date: string; timezone: string; activity_level: string }) =>
    api<Daily>('GET', `${NUTRITION}/nutrition/daily${query(params)}`),
  weekly: (params: { week_start?: string; timezone: string; activity_level: string }) =>
    api<Weekly>('GET', `${NUTRITION}/nutrition/weekly${query(params)}`),
  water: (params: { date: string; timezone: string }) =>
    api<{ date: string; timezone: string; total: Water; items: WaterEntry[] }>(
      'GET',
      `${NUTRITION}/water${query(params)}`,
    ),
  addWater: (body: { amount: { value: number; unit: WaterUnit }; logged_at?: string }) =>
    api<WaterEntry>('POST', `${NUTRITION}/water`, { body }),
  deleteWater: (id: string) => api<void>('DELETE', `${NUTRITION}/water/${encodeURIComponent(id)}`),
};
