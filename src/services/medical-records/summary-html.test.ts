import { describe, expect, it } from 'vitest';
import { escapeHtml, LINE_BUDGET, renderSummaryHtml, STYLE_HASH, SUMMARY_CSP } from './summary-html.js';
import type { PatientSummary } from './summary.js';
import { createHash } from 'node:crypto';

const empty: PatientSummary = {
  generated_at: '2024-06-15T12:34:56.789Z',
  patient: { name: null, birth_date: null, age_years: null, gender: null, deceased: false, source: null },
  problems: [],
  medications: [],
  allergies: [],
  labs: [],
  vitals: { status: 'ok', message: null, items: [] },
  excluded: { problems: 0, medications: 0, allergies: 0 },
  sources: [],
};

const problem = (display: string) => ({
  record_id: '00000000-0000-7000-8000-000000000001',
  display,
  code: null,
  clinical_status: 'active',
  verification_status: 'confirmed',
  onset: '2019-03-04T10:00:00Z',
  recorded_date: null,
  note: null,
});

describe('the printable summary page', () => {
  it('escapes every character HTML gives meaning to', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('says plainly when there is nothing, and when the patient is not named', () => {
    const html = renderSummaryHtml(empty);
    expect(html).toContain('Name not recorded');
    expect(html).toContain('No active problems recorded.');
    expect(html).toContain('No current medications recorded.');
    expect(html).toContain('No lab results recorded.');
    expect(html).toContain('Generated 2024-06-15 12:34:56 UTC');
  });

  it('cuts long lists with a count of what is left out, to stay on one page (one line per short item)', () => {
    const many = {
      ...empty,
      problems: Array.from({ length: LINE_BUDGET.problems + 3 }, (_, i) => problem(`Problem ${i}`)),
    };
    const html = renderSummaryHtml(many);
    expect(html).toContain(`Problem ${LINE_BUDGET.problems - 1}`);
    expect(html).not.toContain(`Problem ${LINE_BUDGET.problems}<`);
    expect(html).toContain('+ 3 more problems');
    expect(html).toContain('since 2019-03-04');
    // Items that wrap take more of the budget: fewer of them are shown.
    const wordy = {
      ...empty,
      problems: Array.from({ length: 30 }, (_, i) => problem(`${'Very long name '.repeat(6)}${i}`)),
    };
    expect(renderSummaryHtml(wordy)).toContain(`+ ${30 - LINE_BUDGET.problems / 2} more problems`);
  });

  it('marks critical lab flags, shows ranges and units for people, and a vitals outage', () => {
    const html = renderSummaryHtml({
      ...empty,
      labs: [
        {
          record_id: '00000000-0000-7000-8000-000000000002',
          display: 'Potassium',
          code: { system: 'http://loinc.org', code: '2823-3' },
          status: 'final',
          effective_at: '2024-01-02T08:00:00.000Z',
          effective_text: '2024-01-02T08:00:00Z',
          value: { value: 6.8, unit: 'mmol/L', code: 'mmol/L' },
          value_text: null,
          components: [],
          flags: {
            flag: 'HH',
            abnormal: true,
            critical: true,
            reference_range: {
              low: { value: 3.5, unit: 'mmol/L', code: 'mmol/L' },
              high: { value: 5.1, unit: 'mmol/L', code: 'mmol/L' },
              text: null,
            },
            critical_limits: null,
            note: null,
          },
        },
      ],
      vitals: { status: 'unavailable', message: 'The health-tracking service did not answer', items: [] },
    });
    expect(html).toContain('<span class="flag critical" title="critically high">HH</span>');
    expect(html).toContain('3.5–5.1 mmol/L');
    expect(html).toContain('Not included: the health-tracking service did not answer');
  });

  it('allows exactly its own stylesheet and nothing else', () => {
    const style = /<style>([\s\S]*)<\/style>/.exec(renderSummaryHtml(empty))![1]!;
    expect(`sha256-${createHash('sha256').update(style).digest('base64')}`).toBe(STYLE_HASH);
    expect(SUMMARY_CSP).toContain(`style-src '${STYLE_HASH}'`);
    expect(SUMMARY_CSP).toContain("default-src 'none'");
  });
});
