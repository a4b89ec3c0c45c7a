import type { Food } from './foods.js';
import { MASS_UNITS, VOLUME_UNITS, type ParsedPart, type Size } from './parser.js';

/**
 * Household portions for common foods, in grams: the SR28 household measures (WEIGHT.txt) for these
 * foods, entered by hand because the project's SR28 extract has no WEIGHT.txt; check them against that
 * file when it is added. `serving` is what a part with no quantity means ("oatmeal"), and is reported
 * as assumed.
 * Anything not listed here needs a weight or a volume: it is reported, never guessed.
 */
interface Portions {
  each?: Partial<Record<Size, number>> & { medium: number };
  eachLabel?: string;
  /** The size meant when none is said (eggs: large, the size SR28 and recipes assume). */
  defaultSize?: Size;
  cup?: number;
  tbsp?: number;
  slice?: number;
  serving?: { grams: number; label: string };
}

export const PORTIONS: Record<string, Portions> = {
  // Egg, whole, raw, fresh: 1 small 38 g, 1 medium 44 g, 1 large 50 g; 1 cup (4.86 large) 243 g.
  '01123': { each: { small: 38, medium: 44, large: 50 }, eachLabel: 'egg', defaultSize: 'large', cup: 243, serving: { grams: 50, label: '1 large egg' } },
  '01128': { each: { medium: 46, large: 46 }, eachLabel: 'egg', serving: { grams: 46, label: '1 large egg' } },
  '01129': { each: { medium: 50, large: 50 }, eachLabel: 'egg', serving: { grams: 50, label: '1 large egg' } },
  '01132': { each: { medium: 61, large: 61 }, eachLabel: 'egg', cup: 220, serving: { grams: 61, label: '1 large egg' } },
  '01077': { cup: 244, serving: { grams: 244, label: '1 cup' } }, // Milk, whole, 3.25%
  '01001': { tbsp: 14.2, cup: 227, each: { medium: 5 }, eachLabel: 'pat' }, // Butter, salted
  '04053': { tbsp: 13.5, cup: 216 }, // Oil, olive
  '09003': { each: { small: 149, medium: 182, large: 223 }, eachLabel: 'apple', cup: 109, serving: { grams: 182, label: '1 medium apple' } },
  '09040': { each: { small: 101, medium: 118, large: 136 }, eachLabel: 'banana', cup: 150, serving: { grams: 118, label: '1 medium banana' } },
  '09200': { each: { small: 96, medium: 131, large: 184 }, eachLabel: 'orange', cup: 180, serving: { grams: 131, label: '1 orange' } },
  '09050': { cup: 148, serving: { grams: 74, label: '1/2 cup' } }, // Blueberries, raw
  '09316': { each: { small: 7, medium: 12, large: 18 }, eachLabel: 'berry', cup: 144, serving: { grams: 72, label: '1/2 cup' } },
  '09037': { each: { medium: 201 }, eachLabel: 'avocado', cup: 150 },
  '11124': { each: { small: 50, medium: 61, large: 72 }, eachLabel: 'carrot', cup: 128 },
  '11529': { each: { small: 91, medium: 123, large: 182 }, eachLabel: 'tomato', cup: 180 },
  '12061': { cup: 143 }, // Nuts, almonds (whole)
  '16098': { tbsp: 16, serving: { grams: 32, label: '2 tbsp' } }, // Peanut butter, smooth
  // Oats (SR 20038): 1 cup 156 g. A bowl of oatmeal is taken as the label serving of 40 g dry oats.
  '20038': { cup: 156, serving: { grams: 40, label: '40 g dry oats (one bowl)' } },
  '20045': { cup: 158, serving: { grams: 158, label: '1 cup' } }, // Rice, white, long-grain, cooked
  '20121': { cup: 140, serving: { grams: 140, label: '1 cup' } }, // Pasta, cooked
  '14209': { cup: 237, serving: { grams: 237, label: '1 cup (8 fl oz)' } }, // Coffee, brewed
  '14355': { cup: 237, serving: { grams: 237, label: '1 cup (8 fl oz)' } }, // Tea, black, brewed
  '14411': { cup: 237, serving: { grams: 237, label: '1 cup (8 fl oz)' } }, // Water, tap
}; // prettier-ignore

/** Beverages weigh what water weighs, near enough (SR28 gives 237-248 g per cup for most). */
const LIQUID_GROUPS = new Set(['Beverages']);

export type PortionSource = 'weight' | 'volume' | 'household' | 'assumed_serving' | 'corrected';

export type Portion =
  { grams: number; source: PortionSource; note: string } | { grams: null; reason: string };

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Grams of `food` meant by a parsed part, or why they cannot be known without asking. */
export function resolvePortion(food: Food, part: ParsedPart): Portion {
  const known = PORTIONS[food.ndb_no];
  const qty = part.quantity;
  const unit = part.unit;
  if (unit && unit in MASS_UNITS) {
    const grams = (qty ?? 1) * MASS_UNITS[unit as keyof typeof MASS_UNITS];
    return { grams: round(grams), source: 'weight', note: `${qty ?? 1} ${unit}` };
  }
  if (unit && unit in VOLUME_UNITS) {
    const ml = (qty ?? 1) * VOLUME_UNITS[unit as keyof typeof VOLUME_UNITS];
    if (unit === 'tbsp' && known?.tbsp !== undefined) {
      return {
        grams: round((qty ?? 1) * known.tbsp),
        source: 'household',
        note: `USDA SR28: 1 tbsp = ${known.tbsp} g`,
      };
    }
    if (known?.cup !== undefined) {
      const grams = (ml / VOLUME_UNITS.cup) * known.cup;
      return { grams: round(grams), source: 'household', note: `USDA SR28: 1 cup = ${known.cup} g` };
    }
    if (LIQUID_GROUPS.has(food.food_group)) {
      return { grams: round(ml), source: 'volume', note: 'a beverage: 1 mL taken as 1 g' };
    }
    return {
      grams: null,
      reason: `no household weight for a ${unit} of this food: give the weight in g or oz`,
    };
  }
  if (unit === 'slice') {
    if (known?.slice !== undefined) {
      return {
        grams: round((qty ?? 1) * known.slice),
        source: 'household',
        note: `USDA SR28: 1 slice = ${known.slice} g`,
      };
    }
    return { grams: null, reason: 'no slice weight for this food: give the weight in g or oz' };
  }
  if (qty !== null) {
    // "2 eggs", "1 piece"
    if (known?.each) {
      const size = part.size ?? known.defaultSize ?? 'medium';
      const each = known.each[size] ?? known.each.medium;
      const label = `${known.each[size] !== undefined ? `${size} ` : ''}${known.eachLabel ?? 'piece'}`;
      return { grams: round(qty * each), source: 'household', note: `USDA SR28: 1 ${label} = ${each} g` };
    }
    return { grams: null, reason: 'no weight per piece for this food: give the weight in g or oz' };
  }
  if (known?.serving) {
    return {
      grams: known.serving.grams,
      source: 'assumed_serving',
      note: `no amount given: assumed ${known.serving.label}`,
    };
  }
  return { grams: null, reason: 'no amount given: give the weight (e.g. "150 g") or a household measure' };
}
