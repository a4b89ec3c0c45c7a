import { createHash } from 'node:crypto';
import type { Quantity } from './fhir.js';
import type { Allergy, Lab, Medication, PatientSummary, Problem, VitalReading } from './summary.js';

/**
 * The patient summary as one printable HTML page: self-contained (inline CSS, no scripts, no external
 * assets), every value escaped, with a print stylesheet sized for one A4 or Letter page. Longer lists are
 * cut with a line saying how many more there are; the JSON summary has them all.
 */

/**
 * Lines of text each block may fill so that the page prints on one A4 or Letter sheet (8 pt print type):
 * the two-column blocks fit about 58 characters a line, a lab name about 80 in its column. Measured by
 * printing full lists of long names with headless Chromium; longer lists end with "+ N more".
 */
export const LINE_BUDGET = { problems: 20, medications: 20, allergies: 10, vitals: 10, labs: 12 } as const;
const HALF_LINE_CHARS = 58;
const LAB_NAME_CHARS = 80;

/** The first items whose estimated lines fit the budget (at least one line each). */
function fit<T>(items: readonly T[], text: (item: T) => string, budget: number, charsPerLine: number): T[] {
  const out: T[] = [];
  let used = 0;
  for (const item of items) {
    const lines = Math.max(1, Math.ceil(text(item).length / charsPerLine));
    if (used + lines > budget) break;
    used += lines;
    out.push(item);
  }
  return out;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;

/** How common UCUM codes are printed for a person. */
const UNIT_LABELS: Record<string, string> = {
  'mm[Hg]': 'mmHg',
  Cel: '°C',
  '[degF]': '°F',
  'kg/m2': 'kg/m²',
  '/min': '/min',
  '{steps}': 'steps',
  '[lb_av]': 'lb',
  '[in_i]': 'in',
  '10*3/uL': '×10³/µL',
  '10*6/uL': '×10⁶/µL',
  '10*9/L': '×10⁹/L',
  '10*12/L': '×10¹²/L',
  uL: 'µL',
  umol: 'µmol',
  'umol/L': 'µmol/L',
};

export const unitLabel = (unit: string | null): string => (unit ? (UNIT_LABELS[unit] ?? unit) : '');

const quantityText = (q: Quantity | null) =>
  q ? `${q.value}${unitLabel(q.code ?? q.unit) ? ` ${unitLabel(q.code ?? q.unit)}` : ''}` : '';

/** The date part of an ISO 8601 date or date-time, as written. */
const day = (text: string | null) => (text ? text.slice(0, 10) : '');

function labValue(lab: Lab): string {
  if (lab.value) return quantityText(lab.value);
  if (lab.value_text) return lab.value_text;
  return lab.components
    .filter((c) => c.value)
    .map((c) => `${c.display} ${quantityText(c.value)}`)
    .join('; ');
}

function labRange(lab: Lab): string {
  const range = lab.flags?.reference_range;
  if (!range) return '—';
  if (range.low && range.high)
    return `${range.low.value}–${range.high.value} ${unitLabel(range.high.code ?? range.high.unit)}`.trim();
  if (range.high) return `≤ ${quantityText(range.high)}`;
  if (range.low) return `≥ ${quantityText(range.low)}`;
  return range.text ?? '';
}

const FLAG_WORDS: Record<string, string> = {
  LL: 'critically low',
  L: 'low',
  N: 'normal',
  H: 'high',
  HH: 'critically high',
};

function labFlag(lab: Lab): string {
  const flag = lab.flags?.flag;
  if (!flag) return '';
  const critical = lab.flags?.critical || flag === 'LL' || flag === 'HH';
  const cls = critical ? 'flag critical' : flag === 'N' ? 'flag' : 'flag abnormal';
  return `<span class="${cls}" title="${e(FLAG_WORDS[flag] ?? flag)}">${e(flag)}</span>`;
}

function vitalValue(v: VitalReading): string {
  const unit = unitLabel(v.unit);
  return typeof v.value === 'number'
    ? `${v.value} ${unit}`.trim()
    : `${v.value.systolic}/${v.value.diastolic} ${unit}`.trim();
}

function more(total: number, shown: number, what: string): string {
  return total > shown
    ? `<p class="more">+ ${total - shown} more ${e(what)} (see the full summary in the app)</p>`
    : '';
}

function section(title: string, body: string, empty: string, total: number): string {
  return `<section><h2>${e(title)}</h2>${total === 0 ? `<p class="none">${e(empty)}</p>` : body}</section>`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:10pt/1.35 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#111;background:#fff}
main{max-width:200mm;margin:0 auto;padding:10mm}
header{border-bottom:2px solid #111;padding-bottom:4px;margin-bottom:8px}
h1{font-size:15pt;margin:0}
h2{font-size:10.5pt;margin:0 0 3px;padding-bottom:1px;border-bottom:1px solid #999;text-transform:uppercase;letter-spacing:.04em}
.who{font-size:11.5pt;font-weight:600;margin:3px 0 0}
.meta,.more,.none,.note,footer{color:#444;font-size:8.5pt}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 14px}
section{margin-bottom:8px;break-inside:avoid}
p{margin:3px 0}
ul{margin:0;padding-left:14px}
li{margin:1px 0}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:1px 4px 1px 0;vertical-align:top;border-bottom:1px solid #e3e3e3}
th{font-size:8.5pt;color:#444;font-weight:600}
td.num{white-space:nowrap}
.flag{font-weight:700}
.abnormal{text-decoration:underline}
.critical{color:#b00020}
.warn{border:1px solid #b00020;padding:3px 6px;margin:6px 0;color:#b00020}
footer{border-top:1px solid #999;margin-top:8px;padding-top:4px}
footer ul{padding-left:14px}
@page{size:auto;margin:10mm}
@media print{main{max-width:none;padding:0}body{font-size:8pt;line-height:1.2;print-color-adjust:exact;-webkit-print-color-adjust:exact}th,td{padding:0 4px 0 0}section{margin-bottom:5px}}
`;

/** CSP hash of the inline stylesheet: the page may use it and nothing else. */
export const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;
export const SUMMARY_CSP = `default-src 'none'; style-src '${STYLE_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'`;

function who(summary: PatientSummary): string {
  const p = summary.patient;
  const parts = [
    p.birth_date
      ? `born ${p.birth_date}${p.age_years !== null ? ` (${p.age_years} years)` : ''}`
      : 'birth date not recorded',
    p.gender ? p.gender : 'sex not recorded',
  ];
  if (p.deceased) parts.push('deceased');
  return `<p class="who">${e(p.name ?? 'Name not recorded')}</p><p class="meta">${e(parts.join(' · '))}</p>`;
}

export function renderSummaryHtml(summary: PatientSummary): string {
  const B = LINE_BUDGET;
  const generated = summary.generated_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

  const problemDetails = (p: Problem) =>
    [
      p.onset ? `since ${day(p.onset)}` : null,
      p.verification_status && p.verification_status !== 'confirmed' ? p.verification_status : null,
      p.clinical_status && p.clinical_status !== 'active' ? p.clinical_status : null,
    ].filter(Boolean);
  const problems = fit(
    summary.problems,
    (p) => `${p.display} (${problemDetails(p).join(', ')})`,
    B.problems,
    HALF_LINE_CHARS,
  );
  const problemList = `<ul>${problems
    .map((p) => {
      const details = problemDetails(p);
      return `<li>${e(p.display)}${details.length ? ` <span class="note">(${e(details.join(', '))})</span>` : ''}</li>`;
    })
    .join('')}</ul>${more(summary.problems.length, problems.length, 'problems')}`;

  const medDetails = (m: Medication) =>
    [m.dosage, m.status && m.status !== 'active' ? m.status : null].filter(Boolean);
  const meds = fit(
    summary.medications,
    (m) => `${m.display} — ${medDetails(m).join('; ')}`,
    B.medications,
    HALF_LINE_CHARS,
  );
  const medList = `<ul>${meds
    .map((m) => {
      const details = medDetails(m);
      return `<li>${e(m.display)}${details.length ? ` <span class="note">— ${e(details.join('; '))}</span>` : ''}</li>`;
    })
    .join('')}</ul>${more(summary.medications.length, meds.length, 'medications')}`;

  const allergyDetails = (a: Allergy) => {
    const reactions = a.reactions
      .map((r) => [r.manifestations.join(', '), r.severity].filter(Boolean).join(', '))
      .filter(Boolean);
    return [
      a.criticality === 'high' ? 'high criticality' : null,
      reactions.length ? reactions.join('; ') : null,
      a.verification_status && a.verification_status !== 'confirmed' ? a.verification_status : null,
    ].filter(Boolean);
  };
  const allergies = fit(
    summary.allergies,
    (a) => `${a.display} (${allergyDetails(a).join('; ')})`,
    B.allergies,
    HALF_LINE_CHARS,
  );
  const allergyList = `<ul>${allergies
    .map((a) => {
      const details = allergyDetails(a);
      return `<li>${e(a.display)}${details.length ? ` <span class="note">(${e(details.join('; '))})</span>` : ''}</li>`;
    })
    .join('')}</ul>${more(summary.allergies.length, allergies.length, 'allergies')}`;

  const labs = fit(summary.labs, (l) => l.display, B.labs, LAB_NAME_CHARS);
  const labTable = `<table><thead><tr><th>Test</th><th>Result</th><th>Flag</th><th>Reference range</th><th>Date</th></tr></thead><tbody>${labs
    .map(
      (l) =>
        `<tr><td>${e(l.display)}</td><td class="num">${e(labValue(l))}</td><td>${labFlag(l)}</td><td class="num">${e(labRange(l))}</td><td class="num">${e(day(l.effective_text ?? l.effective_at))}</td></tr>`,
    )
    .join('')}</tbody></table>${more(summary.labs.length, labs.length, 'lab results')}`;

  const vitalDetails = (v: VitalReading) => [day(v.timestamp), v.classification?.label].filter(Boolean);
  const vitals = fit(
    summary.vitals.items,
    (v) => `${v.name}: ${vitalValue(v)} (${vitalDetails(v).join('; ')})`,
    B.vitals,
    HALF_LINE_CHARS,
  );
  const vitalList = `<ul>${vitals
    .map((v) => {
      const details = vitalDetails(v);
      return `<li>${e(v.name)}: <b>${e(vitalValue(v))}</b> <span class="note">(${e(details.join('; '))})</span></li>`;
    })
    .join('')}</ul>${more(summary.vitals.items.length, vitals.length, 'readings')}`;
  const vitalsSection =
    summary.vitals.status === 'unavailable'
      ? `<section><h2>Latest readings</h2><p class="warn">Not included: the health-tracking service did not answer (${e(summary.vitals.message ?? '')}).</p></section>`
      : section('Latest readings', vitalList, 'No readings recorded.', summary.vitals.items.length);

  const excluded = summary.excluded;
  const left = [
    excluded.problems
      ? `${excluded.problems} resolved, inactive, refuted or entered-in-error condition(s)`
      : null,
    excluded.medications
      ? `${excluded.medications} stopped, completed or cancelled medication record(s)`
      : null,
    excluded.allergies ? `${excluded.allergies} inactive, resolved or refuted allergy record(s)` : null,
  ].filter(Boolean);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(`Health summary — ${summary.patient.name ?? 'patient'} — ${generated.slice(0, 10)}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>Health summary</h1>
${who(summary)}
<p class="meta">Generated ${e(generated)} from the patient's own records (Personal Health Assistant). Not reviewed by a clinician.</p>
</header>
<div class="grid">
${section('Active problems', problemList, 'No active problems recorded.', summary.problems.length)}
${section('Current medications', medList, 'No current medications recorded.', summary.medications.length)}
${section('Allergies and intolerances', allergyList, 'No allergies recorded.', summary.allergies.length)}
${vitalsSection}
</div>
${section('Recent lab results (latest of each test)', labTable, 'No lab results recorded.', summary.labs.length)}
<footer>
<h2>Sources</h2>
<ul>${summary.sources.map((s) => `<li>${e(s.name)}: ${e(s.status)} — ${e(s.detail)}</li>`).join('')}</ul>
${left.length ? `<p>Not shown: ${e(left.join('; '))}.</p>` : ''}
<p>Lab flags (L, H, and critical LL/HH) are computed by this application from each result's reference range and published critical limits, not copied from the lab.</p>
</footer>
</main>
</body>
</html>
`;
}
