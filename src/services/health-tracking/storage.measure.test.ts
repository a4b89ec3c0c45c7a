/**
 * Measurement, not run by default: HT_MEASURE=1 npx vitest run src/services/health-tracking/storage.measure
 * Ingests a year of minute-level heart rate for one user through the batch API, then reports the bytes
 * per sample on disk (pg_total_relation_size: heap, TOAST and indexes) and the time of year summaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerAndLogin, startTestApp, type TestApp } from '../../test-support/harness.js';
import { heartRateDay } from './test-data.js';

const DAYS = Number(process.env.HT_MEASURE_DAYS ?? 365);
let t: TestApp;

describe.skipIf(!process.env.HT_MEASURE)('storage measurement', () => {
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(8 * 1024 * 1024) });
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`stores ${DAYS} days of minute heart rate compactly and summarises them fast`, async () => {
    const user = await registerAndLogin(t.app);
    const start = Date.UTC(2023, 0, 1);
    let items: unknown[] = [];
    let samples = 0;
    const ingestStarted = performance.now();
    const flush = async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/health-tracking/api/v1/metrics/batch',
        headers: bearer(user.accessToken),
        payload: { items },
      });
      expect(res.statusCode, res.body.slice(0, 500)).toBe(201);
      items = [];
    };
    for (let d = 0; d < DAYS; d += 1) {
      for (const s of heartRateDay(start + d * 86_400_000, d)) {
        items.push({
          metric_type: 'heart_rate',
          value: s.value,
          unit: 'bpm',
          timestamp: s.timestamp,
          source: 'watch',
        });
        samples += 1;
      }
      if (items.length >= 14_400) await flush();
    }
    if (items.length > 0) await flush();
    const ingestMs = performance.now() - ingestStarted;
    await t.db.query('VACUUM ANALYZE health_tracking.series_chunks');
    const size = await t.db.query<{ total: number; heap: number; toast: number; indexes: number }>(
      `SELECT pg_total_relation_size('health_tracking.series_chunks')::float8 AS total,
              pg_relation_size('health_tracking.series_chunks')::float8 AS heap,
              coalesce(pg_total_relation_size(reltoastrelid), 0)::float8 AS toast,
              pg_indexes_size('health_tracking.series_chunks')::float8 AS indexes
       FROM pg_class WHERE oid = 'health_tracking.series_chunks'::regclass`,
    );
    const row = size.rows[0]!;
    const summarise = async (bucket: string) => {
      const url =
        `/health-tracking/api/v1/metrics/summary?metric_type=heart_rate&bucket=${bucket}&tz=Europe/Paris` +
        `&from=2023-01-01T00:00:00Z&to=${new Date(start + DAYS * 86_400_000).toISOString()}`;
      await t.app.inject({ method: 'GET', url, headers: bearer(user.accessToken) }); // warm
      const times: number[] = [];
      let body: { overall: { count: number }; buckets: unknown[] } | undefined;
      for (let i = 0; i < 5; i += 1) {
        const t0 = performance.now();
        const res = await t.app.inject({ method: 'GET', url, headers: bearer(user.accessToken) });
        times.push(performance.now() - t0);
        expect(res.statusCode).toBe(200);
        body = res.json();
      }
      times.sort((a, b) => a - b);
      return {
        bucket,
        median_ms: Math.round(times[2]! * 10) / 10,
        buckets: body!.buckets.length,
        count: body!.overall.count,
      };
    };
    const results = [
      await summarise('month'),
      await summarise('week'),
      await summarise('day'),
      await summarise('hour'),
    ];
    const report = {
      database: t.db.kind,
      days: DAYS,
      samples,
      ingest_seconds: Math.round(ingestMs / 100) / 10,
      bytes: row,
      bytes_per_sample: Math.round((row.total / samples) * 100) / 100,
      summaries: results,
    };
    console.error(JSON.stringify(report, null, 2));
    expect(row.total / samples).toBeLessThan(32);
    for (const r of results) expect(r.count).toBe(samples);
  }, 600_000);
});
