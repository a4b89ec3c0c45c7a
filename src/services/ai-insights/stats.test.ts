import { describe, expect, it } from 'vitest';
import {
  autocorrelations,
  erfc,
  incompleteBeta,
  lnGamma,
  mad,
  mannKendall,
  mannKendallHamedRao,
  median,
  modifiedZ,
  ranks,
  sampleSd,
  spearman,
  theilSen,
  twoSidedNormalP,
  twoSidedStudentP,
} from './stats.js';

// Reference values: by hand where the arithmetic is short, otherwise from SciPy 1.17 (noted).

describe('median, MAD and the modified z-score', () => {
  it('computes them by hand', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    // [1,2,3,4,100]: median 3; |x - 3| = [2,1,0,1,97], whose median is 1.
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    // 0.6745 * (10 - 3) / 1
    expect(modifiedZ(10, [1, 2, 3, 4, 100])).toBeCloseTo(4.7215, 10);
    expect(modifiedZ(3, [1, 2, 3, 4, 100])).toBe(0);
  });

  it('is undefined when half the baseline is one value (MAD 0)', () => {
    expect(modifiedZ(80, [60, 60, 60, 61, 75])).toBeNull();
  });

  it('sample SD uses n - 1', () => {
    // [2,4,4,4,5,5,7,9]: mean 5, squares sum 32, 32/7
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sampleSd([1])).toBe(0);
  });
});

describe('Theil-Sen', () => {
  it('takes the median pairwise slope and the median intercept', () => {
    // Pair slopes of (0,0),(1,1),(2,2),(3,10): 1, 1, 10/3, 1, 4, 8 -> median (1 + 10/3) / 2 = 13/6.
    const fit = theilSen([
      { x: 0, y: 0 },
      { x: 1, y: 1 },
      { x: 2, y: 2 },
      { x: 3, y: 10 },
    ])!;
    expect(fit.slope).toBeCloseTo(13 / 6, 12);
    // y - slope x = 0, -7/6, -14/6, 10 - 39/6 = 21/6 -> median of the middle two = (-7/6 + 0) / 2
    expect(fit.intercept).toBeCloseTo(-7 / 12, 12);
  });

  it('ignores an outlier that moves least squares', () => {
    const points = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => ({ x, y: 2 * x + 1 }));
    points[4] = { x: 5, y: 100 };
    expect(theilSen(points)!.slope).toBe(2);
  });

  it('needs two distinct x', () => {
    expect(theilSen([{ x: 1, y: 2 }])).toBeNull();
    expect(
      theilSen([
        { x: 1, y: 2 },
        { x: 1, y: 3 },
      ]),
    ).toBeNull();
  });
});

describe('Mann-Kendall', () => {
  it('matches the hand computation for a monotone series', () => {
    // S = 10; Var = 5*4*15/18 = 16.667; Z = 9 / sqrt(16.667) = 2.2045; p = 0.027486 (SciPy norm.sf)
    const r = mannKendall([1, 2, 3, 4, 5]);
    expect(r.s).toBe(10);
    expect(r.variance).toBeCloseTo(50 / 3, 12);
    expect(r.z).toBeCloseTo(2.2045408, 6);
    expect(r.p).toBeCloseTo(0.0274863, 6);
  });

  it('corrects the variance for ties', () => {
    // [1,2,2,3]: S = 5; Var = (4*3*13 - 2*1*9) / 18 = 7.667; Z = 4 / 2.769 = 1.44463; p = 0.148562
    const r = mannKendall([1, 2, 2, 3]);
    expect(r.s).toBe(5);
    expect(r.variance).toBeCloseTo(23 / 3, 12);
    expect(r.z).toBeCloseTo(1.4446302, 6);
    expect(r.p).toBeCloseTo(0.1485618, 6);
  });

  it('finds nothing in a flat series', () => {
    expect(mannKendall([3, 3, 3, 3])).toMatchObject({ s: 0, z: 0, p: 1 });
  });

  it('Hamed-Rao widens the variance of an autocorrelated series', () => {
    // A slow oscillation with a small upward drift (40 points, one decimal).
    const ys = Array.from({ length: 40 }, (_, i) => Math.round((10 * Math.sin(i / 4) + 0.15 * i) * 10) / 10);
    const points = ys.map((y, x) => ({ x, y }));
    const plain = mannKendall(ys);
    const corrected = mannKendallHamedRao(points);
    // Reference from the paper's formula in NumPy/SciPy (rankdata, norm.sf): S = 111, Var(S) = 7363.667,
    // Theil-Sen slope 0.1291796, n/n* = 2.8432042, p 0.1998866 plain and 0.4471207 corrected.
    expect(plain.s).toBe(111);
    expect(plain.variance).toBeCloseTo(7363.6667, 3);
    expect(plain.p).toBeCloseTo(0.1998866, 5);
    expect(theilSen(points)!.slope).toBeCloseTo(0.1291796, 6);
    expect(corrected.correction).toBeCloseTo(2.8432042, 6);
    expect(corrected.p).toBeCloseTo(0.4471207, 5);
  });

  it('Hamed-Rao leaves a series without significant autocorrelation as the plain test', () => {
    const ys = [5, 1, 4, 2, 6, 3, 7, 2, 8, 4, 9, 5];
    const r = mannKendallHamedRao(ys.map((y, x) => ({ x, y })));
    expect(r.correction).toBe(1);
    expect(r.p).toBe(mannKendall(ys).p);
  });
});

