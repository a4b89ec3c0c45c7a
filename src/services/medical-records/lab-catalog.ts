/**
 * The lab tests recognised in document text: how reports name them, the units they are printed in
 * (mapped to UCUM codes) and the LOINC code for each kind of unit (a mass concentration and a molar one
 * are different LOINC terms, e.g. glucose 2345-7 in mg/dL and 14749-6 in mmol/L).
 * LOINC codes and names: LOINC (loinc.org), Regenstrief Institute. UCUM codes: ucum.org.
 */

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

export interface UnitDef {
  /** UCUM code. */
  ucum: string;
  /** How the unit is shown. */
  display: string;
  /**
   * Printed spellings, matched case-insensitively at the start of the text after a value. The
   * spellings include misreadings OCR is known to make (the caret of 10^3 read as "7").
   */
  pattern: RegExp;
}

/** Printed units, most specific first (mg/dL before g/dL, mmol/mol before mmol/L...). */
export const UNITS: readonly UnitDef[] = [
  {
    ucum: 'mL/min/{1.73_m2}',
    display: 'mL/min/1.73m2',
    pattern: /^ml\s*\/\s*min\s*\/\s*1[.,]73\s*(?:sq\.?\s*)?m(?:2|\^2|²|\*\*2)?(?![a-z])/i,
  },
  { ucum: 'mmol/mol', display: 'mmol/mol', pattern: /^mmol\s*\/\s*mol(?![a-z])/i },
  { ucum: 'mg/dL', display: 'mg/dL', pattern: /^mg\s*\/\s*dl(?![a-z])/i },
  { ucum: 'mg/L', display: 'mg/L', pattern: /^mg\s*\/\s*l(?![a-z])/i },
  { ucum: 'mmol/L', display: 'mmol/L', pattern: /^mmol\s*\/\s*l(?![a-z])/i },
  { ucum: 'umol/L', display: 'µmol/L', pattern: /^(?:µ|μ|u)mol\s*\/\s*l(?![a-z])/i },
  { ucum: 'pmol/L', display: 'pmol/L', pattern: /^pmol\s*\/\s*l(?![a-z])/i },
  { ucum: 'meq/L', display: 'mEq/L', pattern: /^meq\s*\/\s*l(?![a-z])/i },
  { ucum: 'ng/dL', display: 'ng/dL', pattern: /^ng\s*\/\s*dl(?![a-z])/i },
  { ucum: 'ng/mL', display: 'ng/mL', pattern: /^ng\s*\/\s*ml(?![a-z])/i },
  { ucum: 'ug/L', display: 'µg/L', pattern: /^(?:µ|μ|u|mc)g\s*\/\s*l(?![a-z])/i },
  { ucum: 'g/dL', display: 'g/dL', pattern: /^g\s*\/\s*dl(?![a-z])/i },
  { ucum: 'g/L', display: 'g/L', pattern: /^g\s*\/\s*l(?![a-z])/i },
  { ucum: 'L/L', display: 'L/L', pattern: /^l\s*\/\s*l(?![a-z])/i },
  // Thyroid-stimulating hormone: mIU/L and µIU/mL are the same number.
  { ucum: 'm[IU]/L', display: 'mIU/L', pattern: /^m\s*i?u\s*\/\s*l(?![a-z])/i },
  { ucum: 'u[IU]/mL', display: 'µIU/mL', pattern: /^(?:µ|μ|u)\s*i?u\s*\/\s*ml(?![a-z])/i },
  // Enzyme activity: IU/L and U/L are the same unit for enzymes (1 U = 1 µmol/min).
  { ucum: 'U/L', display: 'U/L', pattern: /^i?u\s*\/\s*l(?![a-z])/i },
  {
    ucum: '10*3/uL',
    display: '10^3/µL',
    pattern:
      /^(?:(?:x\s*)?10\s*(?:\^|\*|e|7\s)?\s*3\s*\/\s*(?:µ|μ|u|mc)l|k\s*\/\s*(?:µ|μ|u)l|thou\s*\/\s*(?:µ|μ|u)l|10\s*\^?\s*3\s*\/\s*mm3)(?![a-z])/i,
  },
  {
    ucum: '10*9/L',
    display: '10^9/L',
    pattern: /^(?:(?:x\s*)?10\s*(?:\^|\*|e|7\s)?\s*9\s*\/\s*l|g\s*\/\s*l(?=\s|$))(?![a-z])/i,
  },
  {
    ucum: '10*6/uL',
    display: '10^6/µL',
    pattern: /^(?:(?:x\s*)?10\s*(?:\^|\*|e|7\s)?\s*6\s*\/\s*(?:µ|μ|u|mc)l|m\s*\/\s*(?:µ|μ|u)l)(?![a-z])/i,
  },
  {
    ucum: '10*12/L',
    display: '10^12/L',
    pattern: /^(?:(?:x\s*)?10\s*(?:\^|\*|e|7\s)?\s*12\s*\/\s*l|t\s*\/\s*l)(?![a-z])/i,
  },
  { ucum: '/uL', display: '/µL', pattern: /^\/\s*(?:µ|μ|u)l(?![a-z])/i },
  { ucum: '%', display: '%', pattern: /^%/ },
];

