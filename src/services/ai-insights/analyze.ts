import type { UserData } from './gather.js';
import { cgmInsights, findCgm, mealGlucoseInsights } from './glucose-rules.js';
import type { InsightDraft } from './insight.js';
import { labInsights } from './labs.js';
import { anomalyInsights, sleepHeartRateInsights, trendInsights } from './series-rules.js';
import { bloodPressureInsights, bmiInsights, glucoseReadingInsights } from './vitals.js';

/** Every rule over the gathered data: plain functions of their input, no I/O. */
export function analyze(data: UserData): InsightDraft[] {
  const cgm = findCgm(data);
  const drafts = [
    ...bloodPressureInsights(data),
    ...glucoseReadingInsights(data, cgm?.source ?? null),
    ...bmiInsights(data),
    ...cgmInsights(data, cgm),
    ...mealGlucoseInsights(data),
    ...trendInsights(data),
    ...anomalyInsights(data),
    ...sleepHeartRateInsights(data),
    ...labInsights(data),
  ];
  // One insight per fingerprint (the first rule to claim it wins).
  const seen = new Set<string>();
  return drafts.filter((d) => !seen.has(d.fingerprint) && seen.add(d.fingerprint));
}
