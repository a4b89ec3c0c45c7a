import { randomUUID } from 'node:crypto';
import { NUTRIENTS, type Food, type FoodTable, type NutrientKey } from './foods.js';
import { matchFood } from './matcher.js';
import { parseDescription, type ParsedPart, type Size, type Unit } from './parser.js';
import { resolvePortion, type PortionSource } from './portions.js';

export const MAX_PARTS = 30;

export type ItemStatus = 'matched' | 'unmatched' | 'needs_portion';

/** One food of a meal as stored: what was written, what it was read as, and how much. */
export interface MealItem {
  id: string;
  text: string;
  quantity: number | null;
  unit: Unit | null;
  size: Size | null;
  food_words: string;
  status: ItemStatus;
  ndb_no: string | null;
  grams: number | null;
  portion: { source: PortionSource; note: string } | null;
  match: { score: number | null; interpreted_as: string | null; corrected: boolean } | null;
  alternatives: { ndb_no: string; description: string }[];
  /** Why the item has no nutrients yet (unmatched, or no amount). */
  problem: string | null;
}

export interface NutrientAmount {
  value: number | null;
  unit: string;
}
export type Nutrients = Record<NutrientKey, NutrientAmount>;
export type NutrientTotals = Record<NutrientKey, { value: number; unit: string; complete: boolean }>;

const DIGITS: Partial<Record<NutrientKey, number>> = { energy: 0, energy_kj: 0 };
export const roundNutrient = (key: NutrientKey, x: number) => {
  const d = DIGITS[key] ?? 2;
  return Math.round(x * 10 ** d) / 10 ** d;
};

export function nutrientsFor(food: Food, grams: number): Nutrients {
  const out = {} as Nutrients;
  for (const n of NUTRIENTS) {
    const per100 = food.per100g[n.key];
    out[n.key] = {
      value: per100 === null ? null : roundNutrient(n.key, (per100 * grams) / 100),
      unit: n.unit,
    };
  }
  return out;
}

/** Sums the items' nutrients; `complete` is false when a counted item has no SR28 value for one. */
export function totalNutrients(list: readonly Nutrients[]): NutrientTotals {
  const out = {} as NutrientTotals;
  for (const n of NUTRIENTS) {
    let value = 0;
    let complete = true;
    for (const item of list) {
      const v = item[n.key].value;
      if (v === null) complete = false;
      else value += v;
    }
    out[n.key] = { value: roundNutrient(n.key, value), unit: n.unit, complete };
  }
  return out;
}

export function itemFromPart(table: FoodTable, part: ParsedPart): MealItem {
  const base = {
    id: randomUUID(),
    text: part.text,
    quantity: part.quantity,
    unit: part.unit,
    size: part.size,
    food_words: part.food,
  };
  if (part.food === '') {
    return {
      ...base,
      status: 'unmatched',
      ndb_no: null,
      grams: null,
      portion: null,
      match: null,
      alternatives: [],
      problem: 'no food named in this part',
    };
  }
  const match = matchFood(table, part.food);
  if (!match) {
    return {
      ...base,
      status: 'unmatched',
      ndb_no: null,
      grams: null,
      portion: null,
      match: null,
      alternatives: [],
      problem: `no food in the USDA SR28 table matches "${part.food}": pick one from food search`,
    };
  }
  const portion = resolvePortion(match.food, part);
  return {
    ...base,
    status: portion.grams === null ? 'needs_portion' : 'matched',
    ndb_no: match.food.ndb_no,
    grams: portion.grams,
    portion: portion.grams === null ? null : { source: portion.source, note: portion.note },
    match: { score: match.score, interpreted_as: match.interpreted_as, corrected: false },
    alternatives: match.alternatives.map((c) => ({ ndb_no: c.food.ndb_no, description: c.food.description })),
    problem: portion.grams === null ? portion.reason : null,
  };
}

/** Parses a description into items; throws nothing, but callers limit the number of parts. */
export function itemsFromDescription(table: FoodTable, description: string): MealItem[] {
  return parseDescription(description).map((part) => itemFromPart(table, part));
}

export interface ItemCorrection {
  item_id: string;
  ndb_no?: string;
  grams?: number;
  remove?: boolean;
}

/** Applies corrections; returns the problems (unknown item or food) instead of applying those. */
export function applyCorrections(
  table: FoodTable,
  items: readonly MealItem[],
  corrections: readonly ItemCorrection[],
): { items: MealItem[]; problems: { field: string; problem: string }[] } {
  const problems: { field: string; problem: string }[] = [];
  let next = items.map((i) => ({ ...i }));
  corrections.forEach((c, index) => {
    const item = next.find((i) => i.id === c.item_id);
    if (!item) {
      problems.push({ field: `corrections.${index}.item_id`, problem: 'is not an item of this meal' });
      return;
    }
    if (c.remove) {
      next = next.filter((i) => i.id !== c.item_id);
      return;
    }
    if (c.ndb_no !== undefined) {
      const food = table.get(c.ndb_no);
      if (!food) {
        problems.push({
          field: `corrections.${index}.ndb_no`,
          problem: 'is not a food of the USDA SR28 table',
        });
        return;
      }
      item.ndb_no = food.ndb_no;
      item.match = { score: null, interpreted_as: null, corrected: true };
      item.alternatives = [];
      if (c.grams === undefined && item.grams === null) {
        // The amount as written may resolve for the new food ("2 eggs").
        const portion = resolvePortion(food, {
          text: item.text,
          quantity: item.quantity,
          unit: item.unit,
          size: item.size,
          food: item.food_words,
        });
        if (portion.grams !== null) {
          item.grams = portion.grams;
          item.portion = { source: portion.source, note: portion.note };
        }
      }
    }
    if (c.grams !== undefined) {
      item.grams = c.grams;
      item.portion = { source: 'corrected', note: `${c.grams} g, as corrected` };
    }
    if (item.ndb_no === null) {
      item.status = 'unmatched';
      item.problem = item.problem ?? 'no food chosen';
    } else if (item.grams === null) {
      item.status = 'needs_portion';
      item.problem = 'no amount known: send grams';
    } else {
      item.status = 'matched';
      item.problem = null;
    }
  });
  return { items: next, problems };
}
