// The AI insights API as the web app uses it. Each insight names the data it used and the rule (with its
// citation) that produced it; the narrative, when there is one, is a language model's wording of them.
// A server that does not run the service answers 404 at these paths: the pages then say so, and show
// nothing in its place.
import { api } from './api';
import { query } from './health';

export const INSIGHTS = '/ai-insights/api/v1';

export const SEVERITIES = ['high', 'moderate', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type InsightKind = 'out_of_range' | 'trend' | 'anomaly' | 'correlation' | 'lab' | 'cgm';

export interface Insight {
  id: string;
  kind: InsightKind | string;
  title: string;
  explanation: string;
  severity: Severity;
  status: 'active' | 'dismissed';
  /** Health-tracking metric types, or `loinc:<code>` for a lab test. */
  metric_types: string[];
  evidence: {
    from: string;
    to: string;
    sample_count: number;
    /** Records used, where they have an id (entries, meals, medical records). */
    record_ids: string[];
    /** The figures behind the insight, each with its unit ("1" for a ratio or a statistic). */
    values: Record<string, { value: number; unit: string }>;
  };
  rule: { id: string; name: string; citation: string };
  dismissed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Source {
  service: string;
  /** partial or unavailable: insights from it are those of an earlier computation. */
  status: 'ok' | 'partial' | 'unavailable' | 'not_needed';
  message: string | null;
}

export interface InsightList {
  insights: Insight[];
  narrative: { text: string; model: string; generated_at: string } | null;
  generated_at: string;
  stale: boolean;
  sources: Source[];
  disclaimer: string;
}

export const SOURCE_NAMES: Record<string, string> = {
  'user-profile': 'your profile',
  'health-tracking': 'your readings',
  'medical-records': 'your medical records',
  nutrition: 'your meals',
};

export const SEVERITY_WORDS: Record<Severity, string> = {
  high: 'High importance',
  moderate: 'Moderate importance',
  low: 'Low importance',
  info: 'For information',
};

export const KIND_WORDS: Record<string, string> = {
  out_of_range: 'Outside the usual range',
  trend: 'Trend',
  anomaly: 'Unusual reading',
  correlation: 'Things that move together',
  lab: 'Lab result',
  cgm: 'Glucose monitoring',
};

const insight = (id: string, action: string) => `${INSIGHTS}/insights/${encodeURIComponent(id)}/${action}`;

export const insights = {
  list: (includeDismissed: boolean) =>
    api<InsightList>(
      'GET',
      `${INSIGHTS}/insights${query({ include_dismissed: includeDismissed ? 'true' : undefined })}`,
    ),
  refresh: (includeDismissed: boolean) =>
    api<InsightList>(
      'POST',
      `${INSIGHTS}/insights/refresh${query({ include_dismissed: includeDismissed ? 'true' : undefined })}`,
    ),
  dismiss: (id: string) => api<Insight>('POST', insight(id, 'dismiss')),
  restore: (id: string) => api<Insight>('POST', insight(id, 'restore')),
};
