/** What the rules produce: an insight before it is stored (no id, status or times yet). */

export const KINDS = ['out_of_range', 'trend', 'anomaly', 'correlation', 'lab', 'cgm'] as const;
export type Kind = (typeof KINDS)[number];

export const SEVERITIES = ['info', 'low', 'moderate', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The services insights are computed from. */
export const SOURCES = ['user-profile', 'health-tracking', 'medical-records', 'nutrition'] as const;
export type SourceName = (typeof SOURCES)[number];

/** A number never travels without its unit (UCUM; "1" for a plain ratio or statistic). */
export interface Quantity {
  value: number;
  unit: string;
}

export interface Evidence {
  from: string;
  to: string;
  sample_count: number;
  record_ids: string[];
  values: Record<string, Quantity>;
}

export interface Rule {
  id: string;
  name: string;
  citation: string;
}

export interface InsightDraft {
  /**
   * Stable identity across recomputations (rule id + metric + subject): a recomputed insight with the
   * same fingerprint keeps its id and its dismissed state; a changed finding gets a new one.
   */
  fingerprint: string;
  kind: Kind;
  severity: Severity;
  title: string;
  explanation: string;
  metric_types: string[];
  evidence: Evidence;
  rule: Rule;
  /** The services whose data it came from: kept as it was when one of them could not be read. */
  depends_on: SourceName[];
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, moderate: 2, high: 3 };

/** A number for people: at most `digits` decimals, no trailing zeros. */
export function fmt(value: number, digits = 1): string {
  const factor = 10 ** digits;
  const rounded = Math.round(value * factor) / factor;
  return (Object.is(rounded, -0) ? 0 : rounded).toLocaleString('en-US', {
    maximumFractionDigits: digits,
    useGrouping: false,
  });
}

/** A value for the evidence: 4 significant figures (float noise removed), with its unit. */
export function q(value: number, unit: string): Quantity {
  return { value: Number(value.toPrecision(4)), unit };
}

/** A p-value for people: "p < 0.001" or "p = 0.03". */
export function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${fmt(p, 3)}`;
}
