import { describe, expect, it } from 'vitest';
import {
  Bucketer,
  SLOT_MS,
  bucketCountBound,
  decodeSlots,
  encodeSlots,
  indexOfTime,
  mergeIntoChunk,
  removeRange,
  slotAggregates,
  type ChunkData,
} from './series.js';

const chunk = (pairs: [number, number][]): ChunkData => ({
  t: pairs.map(([t]) => t),
  v: pairs.map(([, v]) => v),
  tz: pairs.map(() => 0),
});

describe('series chunks', () => {
  it('merges samples in time order and drops re-sent ones', () => {
    const base = chunk([
      [0, 60],
      [120_000, 62],
    ]);
    const merged = mergeIntoChunk(base, [
      { t: 60_000, v: 61, tz: 60 },
      { t: 120_000, v: 99, tz: 0 }, // same record again: the stored value stays
      { t: 180_000, v: 63, tz: 0 },
      { t: 180_000, v: 64, tz: 0 }, // twice in one batch: the first wins
    ]);
    expect(merged.chunk.t).toEqual([0, 60_000, 120_000, 180_000]);
    expect(merged.chunk.v).toEqual([60, 61, 62, 63]);
    expect(merged.chunk.tz).toEqual([0, 60, 0, 0]);
    expect(merged).toMatchObject({ added: 2, duplicates: 2 });
    const again = mergeIntoChunk(merged.chunk, [{ t: 60_000, v: 61, tz: 60 }]);
    expect(again).toMatchObject({ added: 0, duplicates: 1 });
    expect(indexOfTime(merged.chunk.t, 120_000)).toBe(2);
    expect(indexOfTime(merged.chunk.t, 5)).toBe(-1);
  });

  it('removes a time range', () => {
    const { chunk: left, removed } = removeRange(
      chunk([
        [0, 1],
        [1000, 2],
        [2000, 3],
      ]),
      1000,
      2000,
    );
    expect(left.t).toEqual([0, 2000]);
    expect(removed).toBe(1);
  });

  it('aggregates per quarter-hour and packs the aggregates losslessly', () => {
    const c = chunk([
      [0, 60],
      [60_000, 70],
      [SLOT_MS - 1, 65],
      [SLOT_MS, 80],
      [5 * SLOT_MS + 10, 99.0858],
    ]);
    const agg = slotAggregates(c);
    expect(agg.slot).toEqual([0, 1, 5]);
    expect(agg.n).toEqual([3, 1, 1]);
    expect(agg.min[0]).toBe(60);
    expect(agg.max[0]).toBe(70);
    expect(agg.sum[0]).toBe(195);
    expect(agg.min[2]).toBe(Math.fround(99.0858));
    expect(decodeSlots(encodeSlots(agg))).toEqual(agg);
    expect(encodeSlots(agg).length).toBe(3 * 21);
  });
});

describe('bucketing', () => {
  it('puts values in the bucket whose start precedes them', () => {
    const day = 86_400_000;
    const b = new Bucketer([0, day, 2 * day], [60, 60, 60]);
    b.add(-1, 1, 5, 5, 5); // before the first bucket: ignored
    b.add(10, 1, 60, 60, 60);
    b.add(day - 1, 2, 70, 80, 150);
    b.add(2 * day + 5, 1, 90, 90, 90, { min: 60, max: 60, sum: 60 });
    expect(b.results()).toEqual([
      {
        startMs: 0,
        offsetMinutes: 60,
        count: 3,
        min: 60,
        max: 80,
        sum: 210,
        min2: null,
        max2: null,
        sum2: null,
      },
      {
        startMs: 2 * day,
        offsetMinutes: 60,
        count: 1,
        min: 90,
        max: 90,
        sum: 90,
        min2: 60,
        max2: 60,
        sum2: 60,
      },
    ]);
    expect(b.indexOf(day)).toBe(1);
  });

  it('bounds the number of buckets of a range', () => {
    const year = 365 * 86_400_000;
    expect(bucketCountBound(0, year, 'hour')).toBe(8761);
    expect(bucketCountBound(0, year, 'day')).toBe(366);
    expect(bucketCountBound(0, 2 * year, 'hour')).toBeGreaterThan(10_000);
  });
});
