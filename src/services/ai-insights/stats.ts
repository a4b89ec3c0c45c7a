/**
 * Robust statistics for short health series, as plain functions. Every method is named with its source;
 * numbers in stats.test.ts are checked by hand or against SciPy.
 */

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1 in the denominator). */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

/**
 * Modified z-score of Iglewicz and Hoaglin: M = 0.6745 (x - median) / MAD, where 0.6745 is the 0.75
 * quantile of the standard normal, so M is on the z scale for normal data. |M| > 3.5 marks a potential
 * outlier (Iglewicz B, Hoaglin DC. How to Detect and Handle Outliers. ASQC Quality Press, 1993).
 * Undefined (null) when the MAD is 0: half the baseline is one value, and no spread is known.
 */
export function modifiedZ(x: number, baseline: readonly number[]): number | null {
  const spread = mad(baseline);
  if (!(spread > 0)) return null;
  return (0.6745 * (x - median(baseline))) / spread;
}
export const MODIFIED_Z_OUTLIER = 3.5;

export interface Point {
  x: number;
  y: number;
}

/**
 * Theil-Sen estimator: the median of the slopes of all pairs with distinct x (Theil 1950; Sen 1968),
 * with the intercept as the median of y - slope x. Robust to up to ~29 % outliers.
 */
export function theilSen(points: readonly Point[]): { slope: number; intercept: number } | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i += 1) {
    for (let j = i + 1; j < points.length; j += 1) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  if (slopes.length === 0) return null;
  const slope = median(slopes);
  return { slope, intercept: median(points.map((p) => p.y - slope * p.x)) };
}

const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

/** Sizes of the groups of equal values (only groups of 2 or more matter for the tie corrections). */
function tieGroups(xs: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts.values()].filter((t) => t > 1);
}

export interface MannKendall {
  n: number;
  /** Kendall's S: concordant minus discordant pairs in time order. */
  s: number;
  /** Variance of S with the correction for ties, times the autocorrelation factor when applied. */
  variance: number;
  z: number;
  /** Two-sided p-value from the normal approximation (adequate for n >= 10). */
  p: number;
  /** Hamed-Rao n/n*: 1 for the plain test. */
  correction: number;
}

/**
 * Mann-Kendall trend test (Mann 1945; Kendall 1975): S = sum over i < j of sign(y_j - y_i), with
 * Var(S) = [n(n-1)(2n+5) - sum over ties t(t-1)(2t+5)] / 18, the continuity-corrected
 * Z = (S - sign(S)) / sqrt(Var(S)) and p = 2(1 - Phi(|Z|)). `ys` must be in time order.
 */
export function mannKendall(ys: readonly number[]): MannKendall {
  const n = ys.length;
  let s = 0;
  for (let i = 0; i < n; i += 1) for (let j = i + 1; j < n; j += 1) s += sign(ys[j]! - ys[i]!);
  const ties = tieGroups(ys).reduce((a, t) => a + t * (t - 1) * (2 * t + 5), 0);
  const variance = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  return withVariance(n, s, variance, 1);
}

function withVariance(n: number, s: number, variance: number, correction: number): MannKendall {
  const z = variance > 0 && s !== 0 ? (s - sign(s)) / Math.sqrt(variance) : 0;
  return { n, s, variance, z, p: twoSidedNormalP(z), correction };
}

/** Autocorrelation of `xs` at lags 1..maxLag (the usual estimator: full-series variance below). */
export function autocorrelations(xs: readonly number[], maxLag: number): number[] {
  const m = mean(xs);
  const denominator = xs.reduce((a, x) => a + (x - m) ** 2, 0);
  const out: number[] = [];
  for (let k = 1; k <= maxLag; k += 1) {
    let numerator = 0;
    for (let i = 0; i + k < xs.length; i += 1) numerator += (xs[i]! - m) * (xs[i + k]! - m);
    out.push(denominator > 0 ? numerator / denominator : 0);
  }
  return out;
}

/** Ranks 1..n, ties given their average rank. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const out = new Array<number>(xs.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.x === order[start]!.x) end += 1;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k += 1) out[order[k]!.i] = rank;
    start = end + 1;
  }
  return out;
}

/**
 * Mann-Kendall with the Hamed-Rao variance correction for autocorrelated data (Hamed KH, Rao AR. A
 * modified Mann-Kendall trend test for autocorrelated data. J Hydrol 1998;204:182-196): day-to-day
 * health values are serially correlated, which makes the plain test find trends too often. The series
 * is detrended with the Theil-Sen slope, ranked, and the rank autocorrelations r_k significant at 5 %
 * (|r_k| > 1.96 / sqrt(n)) give n/n* = 1 + 2 / (n(n-1)(n-2)) sum (n-k)(n-k-1)(n-k-2) r_k, which
 * multiplies Var(S). Here n/n* is never taken below 1 (conservative: negative autocorrelation does not
 * make a trend more significant than the plain test says).
 */
export function mannKendallHamedRao(points: readonly Point[]): MannKendall {
  const plain = mannKendall(points.map((p) => p.y));
  const n = points.length;
  const fit = theilSen(points);
  if (n < 3 || !fit) return plain;
  const detrended = ranks(points.map((p) => p.y - fit.slope * p.x));
  const bound = 1.959964 / Math.sqrt(n);
  let sum = 0;
  autocorrelations(detrended, n - 1).forEach((r, index) => {
    const k = index + 1;
    if (Math.abs(r) > bound) sum += (n - k) * (n - k - 1) * (n - k - 2) * r;
  });
  const correction = Math.max(1, 1 + (2 / (n * (n - 1) * (n - 2))) * sum);
  return withVariance(n, plain.s, plain.variance * correction, correction);
}

/**
 * erfc by the Chebyshev-fitted approximation of Press et al., Numerical Recipes (2nd ed., section 6.2):
 * fractional error below 1.2e-7 everywhere, plenty for p-values.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}

/** Two-sided p-value of a standard normal statistic: 2(1 - Phi(|z|)) = erfc(|z| / sqrt 2). */
export function twoSidedNormalP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/** ln Gamma(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms; about 15 significant digits). */
export function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const xm = x - 1;
  let a = c[0]!;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i += 1) a += c[i]! / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function, by the modified Lentz method. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2). */
export function twoSidedStudentP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

export interface Correlation {
  n: number;
  rho: number;
  /** Two-sided p-value from t = rho sqrt((n-2)/(1-rho^2)) on n-2 degrees of freedom. */
  p: number;
}

/** Pearson's r. Null when either series has no spread. */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i += 1) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  if (!(sxx > 0 && syy > 0)) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rank correlation (Spearman C. The proof and measurement of association between two
 * things. Am J Psychol 1904;15:72-101): Pearson's r of the average ranks, which handles ties; its
 * p-value by the t approximation, as SciPy's spearmanr computes it. Null with fewer than 3 pairs or
 * no spread.
 */
export function spearman(xs: readonly number[], ys: readonly number[]): Correlation | null {
  const n = xs.length;
  if (n < 3 || ys.length !== n) return null;
  const rho = pearson(ranks(xs), ranks(ys));
  if (rho === null) return null;
  const clamped = Math.max(-1, Math.min(1, rho));
  const p =
    Math.abs(clamped) === 1 ? 0 : twoSidedStudentP(clamped * Math.sqrt((n - 2) / (1 - clamped ** 2)), n - 2);
  return { n, rho: clamped, p };
}
