import {
  LABS,
  loincFor,
  readUnit,
  unitsOf,
  type LabDef,
  type LoincTerm,
  type UnitDef,
} from './lab-catalog.js';

/**
 * Lab values read from the text of a document (a PDF's text layer or OCR), offered to the user as
 * suggestions to confirm. Only what the text says: a line is read when it starts with the name of a known
 * test and the value follows it; a number is never guessed, and a line that cannot be read with
 * confidence gives no suggestion.
 */

export interface PrintedRange {
  low: number | null;
  high: number | null;
  /** As printed, e.g. "70 - 99" or "< 200". */
  text: string;
}

export interface LabSuggestion {
  /** Key of the test in the catalogue (lab-catalog.ts). */
  test: string;
  name: string;
  /** The name as the line printed it. */
  printed_name: string;
  loinc: LoincTerm | null;
  /** The numeric value; null when the report gives only a bound (">60"). */
  value: number | null;
  /** "<" or ">" when the report gives a bound instead of a value. */
  comparator: '<' | '>' | '<=' | '>=' | null;
  /** The value as printed. */
  value_text: string;
  unit: { ucum: string; display: string } | null;
  reference_range: PrintedRange | null;
  /** The line the suggestion was read from (1-based) and its text. */
  source: { line: number; text: string };
  /** What the reader should know (unit missing, method assumed...). */
  notes: string[];
  /** A date printed with a collection label, or the document date. */
  effective_date: string | null;
}

const NUMBER = String.raw`\d+(?:[.,]\d+)?`;
/** Parenthesised qualifiers, ", fasting", colons, leader dots and dashes between a test's name and its value. */
const FILLER = new RegExp(
  String.raw`^(?:\s*(?:\([^()]{0,40}\)|\[[^\[\]]{0,40}\]|,\s*(?:fasting|random|serum|plasma|blood|total|calc(?:ulated)?|direct|ifcc|ngsp|dcct)\b|:|=|\.{2,}|[-–](?=\s)))*\s*`,
  'i',
);
const VALUE = new RegExp(String.raw`^(?<cmp><=|>=|≤|≥|<|>)?\s*(?<num>${NUMBER})(?![\d])`);
/** Abnormal flags printed beside a value: skipped (the server computes its own flags). */
const FLAG = /^\s*(?:\(?(?:hh|ll|h|l|a|high|low|abn|abnormal|critical)\)?|\*{1,3})(?=\s|$)/i;
const RANGE_PREFIX =
  /^\s*(?:ref(?:erence)?(?:\s+(?:range|interval|values?))?|normal(?:\s+range)?|nr)\s*[:=]?\s*/i;
const RANGE_BOTH = new RegExp(
  String.raw`^\s*[\[(]?\s*(?<low>${NUMBER})\s*(?:-|–|—|to)\s*(?<high>${NUMBER})\s*[\])]?`,
  'i',
);
const RANGE_BOUND = new RegExp(
  String.raw`^\s*[\[(]?\s*(?<cmp><=|>=|≤|≥|<|>|less\s+than|greater\s+than|below|above|up\s+to)\s*(?<num>${NUMBER})\s*[\])]?`,
  'i',
);
/** Specimens the catalogue's LOINC terms (serum, plasma, blood) do not cover. */
const OTHER_SPECIMEN = /\b(?:urine|urinary|csf|cerebrospinal|stool|faecal|fecal|sweat|pleural|ascitic)\b/i;

/** "5,4" is a decimal comma; "250,000" groups thousands. */
function toNumber(text: string): number {
  if (/^\d{1,3},\d{3}$/.test(text)) return Number(text.replace(',', ''));
  return Number(text.replace(',', '.'));
}

function normaliseComparator(text: string): LabSuggestion['comparator'] {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  if (t === '<' || t === 'less than' || t === 'below') return '<';
  if (t === '>' || t === 'greater than' || t === 'above') return '>';
  if (t === '<=' || t === '≤' || t === 'up to') return '<=';
  if (t === '>=' || t === '≥') return '>=';
  return null;
}

function readRange(text: string): { range: PrintedRange; length: number } | null {
  const prefix = RANGE_PREFIX.exec(text);
  const start = prefix ? prefix[0].length : 0;
  const rest = text.slice(start);
  const both = RANGE_BOTH.exec(rest);
  if (both?.groups) {
    const low = toNumber(both.groups.low!);
    const high = toNumber(both.groups.high!);
    if (low > high) return null;
    return {
      range: {
        low,
        high,
        text: both[0]
          .trim()
          .replace(/^[[(]|[\])]$/g, '')
          .trim(),
      },
      length: start + both[0].length,
    };
  }
  const bound = RANGE_BOUND.exec(rest);
  if (bound?.groups) {
    const cmp = normaliseComparator(bound.groups.cmp!);
    const value = toNumber(bound.groups.num!);
    const text2 = bound[0]
      .trim()
      .replace(/^[[(]|[\])]$/g, '')
      .trim();
    if (cmp === '<' || cmp === '<=')
      return { range: { low: null, high: value, text: text2 }, length: start + bound[0].length };
    if (cmp === '>' || cmp === '>=')
      return { range: { low: value, high: null, text: text2 }, length: start + bound[0].length };
  }
  return null;
}

