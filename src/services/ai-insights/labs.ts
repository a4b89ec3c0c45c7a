import type { LabPoint, LabResult, UserData } from './gather.js';
import { fmt, q, type InsightDraft } from './insight.js';
import { localDate } from '../../platform/time.js';

/**
 * Lab results out of range, as the medical records service flags them (from the laboratory's reference
 * range and, for critical values, the cited critical limits), with their direction from the analyte's
 * history. The latest result of each analyte counts; a new result is a new finding.
 */
const FLAG_TEXT: Record<LabResult['flag'], string> = {
  H: 'above the reference range',
  L: 'below the reference range',
  HH: 'critically high',
  LL: 'critically low',
};

function valueText(v: LabPoint['value']): string {
  if (!v) return 'a result';
  return `${fmt(v.value, 2)}${v.unit ? ` ${v.unit}` : v.code ? ` ${v.code}` : ''}`;
}

/** The previous numeric result in the same unit, oldest-first history. */
function previousOf(result: LabResult): LabPoint | undefined {
  const history = result.history ?? [];
  const index = history.findIndex((p) => p.record_id === result.record_id);
  const earlier = (
    index >= 0 ? history.slice(0, index) : history.filter((p) => p.effective_at < result.effective_at)
  )
    .filter(
      (p) =>
        p.value &&
        result.value &&
        (p.value.code ?? p.value.unit) === (result.value.code ?? result.value.unit),
    )
    .reverse();
  return earlier[0];
}

export function labInsights(data: UserData): InsightDraft[] {
  if (!data.labs) return [];
  return data.labs.results.map((r) => {
    const critical = r.critical || r.flag === 'HH' || r.flag === 'LL';
    const when = localDate(Date.parse(r.effective_at), data.tz);
    const previous = previousOf(r);
    const history = r.history ?? [];
    const outOfRange = history.filter((p) => p.flag !== null && p.flag !== 'N').length;
    let direction = '';
    const values: Record<string, ReturnType<typeof q>> = {};
    const unit = r.value?.code ?? r.value?.unit ?? '1';
    if (r.value) values.value = q(r.value.value, unit);
    if (previous?.value && r.value) {
      const delta = r.value.value - previous.value.value;
      values.previous_value = q(previous.value.value, unit);
      values.change_from_previous = q(delta, unit);
      direction =
        ` The previous result was ${valueText(previous.value)} on ${localDate(Date.parse(previous.effective_at), data.tz)}` +
        `${previous.flag ? ` (${previous.flag})` : ''}: ${delta === 0 ? 'the same' : delta > 0 ? 'it has gone up' : 'it has gone down'}` +
        `${delta === 0 ? '' : ` by ${fmt(Math.abs(delta), 2)}`}.`;
    }
    if (history.length > 1) {
      values.results_in_history = q(history.length, '1');
      values.results_out_of_range = q(outOfRange, '1');
      direction += ` ${outOfRange} of your ${history.length} results of this test were out of range.`;
    }
    const reference = r.reference_text ? ` (reference range ${r.reference_text})` : '';
    const criticalText = critical
      ? ` It is beyond the critical limit for urgent notification${r.critical_source ? ` (${r.critical_source.split('.')[0]})` : ''}; discuss it with your clinician promptly.`
      : ' Discuss it with your clinician if it has not been already.';
    return {
      fingerprint: `lab.flags:${r.loinc ?? r.display}:${r.flag}:${r.record_id}`,
      kind: 'lab' as const,
      severity: critical ? ('high' as const) : ('low' as const),
      title: `${r.display}: ${FLAG_TEXT[r.flag]} (${valueText(r.value)})`,
      explanation:
        `Your result of ${valueText(r.value)} on ${when} is ${FLAG_TEXT[r.flag]}${reference}, as flagged by ` +
        `the medical records service (flag ${r.flag}).${direction}${criticalText}`,
      metric_types: [r.loinc ? `loinc:${r.loinc}` : `lab:${r.display}`],
      evidence: {
        from: history[0]?.effective_at ?? r.effective_at,
        to: r.effective_at,
        sample_count: Math.max(1, history.length),
        record_ids: history.length > 0 ? history.map((p) => p.record_id) : [r.record_id],
        values,
      },
      rule: {
        id: 'lab.flags',
        name: 'Lab result outside its reference range (HL7 interpretation flags)',
        citation:
          "Flags computed by the medical records service from the laboratory's reference range" +
          (r.critical_source ? `; critical limits: ${r.critical_source}` : ''),
      },
      depends_on: ['medical-records' as const],
    };
  });
}
