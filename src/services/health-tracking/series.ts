/**
 * Series chunks (see STORAGE.md): the samples of one user, metric type and source on one UTC day, kept
 * as parallel arrays sorted by time, with pre-aggregates per quarter-hour. Plain functions, no SQL.
 */
export const DAY_MS = 86_400_000;
/**
 * Pre-aggregates are per 15 minutes: every UTC offset in use today is a multiple of 15 minutes (IANA tz
 * database: e.g. +05:45 Nepal, +08:45 Eucla, +12:45 Chatham), so hour, day, week and month buckets in any
 * time zone are unions of whole quarter-hours.
 */
export const SLOT_MS = 15 * 60_000;

export interface ChunkData {
  /** Milliseconds since the chunk's UTC midnight, strictly ascending. */
  t: number[];
  /** Canonical values, as stored (float4). */
  v: number[];
  /** Original UTC offset of each sample, in minutes. */
  tz: number[];
}

export interface SlotAggregates {
  slot: number[];
  n: number[];
  min: number[];
  max: number[];
  sum: number[];
}

export interface Sample {
  t: number;
  v: number;
  tz: number;
}

export const emptyChunk = (): ChunkData => ({ t: [], v: [], tz: [] });

/** Count, min, max and sum of the samples in each non-empty quarter-hour of a chunk. */
export function slotAggregates(chunk: ChunkData): SlotAggregates {
  const out: SlotAggregates = { slot: [], n: [], min: [], max: [], sum: [] };
  for (let i = 0; i < chunk.t.length; i += 1) {
    const slot = Math.floor(chunk.t[i]! / SLOT_MS);
    // Aggregate the values as the database holds them (float4), so both views agree.
    const v = Math.fround(chunk.v[i]!);
    const last = out.slot.length - 1;
    if (last >= 0 && out.slot[last] === slot) {
      out.n[last]! += 1;
      out.sum[last]! += v;
      if (v < out.min[last]!) out.min[last] = v;
      if (v > out.max[last]!) out.max[last] = v;
    } else {
      out.slot.push(slot);
      out.n.push(1);
      out.min.push(v);
      out.max.push(v);
      out.sum.push(v);
    }
  }
  return out;
}

