import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

/** The nutrients the USDA SR28 table gives per 100 g, with their UCUM units and SR28 nutrient numbers. */
export const NUTRIENTS = [
  { key: 'energy', column: 'energy_kcal', name: 'Energy', unit: 'kcal', sr: 208 },
  { key: 'energy_kj', column: 'energy_kj', name: 'Energy', unit: 'kJ', sr: 268 },
  { key: 'protein', column: 'protein_g', name: 'Protein', unit: 'g', sr: 203 },
  { key: 'fat', column: 'fat_total_g', name: 'Total fat', unit: 'g', sr: 204 },
  { key: 'saturated_fat', column: 'fat_saturated_g', name: 'Saturated fat', unit: 'g', sr: 606 },
  { key: 'carbohydrate', column: 'carbohydrate_g', name: 'Carbohydrate, by difference', unit: 'g', sr: 205 },
  { key: 'fiber', column: 'fiber_g', name: 'Fiber, total dietary', unit: 'g', sr: 291 },
  { key: 'sugars', column: 'sugars_total_g', name: 'Sugars, total', unit: 'g', sr: 269 },
  { key: 'sodium', column: 'sodium_mg', name: 'Sodium', unit: 'mg', sr: 307 },
  { key: 'potassium', column: 'potassium_mg', name: 'Potassium', unit: 'mg', sr: 306 },
  { key: 'calcium', column: 'calcium_mg', name: 'Calcium', unit: 'mg', sr: 301 },
  { key: 'iron', column: 'iron_mg', name: 'Iron', unit: 'mg', sr: 303 },
  { key: 'cholesterol', column: 'cholesterol_mg', name: 'Cholesterol', unit: 'mg', sr: 601 },
  { key: 'vitamin_c', column: 'vitamin_c_mg', name: 'Vitamin C', unit: 'mg', sr: 401 },
  { key: 'water', column: 'water_g', name: 'Water', unit: 'g', sr: 255 },
] as const;

export type NutrientKey = (typeof NUTRIENTS)[number]['key'];

export interface Food {
  ndb_no: string;
  food_group: string;
  description: string;
  /** Per 100 g edible portion; null where SR28 has no value. */
  per100g: Record<NutrientKey, number | null>;
  /** Normalised tokens of the description, by comma segment (the first segment names the food). */
  segments: string[][];
  tokens: Set<string>;
}

const DATA_FILE = new URL('./data/usda-sr28-common-foods-per100g.csv', import.meta.url);

/** Lower case, letters and digits only, crude English singular ("berries" → "berry", "eggs" → "egg"). */
export function normalizeToken(word: string): string {
  let w = word.toLowerCase().replace(/[^a-z0-9%]/g, '');
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(ches|shes|oes|sses|xes)$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) w = w.slice(0, -1);
  return w;
}

export function tokenize(text: string): string[] {
  return text
    .split(/[^A-Za-z0-9%]+/)
    .filter((w) => w.length > 0)
    .map(normalizeToken)
    .filter((w) => w.length > 0);
}

export function parseFoods(csv: string): Food[] {
  const records = parse(csv, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return records.map((r) => {
    const per100g = {} as Record<NutrientKey, number | null>;
    for (const n of NUTRIENTS) {
      const cell = (r[n.column] ?? '').trim();
      per100g[n.key] = cell === '' ? null : Number(cell);
    }
    const description = r.description ?? '';
    const segments = description.split(',').map((s) => tokenize(s));
    return {
      ndb_no: r.ndb_no ?? '',
      food_group: r.food_group ?? '',
      description,
      per100g,
      segments,
      tokens: new Set(segments.flat()),
    };
  });
}

/** The USDA table, indexed by NDB number. Loaded once, from the file shipped beside this module. */
export class FoodTable {
  readonly byId: Map<string, Food>;
  constructor(readonly foods: readonly Food[]) {
    this.byId = new Map(foods.map((f) => [f.ndb_no, f]));
  }
  static load(file: URL = DATA_FILE): FoodTable {
    return new FoodTable(parseFoods(readFileSync(file, 'utf8')));
  }
  get(ndbNo: string): Food | undefined {
    return this.byId.get(ndbNo);
  }
}

let shared: FoodTable | undefined;
export function foodTable(): FoodTable {
  shared ??= FoodTable.load();
  return shared;
}