/** The test a line starts with: the longest name that matches (LDL cholesterol over cholesterol). */
function testAtStart(line: string): { lab: LabDef; printed: string } | null {
  let best: { lab: LabDef; printed: string } | null = null;
  for (const lab of LABS) {
    const m = lab.names.exec(line);
    if (m && (!best || m[0].length > best.printed.length)) best = { lab, printed: m[0] };
  }
  return best;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const COLLECTED =
  /\b(?:collected|collection\s+date|date\s+collected|collection|specimen\s+collected|sample\s+(?:date|taken|collected)|drawn|date\s+of\s+collection)\b\s*(?:on|at)?\s*[:=]?\s*/i;

function isoDate(y: number, m: number, d: number): string | null {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/**
 * A date printed right after a collection label: ISO (2024-03-05) or with the month's name (5 Mar 2024,
 * March 5, 2024). Numeric dates such as 03/05/2024 are left alone: day and month cannot be told apart.
 */
export function collectionDate(text: string): string | null {
  for (const line of text.split('\n')) {
    const label = COLLECTED.exec(line);
    if (!label) continue;
    const after = line.slice(label.index + label[0].length);
    const iso = /^(\d{4})-(\d{2})-(\d{2})\b/.exec(after);
    if (iso) return isoDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
    const dmy = /^(\d{1,2})[\s-]+([a-z]{3})[a-z]*\.?[\s-]+(\d{4})\b/i.exec(after);
    if (dmy) {
      const month = MONTHS.indexOf(dmy[2]!.toLowerCase()) + 1;
      if (month > 0) return isoDate(Number(dmy[3]), month, Number(dmy[1]));
    }
    const mdy = /^([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})\b/i.exec(after);
    if (mdy) {
      const month = MONTHS.indexOf(mdy[1]!.toLowerCase()) + 1;
      if (month > 0) return isoDate(Number(mdy[3]), month, Number(mdy[2]));
    }
  }
  return null;
}

/** Reads one line; null when it is not a lab result this reader can take with confidence. */
export function readLabLine(line: string, lineNumber: number): Omit<LabSuggestion, 'effective_date'> | null {
  const text = line.replace(/\s+$/, '');
  const trimmed = text.replace(/^[\s•·*\-–]+/, '');
  const found = testAtStart(trimmed);
  if (!found || OTHER_SPECIMEN.test(trimmed)) return null;
  const { lab, printed } = found;
  let rest = trimmed.slice(printed.length);
  rest = rest.slice(FILLER.exec(rest)?.[0].length ?? 0);
  const value = VALUE.exec(rest);
  if (!value?.groups) return null;
  rest = rest.slice(value[0].length);
  // "70 - 99" right where the value should be is a range printed before the result: too ambiguous.
  if (/^\s*(?:-|–|to)\s*\d/.test(rest)) return null;
  const accepted = unitsOf(lab);
  const notes: string[] = [];
  let unit: UnitDef | null = null;
  let range: PrintedRange | null = null;
  const skipFlag = () => {
    const flag = FLAG.exec(rest);
    if (flag) rest = rest.slice(flag[0].length);
  };
  const tryUnit = () => {
    const read = readUnit(rest.trimStart(), accepted);
    if (!read) return false;
    rest = rest.trimStart().slice(read.length);
    unit = read.unit;
    return true;
  };
  skipFlag();
  const unitFirst = tryUnit();
  if (!unitFirst) {
    // A unit no test of this kind uses (e.g. mg/dL for potassium) means the line is not what it seems.
    if (readUnit(rest.trimStart())) return null;
  }
  skipFlag();
  const r = readRange(rest);
  if (r) {
    range = r.range;
    rest = rest.slice(r.length);
    if (!unit) {
      skipFlag();
      tryUnit();
    }
  }
  const chosen = unit as UnitDef | null;
  if (!chosen)
    notes.push(
      'No unit is printed beside this value (or it is not one known for this test): give the unit when you confirm.',
    );
  const loinc = chosen ? loincFor(lab, chosen.ucum, trimmed) : null;
  const note = lab.note?.(trimmed);
  if (note && chosen) notes.push(note);
  const comparator = value.groups.cmp ? normaliseComparator(value.groups.cmp) : null;
  if (comparator)
    notes.push(
      `The report gives a bound (${value[0].trim()}), not a value: it is kept as text unless you give a value.`,
    );
  return {
    test: lab.key,
    name: lab.name,
    printed_name: printed.trim(),
    loinc,
    value: comparator ? null : toNumber(value.groups.num!),
    comparator,
    value_text: value[0].trim(),
    unit: chosen ? { ucum: chosen.ucum, display: chosen.display } : null,
    reference_range: range,
    source: { line: lineNumber, text: text.trim().slice(0, 300) },
    notes,
  };
}

/** Every lab value the text states, in reading order. */
export function findLabValues(text: string, documentDate: string | null): LabSuggestion[] {
  const effective = documentDate ?? collectionDate(text);
  const out: LabSuggestion[] = [];
  text.split('\n').forEach((line, i) => {
    const read = readLabLine(line, i + 1);
    if (read) out.push({ ...read, effective_date: effective });
  });
  return out;
}
