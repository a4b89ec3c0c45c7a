import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../platform/db/db.js';
import { displayUnit, metricDef, type GlucoseContext, type MetricType } from './catalog.js';
import type { Classification } from './guidelines.js';
import { classify, seriesEligible, type Reading } from './readings.js';
import {
  Bucketer,
  DAY_MS,
  SLOT_MS,
  decodeSlots,
  emptyChunk,
  encodeSlots,
  indexOfTime,
  mergeIntoChunk,
  removeRange,
  slotAggregates,
  type Bucket,
  type BucketStats,
  type ChunkData,
} from './series.js';
import { dayString, formatInstant } from './time.js';
import { fromFloat4, resolveUnit } from './units.js';

export const SCHEMA = 'health_tracking';

export interface EntryRow {
  id: string;
  user_id: string;
  metric_type: MetricType;
  source: string;
  recorded_at: Date;
  utc_offset_minutes: number | null;
  value: number;
  value2: number | null;
  input_value: number;
  input_value2: number | null;
  input_unit: string;
  context: GlucoseContext | null;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

const ENTRY_COLUMNS = `id, user_id, metric_type, source, recorded_at, utc_offset_minutes, value, value2, input_value,
  input_value2, input_unit, context, notes, created_at, updated_at`;

/** One reading as the API shows it, from either storage. */
export interface MetricItem {
  id: string | null;
  metric_type: MetricType;
  value: number | { systolic: number; diastolic: number };
  unit: string;
  ucum_unit: string;
  canonical_value: number | { systolic: number; diastolic: number };
  canonical_unit: string;
  timestamp: string;
  source: string;
  context: GlucoseContext | null;
  notes: string | null;
  storage: 'entry' | 'series';
  classification: Classification | null;
  created_at: string | null;
  updated_at: string | null;
}

/** Sort key of a reading: its identity. Lists run newest first. */
export interface ItemKey {
  t: number;
  type: string;
  source: string;
}

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Descending order of (time, type, source); the database sorts the same way ("C" collation). */
export const compareDesc = (a: ItemKey, b: ItemKey) =>
  b.t - a.t || cmpStr(b.type, a.type) || cmpStr(b.source, a.source);

export function presentEntry(row: EntryRow): MetricItem {
  const def = metricDef(row.metric_type)!;
  const bp = def.kind === 'blood_pressure';
  return {
    id: row.id,
    metric_type: row.metric_type,
    value: bp ? { systolic: row.input_value, diastolic: row.input_value2! } : row.input_value,
    unit: row.input_unit,
    ucum_unit: resolveUnit(def, row.input_unit)?.ucum ?? row.input_unit,
    canonical_value: bp ? { systolic: row.value, diastolic: row.value2! } : row.value,
    canonical_unit: def.canonical,
    timestamp: formatInstant(row.recorded_at.getTime(), row.utc_offset_minutes),
    source: row.source,
    context: row.context,
    notes: row.notes,
    storage: 'entry',
    classification: classify(row.metric_type, row.value, row.value2, row.context),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function presentSample(
  type: MetricType,
  source: string,
  ms: number,
  v: number,
  tz: number,
): MetricItem {
  const def = metricDef(type)!;
  const value = fromFloat4(v);
  return {
    id: null,
    metric_type: type,
    value,
    unit: displayUnit(def),
    ucum_unit: def.canonical,
    canonical_value: value,
    canonical_unit: def.canonical,
    timestamp: formatInstant(ms, tz),
    source,
    context: null,
    notes: null,
    storage: 'series',
    classification: classify(type, value, null, null),
    created_at: null,
    updated_at: null,
  };
}

interface ChunkRow {
  metric_type: MetricType;
  source: string;
  day_num: number;
  t_ms: number[];
  v: number[];
  tz: number[];
}

const chunkData = (row: ChunkRow): ChunkData => ({ t: row.t_ms, v: row.v, tz: row.tz });
const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
const iso = (ms: number) => new Date(ms).toISOString();
const identity = (type: string, source: string, ms: number) => `${type}\u0000${source}\u0000${ms}`;
const chunkKey = (type: string, source: string, day: number) => `${type}\u0000${source}\u0000${day}`;

export interface ListFilter {
  types?: string[];
  source?: string;
  fromMs?: number;
  toMs?: number;
}

export interface IngestResult {
  created: number;
  duplicates: number;
  seriesSamples: number;
  entries: { index: number; id: string }[];
  /** Per metric type, what was added: for the events. */
  added: Map<
    MetricType,
    { count: number; fromMs: number; toMs: number; sources: Set<string>; entryIds: string[] }
  >;
}

/** The health-tracking service's SQL. Every statement is scoped to one user. */
export class HealthStore {
  constructor(private readonly db: Db) {}

  /**
   * Runs `fn` in a transaction holding this user's write lock, so that identity checks, chunk
   * read-modify-writes and idempotency keys of concurrent requests of one user never interleave.
   */
  forUser<T>(userId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('health-tracking'), hashtext($1))`, [userId]);
      return fn(tx);
    });
  }

  // ---- entries -----------------------------------------------------------------------------------

  async entry(userId: string, id: string, q: Queryable = this.db): Promise<EntryRow | undefined> {
    const { rows } = await q.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM ${SCHEMA}.entries WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0];
  }

  async entryByIdentity(
    q: Queryable,
    userId: string,
    type: string,
    source: string,
    ms: number,
  ): Promise<EntryRow | undefined> {
    const { rows } = await q.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM ${SCHEMA}.entries
       WHERE user_id = $1 AND recorded_at = $2 AND metric_type = $3 AND source = $4`,
      [userId, iso(ms), type, source],
    );
    return rows[0];
  }

  /** True when series storage holds a sample with this identity. */
  async sampleExists(
    q: Queryable,
    userId: string,
    type: string,
    source: string,
    ms: number,
  ): Promise<boolean> {
    const day = dayOf(ms);
    const { rows } = await q.query<{ t_ms: number[] }>(
      `SELECT t_ms FROM ${SCHEMA}.series_chunks WHERE user_id = $1 AND metric_type = $2 AND source = $3 AND day = $4`,
      [userId, type, source, dayString(day)],
    );
    return rows[0] !== undefined && indexOfTime(rows[0].t_ms, ms - day * DAY_MS) >= 0;
  }

  async insertEntry(q: Queryable, userId: string, r: Reading): Promise<EntryRow> {
    const { rows } = await q.query<EntryRow>(
      `INSERT INTO ${SCHEMA}.entries (id, user_id, metric_type, source, recorded_at, utc_offset_minutes, value, value2,
         input_value, input_value2, input_unit, context, notes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${ENTRY_COLUMNS}`,
      [uuidv7(), userId, ...entryValues(r)],
    );
    return rows[0]!;
  }

  async updateEntry(q: Queryable, userId: string, id: string, r: Reading): Promise<EntryRow> {
    const { rows } = await q.query<EntryRow>(
      `UPDATE ${SCHEMA}.entries SET metric_type = $3, source = $4, recorded_at = $5, utc_offset_minutes = $6,
         value = $7, value2 = $8, input_value = $9, input_value2 = $10, input_unit = $11, context = $12,
         notes = $13, updated_at = now()
       WHERE id = $1 AND user_id = $2 RETURNING ${ENTRY_COLUMNS}`,
      [id, userId, ...entryValues(r)],
    );
    return rows[0]!;
  }

  async deleteEntry(q: Queryable, userId: string, id: string): Promise<EntryRow | undefined> {
    const { rows } = await q.query<EntryRow>(
      `DELETE FROM ${SCHEMA}.entries WHERE id = $1 AND user_id = $2 RETURNING ${ENTRY_COLUMNS}`,
      [id, userId],
    );
    return rows[0];
  }

  // ---- batch ingest ------------------------------------------------------------------------------

  /**
   * Stores readings: plain device samples into series chunks, readings with notes, context or two values
   * into entries. A reading whose identity (type, source, instant) is already stored, in either storage
   * or earlier in the same batch, is a duplicate and adds nothing.
   */
  async ingest(tx: Queryable, userId: string, readings: readonly Reading[]): Promise<IngestResult> {
    const result: IngestResult = {
      created: 0,
      duplicates: 0,
      seriesSamples: 0,
      entries: [],
      added: new Map(),
    };
    // Each reading's day and chunk key, worked out once (batches of device samples are large).
    const seen = new Set<string>();
    const unique: { index: number; r: Reading; day: number; key: string }[] = [];
    let fromMs = Infinity;
    let toMs = -Infinity;
    readings.forEach((r, index) => {
      const id = identity(r.type, r.source, r.ms);
      if (seen.has(id)) result.duplicates += 1;
      else {
        seen.add(id);
        const day = dayOf(r.ms);
        unique.push({ index, r, day, key: chunkKey(r.type, r.source, day) });
        if (r.ms < fromMs) fromMs = r.ms;
        if (r.ms > toMs) toMs = r.ms;
      }
    });
    if (unique.length === 0) return result;

    // Entries already stored in the batch's time span, for these types (one index range scan, not one
    // probe per reading); their identities make the readings that match them duplicates.
    const inEntries = new Set<string>();
    const existing = await tx.query<{ metric_type: string; source: string; recorded_at: Date }>(
      `SELECT metric_type, source, recorded_at FROM ${SCHEMA}.entries
       WHERE user_id = $1 AND metric_type = ANY($2::text[]) AND recorded_at >= $3 AND recorded_at <= $4`,
      [userId, [...new Set(unique.map((u) => u.r.type))], iso(fromMs), iso(toMs)],
    );
    for (const row of existing.rows) {
      inEntries.add(identity(row.metric_type, row.source, row.recorded_at.getTime()));
    }

    const keys = new Map<string, { type: MetricType; source: string; day: number }>();
    for (const { r, day, key } of unique) {
      if (!keys.has(key)) keys.set(key, { type: r.type, source: r.source, day });
    }
    const keyList = [...keys.values()];
    const chunks = new Map<string, ChunkData>();
    const stored = await tx.query<ChunkRow>(
      `SELECT metric_type, source, day - DATE '1970-01-01' AS day_num, t_ms, v, tz FROM ${SCHEMA}.series_chunks
       WHERE user_id = $1 AND (metric_type, source, day) IN
         (SELECT * FROM unnest($2::text[], $3::text[], $4::date[]))`,
      [
        userId,
        keyList.map((k) => k.type),
        keyList.map((k) => k.source),
        keyList.map((k) => dayString(k.day)),
      ],
    );
    for (const row of stored.rows)
      chunks.set(chunkKey(row.metric_type, row.source, row.day_num), chunkData(row));

    const toSeries = new Map<string, { index: number; r: Reading }[]>();
    const toEntries: { index: number; r: Reading }[] = [];
    for (const u of unique) {
      const chunk = chunks.get(u.key);
      if (
        (inEntries.size > 0 && inEntries.has(identity(u.r.type, u.r.source, u.r.ms))) ||
        (chunk && indexOfTime(chunk.t, u.r.ms - u.day * DAY_MS) >= 0)
      ) {
        result.duplicates += 1;
      } else if (seriesEligible(u.r)) {
        const list = toSeries.get(u.key);
        if (list) list.push(u);
        else toSeries.set(u.key, [u]);
      } else {
        toEntries.push(u);
      }
    }

    const note = (r: Reading, entryId?: string, count = 1, fromMs = r.ms, toMs = r.ms) => {
      const a = result.added.get(r.type) ?? {
        count: 0,
        fromMs,
        toMs,
        sources: new Set<string>(),
        entryIds: [],
      };
      a.count += count;
      a.fromMs = Math.min(a.fromMs, fromMs);
      a.toMs = Math.max(a.toMs, toMs);
      a.sources.add(r.source);
      if (entryId) a.entryIds.push(entryId);
      result.added.set(r.type, a);
    };

    for (const [key, items] of toSeries) {
      const { type, source, day } = keys.get(key)!;
      const merged = mergeIntoChunk(
        chunks.get(key) ?? emptyChunk(),
        items.map(({ r }) => ({ t: r.ms - day * DAY_MS, v: r.value, tz: r.offsetMinutes ?? 0 })),
      );
      await this.writeChunk(tx, userId, type, source, day, merged.chunk);
      result.seriesSamples += merged.added;
      result.created += merged.added;
      result.duplicates += merged.duplicates;
      // One note per chunk: same type and source, so only the count and the time span add up.
      let first = Infinity;
      let last = -Infinity;
      for (const { r } of items) {
        if (r.ms < first) first = r.ms;
        if (r.ms > last) last = r.ms;
      }
      note(items[0]!.r, undefined, items.length, first, last);
    }

    if (toEntries.length > 0) {
      const ids = toEntries.map(() => uuidv7());
      const columns = toEntries.map(({ r }) => entryValues(r));
      const col = (i: number) => columns.map((c) => c[i]);
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO ${SCHEMA}.entries (id, user_id, metric_type, source, recorded_at, utc_offset_minutes, value,
           value2, input_value, input_value2, input_unit, context, notes)
         SELECT id, $2, metric_type, source, recorded_at, utc_offset_minutes, value, value2, input_value,
           input_value2, input_unit, context, notes
         FROM unnest($1::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::smallint[], $7::float8[],
           $8::float8[], $9::float8[], $10::float8[], $11::text[], $12::text[], $13::text[])
           AS x(id, metric_type, source, recorded_at, utc_offset_minutes, value, value2, input_value,
             input_value2, input_unit, context, notes)
         ON CONFLICT (user_id, recorded_at, metric_type, source) DO NOTHING
         RETURNING id`,
        [ids, userId, ...Array.from({ length: 11 }, (_, i) => col(i))],
      );
      const insertedIds = new Set(inserted.rows.map((row) => row.id));
      toEntries.forEach(({ index, r }, i) => {
        if (insertedIds.has(ids[i]!)) {
          result.entries.push({ index, id: ids[i]! });
          result.created += 1;
          note(r, ids[i]);
        } else {
          result.duplicates += 1;
        }
      });
    }
    return result;
  }

  private async writeChunk(
    tx: Queryable,
    userId: string,
    type: string,
    source: string,
    day: number,
    chunk: ChunkData,
  ): Promise<void> {
    if (chunk.t.length === 0) {
      await tx.query(
        `DELETE FROM ${SCHEMA}.series_chunks WHERE user_id = $1 AND metric_type = $2 AND source = $3 AND day = $4`,
        [userId, type, source, dayString(day)],
      );
      return;
    }
    await tx.query(
      `INSERT INTO ${SCHEMA}.series_chunks (user_id, metric_type, source, day, n, t_ms, v, tz, q, updated_at)
       VALUES ($1, $2, $3, $4::date, $5, $6::integer[], $7::real[], $8::smallint[], $9, now())
       ON CONFLICT (user_id, metric_type, source, day) DO UPDATE SET n = EXCLUDED.n, t_ms = EXCLUDED.t_ms,
         v = EXCLUDED.v, tz = EXCLUDED.tz, q = EXCLUDED.q, updated_at = now()`,
      [
        userId,
        type,
        source,
        dayString(day),
        chunk.t.length,
        chunk.t,
        chunk.v,
        chunk.tz,
        Buffer.from(encodeSlots(slotAggregates(chunk))),
      ],
    );
  }

  /** Removes series samples in [fromMs, toMs); returns how many, per metric type. */
  async deleteSamples(
    tx: Queryable,
    userId: string,
    filter: { type?: string; source?: string; fromMs: number; toMs: number },
  ): Promise<Map<string, number>> {
    const { rows } = await tx.query<ChunkRow>(
      `SELECT metric_type, source, day - DATE '1970-01-01' AS day_num, t_ms, v, tz FROM ${SCHEMA}.series_chunks
       WHERE user_id = $1 AND ($2::text IS NULL OR metric_type = $2) AND ($3::text IS NULL OR source = $3)
         AND day >= $4::date AND day <= $5::date`,
      [
        userId,
        filter.type ?? null,
        filter.source ?? null,
        dayString(dayOf(filter.fromMs)),
        dayString(dayOf(filter.toMs - 1)),
      ],
    );
    const removed = new Map<string, number>();
    for (const row of rows) {
      const start = row.day_num * DAY_MS;
      const cut = removeRange(chunkData(row), filter.fromMs - start, filter.toMs - start);
      if (cut.removed === 0) continue;
      await this.writeChunk(tx, userId, row.metric_type, row.source, row.day_num, cut.chunk);
      removed.set(row.metric_type, (removed.get(row.metric_type) ?? 0) + cut.removed);
    }
    return removed;
  }

  // ---- reading -----------------------------------------------------------------------------------

  /**
   * One page of readings, newest first, from both storages, strictly after `after` in that order.
   * Returns up to limit + 1 items so the caller knows whether there is more.
   */
  async list(
    userId: string,
    filter: ListFilter,
    after: ItemKey | undefined,
    limit: number,
  ): Promise<MetricItem[]> {
    const want = limit + 1;
    const types = filter.types && filter.types.length > 0 ? filter.types : null;
    const source = filter.source ?? null;
    const entryRows = await this.db.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM ${SCHEMA}.entries
       WHERE user_id = $1 AND ($2::text[] IS NULL OR metric_type = ANY($2::text[]))
         AND ($3::text IS NULL OR source = $3)
         AND ($4::timestamptz IS NULL OR recorded_at >= $4) AND ($5::timestamptz IS NULL OR recorded_at < $5)
         AND ($6::timestamptz IS NULL OR (recorded_at, metric_type, source) < ($6, $7::text, $8::text))
       ORDER BY recorded_at DESC, metric_type DESC, source DESC
       LIMIT $9`,
      [
        userId,
        types,
        source,
        filter.fromMs === undefined ? null : iso(filter.fromMs),
        filter.toMs === undefined ? null : iso(filter.toMs),
        after ? iso(after.t) : null,
        after?.type ?? null,
        after?.source ?? null,
        want,
      ],
    );
    const items: { key: ItemKey; item: () => MetricItem }[] = entryRows.rows.map((row) => ({
      key: { t: row.recorded_at.getTime(), type: row.metric_type, source: row.source },
      item: () => presentEntry(row),
    }));

    // Series: walk whole UTC days backwards until enough samples are collected.
    const ceilings = [
      filter.toMs === undefined ? Infinity : dayOf(filter.toMs - 1),
      after ? dayOf(after.t) : Infinity,
    ];
    let maxDay = Math.min(...ceilings);
    const minDay = filter.fromMs === undefined ? null : dayOf(filter.fromMs);
    let samples = 0;
    while (samples < want) {
      const days = await this.db.query<{ day_num: number }>(
        `SELECT DISTINCT day - DATE '1970-01-01' AS day_num FROM ${SCHEMA}.series_chunks
         WHERE user_id = $1 AND ($2::text[] IS NULL OR metric_type = ANY($2::text[]))
           AND ($3::text IS NULL OR source = $3)
           AND ($4::date IS NULL OR day <= $4::date) AND ($5::date IS NULL OR day >= $5::date)
         ORDER BY day_num DESC LIMIT 7`,
        [
          userId,
          types,
          source,
          Number.isFinite(maxDay) ? dayString(maxDay) : null,
          minDay === null ? null : dayString(minDay),
        ],
      );
      if (days.rows.length === 0) break;
      const dayNums = days.rows.map((d) => d.day_num);
      const chunks = await this.db.query<ChunkRow>(
        `SELECT metric_type, source, day - DATE '1970-01-01' AS day_num, t_ms, v, tz FROM ${SCHEMA}.series_chunks
         WHERE user_id = $1 AND ($2::text[] IS NULL OR metric_type = ANY($2::text[]))
           AND ($3::text IS NULL OR source = $3) AND day = ANY($4::date[])`,
        [userId, types, source, dayNums.map(dayString)],
      );
      for (const row of chunks.rows) {
        const start = row.day_num * DAY_MS;
        for (let i = 0; i < row.t_ms.length; i += 1) {
          const t = start + row.t_ms[i]!;
          if (filter.fromMs !== undefined && t < filter.fromMs) continue;
          if (filter.toMs !== undefined && t >= filter.toMs) continue;
          const key = { t, type: row.metric_type, source: row.source };
          if (after && compareDesc(after, key) >= 0) continue;
          const v = row.v[i]!;
          const tz = row.tz[i]!;
          items.push({ key, item: () => presentSample(row.metric_type, row.source, t, v, tz) });
          samples += 1;
        }
      }
      maxDay = dayNums[dayNums.length - 1]! - 1;
    }
    items.sort((a, b) => compareDesc(a.key, b.key));
    return items.slice(0, want).map((x) => x.item());
  }

  /** The newest reading of each metric type (or of one), from both storages. */
  async latest(userId: string, type?: string): Promise<MetricItem[]> {
    const entries = await this.db.query<EntryRow>(
      `SELECT DISTINCT ON (metric_type) ${ENTRY_COLUMNS} FROM ${SCHEMA}.entries
       WHERE user_id = $1 AND ($2::text IS NULL OR metric_type = $2)
       ORDER BY metric_type, recorded_at DESC, source DESC`,
      [userId, type ?? null],
    );
    const samples = await this.db.query<{
      metric_type: MetricType;
      source: string;
      day_num: number;
      t: number;
      v: number;
      tz: number;
    }>(
      // The newest day of each type comes from the primary key alone; only those chunks are read.
      `SELECT c.metric_type, c.source, c.day - DATE '1970-01-01' AS day_num, c.t_ms[c.n] AS t, c.v[c.n] AS v,
         c.tz[c.n] AS tz
       FROM ${SCHEMA}.series_chunks c
       JOIN (
         SELECT metric_type, max(day) AS day FROM ${SCHEMA}.series_chunks
         WHERE user_id = $1 AND ($2::text IS NULL OR metric_type = $2) GROUP BY metric_type
       ) m ON m.metric_type = c.metric_type AND m.day = c.day
       WHERE c.user_id = $1`,
      [userId, type ?? null],
    );
    const best = new Map<string, { key: ItemKey; item: () => MetricItem }>();
    const offer = (key: ItemKey, item: () => MetricItem) => {
      const current = best.get(key.type);
      if (!current || compareDesc(key, current.key) < 0) best.set(key.type, { key, item });
    };
    for (const row of entries.rows) {
      offer({ t: row.recorded_at.getTime(), type: row.metric_type, source: row.source }, () =>
        presentEntry(row),
      );
    }
    for (const row of samples.rows) {
      const t = row.day_num * DAY_MS + row.t;
      offer({ t, type: row.metric_type, source: row.source }, () =>
        presentSample(row.metric_type, row.source, t, row.v, row.tz),
      );
    }
    return [...best.values()].map((b) => b.item()).sort((a, b) => cmpStr(a.metric_type, b.metric_type));
  }

  /**
   * Time buckets of one metric over [fromMs, toMs) in time zone `tz`: count, min, max and sum (and the
   * same of the second value, diastolic, for blood pressure). The database gives the bucket boundaries
   * (its time zone rules); whole quarter-hours come from the chunks' packed pre-aggregates, and only the
   * chunks holding a boundary off the quarter-hour grid (the range's ends, as a rule) are read sample by
   * sample. Entries are read one by one.
   */
  async summary(
    userId: string,
    type: string,
    opts: { fromMs: number; toMs: number; bucket: Bucket; tz: string; source?: string },
  ): Promise<BucketStats[]> {
    const { fromMs, toMs } = opts;
    const boundaries = await this.db.query<{ ms: number; offset_minutes: number }>(
      opts.bucket === 'hour'
        ? // Hours step in absolute time, so a repeated local hour (end of summer time) is its own bucket.
          `SELECT (extract(epoch FROM b) * 1000)::float8 AS ms,
             (extract(epoch FROM (b AT TIME ZONE $3) - (b AT TIME ZONE 'UTC')) / 60)::integer AS offset_minutes
           FROM generate_series(date_trunc('hour', $1::timestamptz, $3), $2::timestamptz - interval '1 microsecond',
             interval '1 hour') AS b
           ORDER BY b`
        : // Days, weeks (from Monday) and months step in local time.
          `SELECT (extract(epoch FROM b) * 1000)::float8 AS ms,
             (extract(epoch FROM (b AT TIME ZONE $3) - (b AT TIME ZONE 'UTC')) / 60)::integer AS offset_minutes
           FROM (
             SELECT DISTINCT g AT TIME ZONE $3 AS b
             FROM generate_series(date_trunc($4, $1::timestamptz AT TIME ZONE $3), $2::timestamptz AT TIME ZONE $3,
               ('1 ' || $4)::interval) AS g
           ) x
           WHERE b < $2::timestamptz
           ORDER BY b`,
      opts.bucket === 'hour'
        ? [iso(fromMs), iso(toMs), opts.tz]
        : [iso(fromMs), iso(toMs), opts.tz, opts.bucket],
    );
    const starts = boundaries.rows.map((r) => r.ms);
    const bucketer = new Bucketer(
      starts,
      boundaries.rows.map((r) => r.offset_minutes),
    );
    // Chunks whose quarter-hours do not all fall wholly inside one bucket and inside the range.
    const rawDays = new Set<number>();
    for (const edge of [fromMs, toMs, ...starts.filter((b) => b > fromMs)]) {
      if (edge % SLOT_MS !== 0) rawDays.add(dayOf(edge));
    }
    const rawDayList = [...rawDays].map(dayString);
    // base64 text: PGlite decodes bytea in JavaScript far more slowly than Buffer decodes base64.
    const chunks = await this.db.query<{
      day_num: number;
      q: string;
      t_ms: number[] | null;
      v: number[] | null;
    }>(
      `SELECT day - DATE '1970-01-01' AS day_num, encode(q, 'base64') AS q,
         CASE WHEN day = ANY($6::date[]) THEN t_ms END AS t_ms, CASE WHEN day = ANY($6::date[]) THEN v END AS v
       FROM ${SCHEMA}.series_chunks
       WHERE user_id = $1 AND metric_type = $2 AND ($3::text IS NULL OR source = $3)
         AND day >= $4::date AND day <= $5::date`,
      [userId, type, opts.source ?? null, dayString(dayOf(fromMs)), dayString(dayOf(toMs - 1)), rawDayList],
    );
    for (const row of chunks.rows) {
      const d0 = row.day_num * DAY_MS;
      if (row.t_ms && row.v) {
        for (let i = 0; i < row.t_ms.length; i += 1) {
          const t = d0 + row.t_ms[i]!;
          if (t < fromMs || t >= toMs) continue;
          const v = Math.fround(row.v[i]!);
          bucketer.add(t, 1, v, v, v);
        }
        continue;
      }
      const agg = decodeSlots(Buffer.from(row.q, 'base64'));
      for (let i = 0; i < agg.slot.length; i += 1) {
        const t = d0 + agg.slot[i]! * SLOT_MS;
        if (t < fromMs || t + SLOT_MS > toMs) continue;
        bucketer.add(t, agg.n[i]!, agg.min[i]!, agg.max[i]!, agg.sum[i]!);
      }
    }
    const entries = await this.db.query<{ recorded_at: Date; value: number; value2: number | null }>(
      `SELECT recorded_at, value, value2 FROM ${SCHEMA}.entries
       WHERE user_id = $1 AND metric_type = $2 AND ($3::text IS NULL OR source = $3)
         AND recorded_at >= $4 AND recorded_at < $5`,
      [userId, type, opts.source ?? null, iso(fromMs), iso(toMs)],
    );
    for (const e of entries.rows) {
      const second = e.value2 === null ? undefined : { min: e.value2, max: e.value2, sum: e.value2 };
      bucketer.add(e.recorded_at.getTime(), 1, e.value, e.value, e.value, second);
    }
    return bucketer.results();
  }

  // ---- account -----------------------------------------------------------------------------------

  async exportMetrics(userId: string) {
    const entries = await this.db.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM ${SCHEMA}.entries WHERE user_id = $1 ORDER BY recorded_at, metric_type, source`,
      [userId],
    );
    const chunks = await this.db.query<ChunkRow>(
      `SELECT metric_type, source, day - DATE '1970-01-01' AS day_num, t_ms, v, tz FROM ${SCHEMA}.series_chunks
       WHERE user_id = $1 ORDER BY metric_type, source, day`,
      [userId],
    );
    return {
      entries: entries.rows.map(presentEntry),
      // Device series, one element per (type, source, UTC day), in columns to keep years of samples readable.
      series: chunks.rows.map((row) => {
        const def = metricDef(row.metric_type)!;
        return {
          metric_type: row.metric_type,
          source: row.source,
          unit: def.canonical,
          day: dayString(row.day_num),
          offsets_ms: row.t_ms,
          values: row.v.map(fromFloat4),
          utc_offsets_minutes: row.tz,
        };
      }),
    };
  }

  async eraseAll(tx: Queryable, userId: string): Promise<void> {
    for (const table of ['entries', 'series_chunks', 'symptoms', 'goals', 'idempotency_keys']) {
      await tx.query(`DELETE FROM ${SCHEMA}.${table} WHERE user_id = $1`, [userId]);
    }
  }
}

/** Parameters 3-13 of an entry row (after id and user id), in column order. */
function entryValues(r: Reading): unknown[] {
  return [
    r.type,
    r.source,
    iso(r.ms),
    r.offsetMinutes,
    r.value,
    r.value2,
    r.inputValue,
    r.inputValue2,
    r.inputUnit,
    r.context,
    r.notes,
  ];
}
