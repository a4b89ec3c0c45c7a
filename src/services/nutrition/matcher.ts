import { tokenize, type Food, type FoodTable } from './foods.js';

/**
 * Everyday words the USDA descriptions do not use, mapped to the SR28 wording. Each is reported on
 * the item (`interpreted_as`) so the person sees the assumption and can correct it.
 */
export const ALIASES: Record<string, string> = {
  oatmeal: 'oats',
  porridge: 'oats',
  berry: 'blueberries raw',
  berries: 'blueberries raw',
  coffee: 'coffee brewed',
  tea: 'tea black brewed',
  water: 'water tap drinking',
  'peanut butter': 'peanut butter smooth',
  rice: 'rice white long-grain regular enriched cooked',
  pasta: 'pasta cooked enriched',
  milk: 'milk whole 3.25% milkfat with added vitamin d',
};

/** Forms people usually mean when they do not say: raw, whole, fresh, lean. */
const COMMON_FORM = new Set(['raw', 'whole', 'fresh', 'only']);
/** Processed or unusual forms, chosen only when asked for. */
const UNUSUAL_FORM = new Set(
  [
    'canned', 'frozen', 'dried', 'dehydrated', 'powder', 'syrup', 'sweetened', 'breaded', 'battered',
    'industrial', 'imitation', 'mix', 'concentrate', 'babyfood', 'solution', 'substitute', 'skin',
    'juice', 'flour', 'oil', 'pickled', 'salted', 'unprepared', 'heated',
  ].map((w) => tokenize(w)[0]!),
); // prettier-ignore

const QUERY_STOP_WORDS = new Set(['a', 'an', 'the', 'of', 'some', 'and', 'with', 'fresh']);

/** A match needs this share of the query's words in the food's description. */
export const MIN_COVERAGE = 0.6;

export interface Candidate {
  food: Food;
  score: number;
}

export interface MatchResult {
  food: Food;
  score: number;
  /** The SR28 wording the words were read as, when an alias was used. */
  interpreted_as: string | null;
  alternatives: Candidate[];
}

function scoreFood(food: Food, query: string[]): number {
  const wanted = new Set(query);
  let matched = 0;
  for (const token of wanted) if (food.tokens.has(token)) matched += 1;
  const coverage = matched / wanted.size;
  if (coverage < MIN_COVERAGE) return -Infinity;
  let score = coverage * 10;
  const head = food.segments[0] ?? [];
  if (head.some((t) => wanted.has(t))) score += 2;
  if (head.length > 0 && head.every((t) => wanted.has(t))) score += 1;
  for (const token of food.tokens) {
    if (wanted.has(token)) continue;
    if (COMMON_FORM.has(token)) score += 0.5;
    if (UNUSUAL_FORM.has(token)) score -= 1;
    score -= 0.15;
  }
  // Brand names are written in capitals in SR28 ("QUAKER OATS"): a generic word means the generic food.
  if (/\b[A-Z]{3,}\b/.test(food.description)) score -= 2;
  return score;
}

/** Ranks the table's foods for free text by token overlap, preferring the common form of a food. */
export function searchFoods(table: FoodTable, text: string, limit = 10): Candidate[] {
  const query = tokenize(text).filter((t) => !QUERY_STOP_WORDS.has(t));
  if (query.length === 0) return [];
  const scored: Candidate[] = [];
  for (const food of table.foods) {
    const score = scoreFood(food, query);
    if (score > -Infinity) scored.push({ food, score });
  }
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      a.food.description.length - b.food.description.length ||
      a.food.ndb_no.localeCompare(b.food.ndb_no),
  );
  return scored.slice(0, limit);
}

/** The best food for the words of one part of a description, or null: nothing is guessed past this. */
export function matchFood(table: FoodTable, words: string): MatchResult | null {
  const key = words.trim().toLowerCase();
  if (key === '') return null;
  const alias = ALIASES[key];
  const ranked = searchFoods(table, alias ?? key, 4);
  const best = ranked[0];
  if (!best) return null;
  return {
    food: best.food,
    score: Math.round(best.score * 100) / 100,
    interpreted_as: alias ?? null,
    alternatives: ranked.slice(1),
  };
}