const UNIT_BY_UCUM = new Map(UNITS.map((u) => [u.ucum, u]));

/** The unit at the start of `text`, with how much of the text it took. */
export function readUnit(
  text: string,
  accepted?: readonly string[],
): { unit: UnitDef; length: number } | null {
  for (const unit of UNITS) {
    if (accepted && !accepted.includes(unit.ucum)) continue;
    const m = unit.pattern.exec(text);
    if (m) return { unit, length: m[0].length };
  }
  return null;
}

export function unitByUcum(ucum: string): UnitDef | undefined {
  return UNIT_BY_UCUM.get(ucum);
}

/** A unit as a person may type it when correcting a suggestion: a UCUM code or a printed spelling. */
export function unitFromInput(text: string, accepted: readonly string[]): UnitDef | undefined {
  const trimmed = text.trim();
  const exact = accepted
    .map((c) => UNIT_BY_UCUM.get(c))
    .find((u) => u && (u.ucum === trimmed || u.display === trimmed));
  if (exact) return exact;
  const read = readUnit(trimmed, accepted);
  return read && read.length === trimmed.length ? read.unit : undefined;
}

export interface LoincTerm {
  code: string;
  display: string;
}

export interface LabDef {
  key: string;
  /** What the suggestion calls the test. */
  name: string;
  /**
   * How reports name the test, matched case-insensitively at the start of a line. Longer names of
   * other tests that start the same way (LDL cholesterol, haemoglobin A1c) are listed before them.
   */
  names: RegExp;
  /** LOINC term per UCUM unit. */
  byUnit: Record<string, LoincTerm>;
  /**
   * Alternative terms chosen by a word on the line (e.g. the eGFR equation): checked in order, and
   * used for the units they list.
   */
  byMethod?: { when: RegExp; byUnit: Record<string, LoincTerm> }[];
  /** Said with every suggestion for this test, when the report leaves something to the reader. */
  note?: (line: string) => string | null;
}

const term = (code: string, display: string): LoincTerm => ({ code, display });

const EGFR_CKD_EPI = term(
  '62238-1',
  'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)',
);