describe('ranks and autocorrelation', () => {
  it('gives ties their average rank', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it('computes the lag-1 autocorrelation by hand', () => {
    // [1,2,3,4]: mean 2.5; deviations -1.5,-0.5,0.5,1.5; lag 1: 0.75 - 0.25 + 0.75 = 1.25; sum of squares 5
    expect(autocorrelations([1, 2, 3, 4], 1)[0]).toBeCloseTo(0.25, 12);
  });
});

describe('distribution functions', () => {
  it('erfc and the normal p-value match SciPy', () => {
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-0.5)).toBeCloseTo(1.520499878, 7);
    expect(erfc(2.5)).toBeCloseTo(0.000406952, 9);
    expect(twoSidedNormalP(1.959964)).toBeCloseTo(0.05, 6);
    expect(twoSidedNormalP(3)).toBeCloseTo(0.0026998, 6);
  });

  it('ln Gamma and the incomplete beta match SciPy', () => {
    expect(lnGamma(0.5)).toBeCloseTo(0.5723649429247, 11); // ln sqrt(pi)
    expect(lnGamma(10)).toBeCloseTo(12.801827480081469, 11); // ln 9!
    expect(lnGamma(3.7)).toBeCloseTo(1.428072326665388, 11);
    expect(incompleteBeta(0.4, 2, 3)).toBeCloseTo(0.5248, 12);
    expect(incompleteBeta(0.9, 0.5, 5)).toBeCloseTo(0.9999974294103009, 12);
  });

  it("Student's t two-sided p matches tables and SciPy", () => {
    expect(twoSidedStudentP(2.228, 10)).toBeCloseTo(0.0500118, 6); // the 5 % critical value for df 10
    expect(twoSidedStudentP(2.0, 10)).toBeCloseTo(0.073388, 6);
    expect(twoSidedStudentP(1, 1)).toBeCloseTo(0.5, 12); // Cauchy: P(|T| > 1) = 1/2
    expect(twoSidedStudentP(3.5, 3)).toBeCloseTo(0.039481, 6);
    expect(twoSidedStudentP(0.7, 40)).toBeCloseTo(0.4879788, 6);
  });
});

describe('Spearman', () => {
  it('matches SciPy spearmanr with ties', () => {
    const r = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])!;
    expect(r.rho).toBeCloseTo(0.8207826817, 9);
    expect(r.p).toBeCloseTo(0.0885870053, 8);
  });

  it('matches SciPy spearmanr on ten pairs', () => {
    const r = spearman(
      [3.1, 1.2, 5.5, 2.2, 4.8, 6.0, 0.5, 7.7, 3.3, 2.9],
      [30, 25, 41, 22, 40, 52, 20, 55, 36, 31],
    )!;
    expect(r.rho).toBeCloseTo(0.9757575758, 9);
    expect(r.p).toBeCloseTo(1.467546e-6, 10);
  });

  it('is undefined without spread or with too few pairs', () => {
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNull();
    expect(spearman([1, 2], [3, 4])).toBeNull();
  });
});