/** Index of `t` in the sorted offsets, or -1. */
export function indexOfTime(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = times[mid]!;
    if (x === t) return mid;
    if (x < t) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Merges samples into a chunk. A sample whose time is already there (the same source record sent again)
 * is a duplicate and changes nothing; the first of several incoming samples at one time wins.
 */
export function mergeIntoChunk(
  chunk: ChunkData,
  incoming: readonly Sample[],
): { chunk: ChunkData; added: number; duplicates: number } {
  const sorted = [...incoming].sort((a, b) => a.t - b.t);
  const out = emptyChunk();
  let i = 0;
  let j = 0;
  let added = 0;
  let duplicates = 0;
  const push = (t: number, v: number, tz: number) => {
    out.t.push(t);
    out.v.push(v);
    out.tz.push(tz);
  };
  while (i < chunk.t.length || j < sorted.length) {
    const existing = i < chunk.t.length ? chunk.t[i]! : Infinity;
    const next = sorted[j];
    if (next !== undefined && out.t.length > 0 && out.t[out.t.length - 1] === next.t) {
      duplicates += 1;
      j += 1;
    } else if (next === undefined || existing < next.t) {
      push(existing, chunk.v[i]!, chunk.tz[i]!);
      i += 1;
    } else if (existing === next.t) {
      push(existing, chunk.v[i]!, chunk.tz[i]!);
      i += 1;
      duplicates += 1;
      j += 1;
    } else {
      push(next.t, next.v, next.tz);
      added += 1;
      j += 1;
    }
  }
  return { chunk: out, added, duplicates };
}

/** Removes the samples in [fromT, toT) (offsets within the chunk). */
export function removeRange(
  chunk: ChunkData,
  fromT: number,
  toT: number,
): { chunk: ChunkData; removed: number } {
  const out = emptyChunk();
  for (let i = 0; i < chunk.t.length; i += 1) {
    const t = chunk.t[i]!;
    if (t >= fromT && t < toT) continue;
    out.t.push(t);
    out.v.push(chunk.v[i]!);
    out.tz.push(chunk.tz[i]!);
  }
  return { chunk: out, removed: chunk.t.length - out.t.length };
}

/**
 * The quarter-hour aggregates of a chunk packed into bytes (column `q`): k = length / 21 non-empty
 * quarter-hours as little-endian arrays one after another: k x uint8 slot (0-95), k x uint32 count,
 * k x float32 min, k x float32 max, k x float64 sum. One value decodes faster than five SQL arrays.
 */
export const SLOT_BYTES = 21;

export function encodeSlots(agg: SlotAggregates): Uint8Array {
  const k = agg.slot.length;
  const bytes = new Uint8Array(k * SLOT_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < k; i += 1) {
    view.setUint8(i, agg.slot[i]!);
    view.setUint32(k + 4 * i, agg.n[i]!, true);
    view.setFloat32(5 * k + 4 * i, agg.min[i]!, true);
    view.setFloat32(9 * k + 4 * i, agg.max[i]!, true);
    view.setFloat64(13 * k + 8 * i, agg.sum[i]!, true);
  }
  return bytes;
}

export function decodeSlots(bytes: Uint8Array): SlotAggregates {
  if (bytes.length % SLOT_BYTES !== 0) throw new Error('corrupt quarter-hour aggregates');
  const k = bytes.length / SLOT_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SlotAggregates = { slot: [], n: [], min: [], max: [], sum: [] };
  for (let i = 0; i < k; i += 1) {
    out.slot.push(view.getUint8(i));
    out.n.push(view.getUint32(k + 4 * i, true));
    out.min.push(view.getFloat32(5 * k + 4 * i, true));
    out.max.push(view.getFloat32(9 * k + 4 * i, true));
    out.sum.push(view.getFloat64(13 * k + 8 * i, true));
  }
  return out;
}

export const BUCKETS = ['hour', 'day', 'week', 'month'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** The most buckets one summary may have (a year of hours fits: 8,784). */
export const MAX_BUCKETS = 10_000;

const NOMINAL_MS: Record<Bucket, number> = {
  hour: 3_600_000,
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: 28 * DAY_MS,
};

/** An upper bound on the number of buckets [from, to) spans (months counted as 28 days). */
export function bucketCountBound(fromMs: number, toMs: number, bucket: Bucket): number {
  return Math.ceil((toMs - fromMs) / NOMINAL_MS[bucket]) + 1;
}

export interface Stats {
  count: number;
  min: number;
  max: number;
  sum: number;
}

/** Combines bucket statistics into one (for the overall figures of a summary). */
export function combineStats(parts: readonly Stats[]): Stats | null {
  if (parts.length === 0) return null;
  return parts.reduce((a, b) => ({
    count: a.count + b.count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    sum: a.sum + b.sum,
  }));
}

export interface BucketStats extends Stats {
  startMs: number;
  /** UTC offset of the bucket start in the summary's time zone, in minutes. */
  offsetMinutes: number;
  /** Second value (diastolic) statistics, when the metric has one. */
  min2: number | null;
  max2: number | null;
  sum2: number | null;
}

/**
 * Accumulates values into time buckets given by their start instants (ascending; each bucket ends where
 * the next starts, the last at the summary's end). Values before the first start are ignored.
 */
export class Bucketer {
  private readonly acc: (BucketStats | undefined)[];

  constructor(
    private readonly starts: readonly number[],
    private readonly offsets: readonly number[],
  ) {
    this.acc = new Array(starts.length);
  }

  /** Index of the bucket holding instant t, or -1. */
  indexOf(t: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Adds `count` values starting at instant t, with their min, max and sum (and the second value's). */
  add(
    t: number,
    count: number,
    min: number,
    max: number,
    sum: number,
    second?: { min: number; max: number; sum: number },
  ): void {
    const i = this.indexOf(t);
    if (i < 0 || count === 0) return;
    const b = this.acc[i];
    if (!b) {
      this.acc[i] = {
        startMs: this.starts[i]!,
        offsetMinutes: this.offsets[i]!,
        count,
        min,
        max,
        sum,
        min2: second?.min ?? null,
        max2: second?.max ?? null,
        sum2: second?.sum ?? null,
      };
      return;
    }
    b.count += count;
    b.sum += sum;
    if (min < b.min) b.min = min;
    if (max > b.max) b.max = max;
    if (second) {
      b.min2 = b.min2 === null ? second.min : Math.min(b.min2, second.min);
      b.max2 = b.max2 === null ? second.max : Math.max(b.max2, second.max);
      b.sum2 = (b.sum2 ?? 0) + second.sum;
    }
  }

  /** The buckets that received values, in time order. */
  results(): BucketStats[] {
    return this.acc.filter((b): b is BucketStats => b !== undefined);
  }
}
