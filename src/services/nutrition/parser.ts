/**
 * Reads a free-text meal description ("2 eggs and toast", "200 g chicken breast, 1/2 cup rice") into
 * parts: a quantity, a unit, a size and the words naming the food. Plain function, no data access.
 */
export const MASS_UNITS = { g: 1, kg: 1000, oz: 28.349523125, lb: 453.59237 } as const;
/** US customary volumes in millilitres (NIST Handbook 44). */
export const VOLUME_UNITS = {
  ml: 1,
  l: 1000,
  cup: 236.5882365,
  tbsp: 14.78676478125,
  tsp: 4.92892159375,
} as const;
export const COUNT_UNITS = ['piece', 'slice'] as const;

export type MassUnit = keyof typeof MASS_UNITS;
export type VolumeUnit = keyof typeof VOLUME_UNITS;
export type Unit = MassUnit | VolumeUnit | (typeof COUNT_UNITS)[number];
export type Size = 'small' | 'medium' | 'large';

export interface ParsedPart {
  /** The fragment of the description this part came from. */
  text: string;
  quantity: number | null;
  unit: Unit | null;
  size: Size | null;
  /** The words naming the food, lower case ('' when the fragment named no food). */
  food: string;
}

const UNIT_WORDS: Record<string, Unit> = {
  g: 'g', gr: 'g', gram: 'g', grams: 'g', gramme: 'g', grammes: 'g',
  kg: 'kg', kilo: 'kg', kilos: 'kg', kilogram: 'kg', kilograms: 'kg',
  oz: 'oz', ounce: 'oz', ounces: 'oz',
  lb: 'lb', lbs: 'lb', pound: 'lb', pounds: 'lb',
  ml: 'ml', milliliter: 'ml', milliliters: 'ml', millilitre: 'ml', millilitres: 'ml',
  l: 'l', liter: 'l', liters: 'l', litre: 'l', litres: 'l',
  cup: 'cup', cups: 'cup',
  tbsp: 'tbsp', tbs: 'tbsp', tbl: 'tbsp', tablespoon: 'tbsp', tablespoons: 'tbsp',
  tsp: 'tsp', teaspoon: 'tsp', teaspoons: 'tsp',
  slice: 'slice', slices: 'slice',
  piece: 'piece', pieces: 'piece', pc: 'piece', pcs: 'piece',
}; // prettier-ignore

const NUMBER_WORDS: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, dozen: 12, half: 0.5, quarter: 0.25, couple: 2,
}; // prettier-ignore

const SIZE_WORDS: Record<string, Size> = {
  small: 'small',
  little: 'small',
  medium: 'medium',
  large: 'large',
  big: 'large',
};

const UNICODE_FRACTIONS: Record<string, string> = {
  '½': ' 1/2', '⅓': ' 1/3', '⅔': ' 2/3', '¼': ' 1/4', '¾': ' 3/4', '⅛': ' 1/8',
}; // prettier-ignore

const FILLER = new Set(['of', 'the', 'some', 'fresh-made', 'about', 'approx', 'approximately', 'around']);

/** Splits on commas, semicolons, new lines, "and", "with", "plus", "&" and "+". */
export function splitDescription(description: string): string[] {
  return description
    .split(/\s*(?:[,;\n+&]|\band\b|\bwith\b|\bplus\b)\s*/i)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function numberOf(word: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(word)) return Number(word);
  const fraction = /^(\d+)\/(\d+)$/.exec(word);
  if (fraction && Number(fraction[2]) > 0) return Number(fraction[1]) / Number(fraction[2]);
  return undefined;
}

export function parsePart(fragment: string): ParsedPart {
  let text = fragment.toLowerCase();
  for (const [glyph, ascii] of Object.entries(UNICODE_FRACTIONS)) text = text.split(glyph).join(ascii);
  // "200g" → "200 g", "1.5kg" → "1.5 kg"
  text = text.replace(/(\d)([a-z])/g, '$1 $2').replace(/[()]/g, ' ');
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  let i = 0;
  let quantity: number | null = null;

  const first = words[i] !== undefined ? numberOf(words[i]!) : undefined;
  if (first !== undefined) {
    quantity = first;
    i += 1;
    const fraction = words[i] !== undefined ? numberOf(words[i]!) : undefined;
    if (fraction !== undefined && fraction < 1 && words[i]!.includes('/')) {
      quantity += fraction; // "1 1/2"
      i += 1;
    }
  } else if (words[i] !== undefined && NUMBER_WORDS[words[i]!] !== undefined && words.length > i + 1) {
    quantity = NUMBER_WORDS[words[i]!]!;
    i += 1;
    // "half a cup", "a dozen eggs", "a couple of"
    if ((words[i] === 'a' || words[i] === 'an') && quantity === 0.5) i += 1;
    else if (quantity === 1 && words[i] !== undefined && NUMBER_WORDS[words[i]!] !== undefined) {
      const next = NUMBER_WORDS[words[i]!]!;
      if (next !== 1 && words.length > i + 1) {
        quantity = next;
        i += 1;
      }
    }
  }
  if (words[i] === 'of') i += 1;

  let unit: Unit | null = null;
  if (words[i] !== undefined && UNIT_WORDS[words[i]!] !== undefined && words.length > i + 1) {
    unit = UNIT_WORDS[words[i]!]!;
    i += 1;
  }
  if (words[i] === 'of') i += 1;

  let size: Size | null = null;
  const rest: string[] = [];
  for (const word of words.slice(i)) {
    const clean = word.replace(/[^a-z0-9%'-]/g, '');
    if (clean === '' || FILLER.has(clean)) continue;
    if (size === null && SIZE_WORDS[clean] !== undefined) {
      size = SIZE_WORDS[clean]!;
      continue;
    }
    rest.push(clean);
  }
  return { text: fragment.trim(), quantity, unit, size, food: rest.join(' ') };
}

export function parseDescription(description: string): ParsedPart[] {
  return splitDescription(description).map(parsePart);
}
