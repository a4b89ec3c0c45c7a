import ucumLib from '@lhncbc/ucum-lhc';
import { describe, expect, it } from 'vitest';
import { LABS, UNITS, unitFromInput } from './lab-catalog.js';
import { collectionDate, findLabValues, readLabLine } from './lab-text.js';

const one = (line: string) => readLabLine(line, 1);

describe('lab values in document text', () => {
  it('reads a table row: value, unit, reference range, LOINC chosen by the unit', () => {
    const glucose = one('Glucose, fasting     105   H   mg/dL    70 - 99');
    expect(glucose).toMatchObject({
      test: 'glucose',
      loinc: { code: '2345-7' },
      value: 105,
      comparator: null,
      unit: { ucum: 'mg/dL' },
      reference_range: { low: 70, high: 99, text: '70 - 99' },
      notes: [],
    });
    expect(one('Glucose 5.8 mmol/L (3.9-5.5)')).toMatchObject({
      loinc: { code: '14749-6' },
      value: 5.8,
      reference_range: { low: 3.9, high: 5.5 },
    });
  });

  it('prefers the longest test name: LDL and HDL cholesterol are not total cholesterol, HbA1c is not haemoglobin', () => {
    expect(one('LDL Cholesterol 131 mg/dL < 100')).toMatchObject({
      test: 'ldl',
      loinc: { code: '13457-7' },
      reference_range: { low: null, high: 100, text: '< 100' },
    });
    expect(one('Cholesterol, HDL: 48 mg/dL >40')).toMatchObject({
      test: 'hdl',
      loinc: { code: '2085-9' },
      reference_range: { low: 40, high: null },
    });
    expect(one('Total Cholesterol 5.2 mmol/L')).toMatchObject({
      test: 'cholesterol',
      loinc: { code: '14647-2' },
    });
    expect(one('Hemoglobin A1c 6.1 % 4.0-5.6')).toMatchObject({ test: 'hba1c', loinc: { code: '4548-4' } });
    expect(one('HbA1c (IFCC) 43 mmol/mol')).toMatchObject({
      test: 'hba1c',
      loinc: { code: '59261-8' },
      value: 43,
    });
    expect(one('Hemoglobin 13.2 g/dL 12.0 - 15.5')).toMatchObject({
      test: 'hemoglobin',
      loinc: { code: '718-7' },
    });
    expect(one('LDL Cholesterol, direct 120 mg/dL')).toMatchObject({ loinc: { code: '18262-6' } });
  });

  it('reads common OCR renderings of units (10^3/uL read as "107 3/uL", mIU/L as "miU/L")', () => {
    expect(one('WBC 6.4 107 3/uL 4.0-11.0')).toMatchObject({
      test: 'wbc',
      loinc: { code: '6690-2' },
      value: 6.4,
      unit: { ucum: '10*3/uL' },
      reference_range: { low: 4, high: 11 },
    });
    expect(one('TSH 2.1 miU/L 0.4-4.0')).toMatchObject({
      loinc: { code: '3016-3' },
      unit: { ucum: 'm[IU]/L' },
    });
    expect(one('Platelets 250 x10^9/L 150-400')).toMatchObject({ unit: { ucum: '10*9/L' }, value: 250 });
  });

  it('keeps bounds as text, and names the eGFR equation or says it was assumed', () => {
    const bound = one('eGFR >60 mL/min/1.73m2');
    expect(bound).toMatchObject({
      value: null,
      comparator: '>',
      value_text: '>60',
      loinc: { code: '62238-1' },
    });
    expect(bound!.notes.join(' ')).toMatch(/does not name the eGFR equation/);
    expect(one('eGFR (CKD-EPI 2021) 85 mL/min/1.73 m²')).toMatchObject({
      value: 85,
      loinc: { code: '98979-8' },
    });
    expect(one('eGFR MDRD 85 mL/min/1.73m2')).toBeNull(); // a word between name and value: not read
    expect(one('Creatinine 88 umol/L 60-110')).toMatchObject({
      loinc: { code: '14682-9' },
      unit: { display: 'µmol/L' },
    });
  });

  it('decimal commas and thousands', () => {
    expect(one('Potassium 4,2 mmol/L 3,5 - 5,1')).toMatchObject({
      value: 4.2,
      reference_range: { low: 3.5, high: 5.1 },
    });
    expect(one('Platelets 250,000 /uL')).toMatchObject({ value: 250000, unit: { ucum: '/uL' } });
  });

  it('never guesses: prose, ranges where the value should be, wrong units, other specimens', () => {
    expect(one('Glucose was elevated at 130 mg/dL')).toBeNull();
    expect(one('Glucose 70 - 99 mg/dL 105')).toBeNull();
    expect(one('Potassium 4.1 mg/dL')).toBeNull();
    expect(one('Glucose, urine 0 mg/dL')).toBeNull();
    expect(one('Non-HDL cholesterol 160 mg/dL')).toBeNull();
    expect(one('Cholesterol/HDL ratio 3.5')).toBeNull();
    expect(one('Name: Jane Example')).toBeNull();
    expect(one('ALTERNATIVE 12 U/L')).toBeNull();
    const noUnit = one('Sodium 140');
    expect(noUnit).toMatchObject({ value: 140, unit: null, loinc: null });
    expect(noUnit!.notes[0]).toMatch(/No unit/);
  });

  it('finds every value of a report with its line, and the collection date', () => {
    const text = [
      'RIVERSIDE CLINICAL LABORATORY',
      'Collected: 2024-03-05',
      'Test Result Units Reference range',
      'Hemoglobin 13.2 g/dL 12.0-15.5',
      'Hematocrit 39.8 % 36.0 - 46.0',
      '',
      'Comment: fasting sample',
    ].join('\n');
    const found = findLabValues(text, null);
    expect(found.map((s) => [s.test, s.value, s.source.line, s.effective_date])).toEqual([
      ['hemoglobin', 13.2, 4, '2024-03-05'],
      ['hematocrit', 39.8, 5, '2024-03-05'],
    ]);
    expect(findLabValues(text, '2024-03-01')[0]!.effective_date).toBe('2024-03-01');
    expect(collectionDate('Date collected: 5 March 2024')).toBe('2024-03-05');
    expect(collectionDate('Collected on Mar 5, 2024 08:10')).toBe('2024-03-05');
    expect(collectionDate('Collected: 03/05/2024')).toBeNull();
    expect(collectionDate('Collected: 2024-02-30')).toBeNull();
  });

  it('every unit of the catalogue is a valid UCUM code, and each test lists known units', () => {
    const ucum = ucumLib.UcumLhcUtils.getInstance();
    for (const unit of UNITS) {
      expect(ucum.validateUnitString(unit.ucum).status, unit.ucum).toBe('valid');
    }
    const known = new Set(UNITS.map((u) => u.ucum));
    for (const lab of LABS) {
      for (const code of Object.keys(lab.byUnit)) expect(known.has(code), `${lab.key} ${code}`).toBe(true);
    }
    expect(unitFromInput('mmol/L', ['mg/dL', 'mmol/L'])?.ucum).toBe('mmol/L');
    expect(unitFromInput('mg/dl', ['mg/dL', 'mmol/L'])?.ucum).toBe('mg/dL');
    expect(unitFromInput('g/L', ['mg/dL', 'mmol/L'])).toBeUndefined();
  });
});