export const LABS: readonly LabDef[] = [
  {
    key: 'hba1c',
    name: 'Hemoglobin A1c',
    names:
      /^(?:hb\s*a1c|hgb\s*a1c|ha?emoglobin\s+a1c|glyc(?:at)?ed\s+ha?emoglobin(?:\s*\(?hb\s*a1c\)?)?|a1c)\b/i,
    byUnit: {
      '%': term('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'),
      'mmol/mol': term('59261-8', 'Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol'),
    },
  },
  {
    key: 'glucose',
    name: 'Glucose',
    names: /^(?:fasting\s+)?(?:plasma\s+|serum\s+|blood\s+)?glucose\b/i,
    byUnit: {
      'mg/dL': term('2345-7', 'Glucose [Mass/volume] in Serum or Plasma'),
      'mmol/L': term('14749-6', 'Glucose [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'ldl',
    name: 'LDL cholesterol',
    names:
      /^(?:ldl(?:[\s-]*c\b)?(?:[\s-]*cholesterol)?|cholesterol,?\s+ldl|low[\s-]density\s+lipoprotein(?:\s+cholesterol)?)/i,
    byUnit: {
      'mg/dL': term('13457-7', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation'),
      'mmol/L': term('22748-8', 'Cholesterol in LDL [Moles/volume] in Serum or Plasma'),
    },
    byMethod: [
      {
        when: /\bdirect\b/i,
        byUnit: {
          'mg/dL': term('18262-6', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay'),
        },
      },
    ],
  },
  {
    key: 'hdl',
    name: 'HDL cholesterol',
    names:
      /^(?:hdl(?:[\s-]*c\b)?(?:[\s-]*cholesterol)?|cholesterol,?\s+hdl|high[\s-]density\s+lipoprotein(?:\s+cholesterol)?)/i,
    byUnit: {
      'mg/dL': term('2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma'),
      'mmol/L': term('14646-4', 'Cholesterol in HDL [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'cholesterol',
    name: 'Total cholesterol',
    names: /^(?:total\s+cholesterol|cholesterol(?:,\s*total|\s+total)?)\b/i,
    byUnit: {
      'mg/dL': term('2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma'),
      'mmol/L': term('14647-2', 'Cholesterol [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'triglycerides',
    name: 'Triglycerides',
    names: /^triglycerides?\b/i,
    byUnit: {
      'mg/dL': term('2571-8', 'Triglyceride [Mass/volume] in Serum or Plasma'),
      'mmol/L': term('14927-8', 'Triglyceride [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'egfr',
    name: 'eGFR',
    names: /^(?:e\s*gfr|estimated\s+gfr|estimated\s+glomerular\s+filtration\s+rate)\b/i,
    byUnit: { 'mL/min/{1.73_m2}': EGFR_CKD_EPI },
    byMethod: [
      {
        when: /ckd[\s-]*epi[^\n]*2021|2021[^\n]*ckd[\s-]*epi/i,
        byUnit: {
          'mL/min/{1.73_m2}': term(
            '98979-8',
            'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)',
          ),
        },
      },
      { when: /ckd[\s-]*epi/i, byUnit: { 'mL/min/{1.73_m2}': EGFR_CKD_EPI } },
      {
        when: /\bmdrd\b/i,
        byUnit: {
          'mL/min/{1.73_m2}': term(
            '33914-3',
            'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)',
          ),
        },
      },
    ],
    note: (line) =>
      /ckd[\s-]*epi|mdrd/i.test(line)
        ? null
        : 'The report does not name the eGFR equation: coded as CKD-EPI (LOINC 62238-1), the equation most laboratories use.',
  },
  {
    key: 'creatinine',
    name: 'Creatinine',
    names: /^(?:serum\s+)?creatinine\b/i,
    byUnit: {
      'mg/dL': term('2160-0', 'Creatinine [Mass/volume] in Serum or Plasma'),
      'umol/L': term('14682-9', 'Creatinine [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'urea_nitrogen',
    name: 'Urea nitrogen (BUN)',
    names: /^(?:bun|blood\s+urea\s+nitrogen|urea\s+nitrogen)\b/i,
    byUnit: { 'mg/dL': term('3094-0', 'Urea nitrogen [Mass/volume] in Serum or Plasma') },
  },
  {
    key: 'sodium',
    name: 'Sodium',
    names: /^(?:sodium|na\+?)(?![a-z])/i,
    byUnit: {
      'mmol/L': term('2951-2', 'Sodium [Moles/volume] in Serum or Plasma'),
      'meq/L': term('2951-2', 'Sodium [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'potassium',
    name: 'Potassium',
    names: /^(?:potassium|k\+?)(?![a-z])/i,
    byUnit: {
      'mmol/L': term('2823-3', 'Potassium [Moles/volume] in Serum or Plasma'),
      'meq/L': term('2823-3', 'Potassium [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'chloride',
    name: 'Chloride',
    names: /^(?:chloride|cl-?)(?![a-z])/i,
    byUnit: {
      'mmol/L': term('2075-0', 'Chloride [Moles/volume] in Serum or Plasma'),
      'meq/L': term('2075-0', 'Chloride [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'calcium',
    name: 'Calcium',
    names: /^(?:total\s+)?calcium(?:,\s*total)?\b/i,
    byUnit: {
      'mg/dL': term('17861-6', 'Calcium [Mass/volume] in Serum or Plasma'),
      'mmol/L': term('2000-8', 'Calcium [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'hemoglobin',
    name: 'Hemoglobin',
    names: /^(?:ha?emoglobin|hgb|hb)(?![a-z\d])/i,
    byUnit: {
      'g/dL': term('718-7', 'Hemoglobin [Mass/volume] in Blood'),
      'g/L': term('718-7', 'Hemoglobin [Mass/volume] in Blood'),
    },
  },
  {
    key: 'hematocrit',
    name: 'Hematocrit',
    names: /^(?:ha?ematocrit|hct)\b/i,
    byUnit: {
      '%': term('4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count'),
      'L/L': term('4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count'),
    },
  },
  {
    key: 'wbc',
    name: 'White blood cells',
    names: /^(?:wbc|white\s+blood\s+cells?(?:\s+count)?|white\s+cell\s+count|leukocytes?|leucocytes?)\b/i,
    byUnit: {
      '10*3/uL': term('6690-2', 'Leukocytes [#/volume] in Blood by Automated count'),
      '10*9/L': term('6690-2', 'Leukocytes [#/volume] in Blood by Automated count'),
    },
  },
  {
    key: 'rbc',
    name: 'Red blood cells',
    names: /^(?:rbc|red\s+blood\s+cells?(?:\s+count)?|red\s+cell\s+count|erythrocytes?)\b/i,
    byUnit: {
      '10*6/uL': term('789-8', 'Erythrocytes [#/volume] in Blood by Automated count'),
      '10*12/L': term('789-8', 'Erythrocytes [#/volume] in Blood by Automated count'),
    },
  },
  {
    key: 'platelets',
    name: 'Platelets',
    names: /^(?:platelets?(?:\s+count)?|plt|thrombocytes?)\b/i,
    byUnit: {
      '10*3/uL': term('777-3', 'Platelets [#/volume] in Blood by Automated count'),
      '10*9/L': term('777-3', 'Platelets [#/volume] in Blood by Automated count'),
      '/uL': term('777-3', 'Platelets [#/volume] in Blood by Automated count'),
    },
  },
  {
    key: 'tsh',
    name: 'TSH',
    names: /^(?:tsh|thyroid[\s-]stimulating\s+hormone|thyrotropin)\b/i,
    byUnit: {
      'm[IU]/L': term('3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma'),
      'u[IU]/mL': term('3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'free_t4',
    name: 'Free T4',
    names: /^(?:free\s+t4|ft4|free\s+thyroxine|thyroxine,?\s+free)\b/i,
    byUnit: {
      'ng/dL': term('3024-7', 'Thyroxine (T4) free [Mass/volume] in Serum or Plasma'),
      'pmol/L': term('14920-3', 'Thyroxine (T4) free [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'alt',
    name: 'ALT',
    names:
      /^(?:alt|sgpt|alanine\s+(?:amino)?transaminase|alanine\s+aminotransferase)(?:\s*\((?:alt|sgpt)\))?(?![a-z])/i,
    byUnit: {
      'U/L': term('1742-6', 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'ast',
    name: 'AST',
    names:
      /^(?:ast|sgot|aspartate\s+(?:amino)?transaminase|aspartate\s+aminotransferase)(?:\s*\((?:ast|sgot)\))?(?![a-z])/i,
    byUnit: {
      'U/L': term('1920-8', 'Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'alp',
    name: 'Alkaline phosphatase',
    names: /^(?:alkaline\s+phosphatase|alk\.?\s+phos\.?|alp)(?![a-z])/i,
    byUnit: { 'U/L': term('6768-6', 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma') },
  },
  {
    key: 'bilirubin',
    name: 'Total bilirubin',
    names: /^(?:total\s+bilirubin|bilirubin(?:,?\s*total)?)\b/i,
    byUnit: {
      'mg/dL': term('1975-2', 'Bilirubin.total [Mass/volume] in Serum or Plasma'),
      'umol/L': term('14631-6', 'Bilirubin.total [Moles/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'albumin',
    name: 'Albumin',
    names: /^(?:serum\s+)?albumin\b/i,
    byUnit: {
      'g/dL': term('1751-7', 'Albumin [Mass/volume] in Serum or Plasma'),
      'g/L': term('1751-7', 'Albumin [Mass/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'crp',
    name: 'C-reactive protein',
    names: /^(?:crp|c[\s-]reactive\s+protein)\b/i,
    byUnit: {
      'mg/L': term('1988-5', 'C reactive protein [Mass/volume] in Serum or Plasma'),
      'mg/dL': term('1988-5', 'C reactive protein [Mass/volume] in Serum or Plasma'),
    },
  },
  {
    key: 'ferritin',
    name: 'Ferritin',
    names: /^(?:serum\s+)?ferritin\b/i,
    byUnit: {
      'ng/mL': term('2276-4', 'Ferritin [Mass/volume] in Serum or Plasma'),
      'ug/L': term('2276-4', 'Ferritin [Mass/volume] in Serum or Plasma'),
    },
  },
];

export const LAB_BY_KEY = new Map(LABS.map((l) => [l.key, l]));

export const unitsOf = (lab: LabDef): string[] => Object.keys(lab.byUnit);

/** The LOINC term for a test in a unit, taking the method named on the line into account. */
export function loincFor(lab: LabDef, ucum: string, line: string): LoincTerm | null {
  for (const method of lab.byMethod ?? []) {
    if (method.when.test(line) && method.byUnit[ucum]) return method.byUnit[ucum]!;
  }
  return lab.byUnit[ucum] ?? null;
}
