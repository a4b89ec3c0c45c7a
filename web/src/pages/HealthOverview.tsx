import { useEffect, useState } from 'react';
import { asApiError } from '../components/Form';
import { Chart } from '../components/Chart';
import {
  canonicalValue,
  ClassBadge,
  converted,
  enteredValue,
  CONTEXT_SHORT,
  sourceText,
  unitName,
  lower,
} from '../components/Health';
import { startOfDay, type Formatters, type Preferences } from '../format';
import { health, type Catalog, type Reading, type Summary } from '../health';
import { NORMAL_RANGES } from '../ranges';
import { Link } from '../router';
import { DashboardInsights } from './Insights';

/** The dashboard's health part: latest readings, charts over a chosen period, and insights. */
export function HealthOverview({
  catalog,
  prefs,
  fmt,
}: {
  catalog: Catalog;
  prefs: Preferences;
  fmt: Formatters;
}) {
  const [latest, setLatest] = useState<Reading[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    health.latest().then(
      ({ items }) => {
        if (!live) return;
        const order = new Map(catalog.items.map((m, i) => [m.metric_type, i]));
        setLatest(
          [...items].sort((a, b) => (order.get(a.metric_type) ?? 99) - (order.get(b.metric_type) ?? 99)),
        );
      },
      (err: unknown) => live && setError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, [catalog]);

  return (
    <>
      <section aria-labelledby="latest-title" className="section">
        <h2 id="latest-title">Latest readings</h2>
        {error ? <p role="alert">{error}</p> : null}
        {!latest && !error ? <p>Loading your latest readings…</p> : null}
        {latest && latest.length === 0 ? (
          <div className="card">
            <p>
              You have not logged any readings yet. Each one you log shows up here, with its guideline class.
            </p>
            <p>
              <Link to="/log" className="button">
                Log your first reading
              </Link>
            </p>
          </div>
        ) : null}
        {latest && latest.length > 0 ? (
          <ul className="vitals">
            {latest.map((r) => (
              <LatestCard key={r.metric_type} reading={r} catalog={catalog} fmt={fmt} />
            ))}
          </ul>
        ) : null}
      </section>

      {latest && latest.length > 0 ? (
        <Trends types={latest.map((r) => r.metric_type)} catalog={catalog} prefs={prefs} fmt={fmt} />
      ) : null}

      <section aria-labelledby="insights-title" className="section">
        <h2 id="insights-title">Insights</h2>
        <DashboardInsights fmt={fmt} />
      </section>
    </>
  );
}

function LatestCard({ reading, catalog, fmt }: { reading: Reading; catalog: Catalog; fmt: Formatters }) {
  const info = catalog.byType.get(reading.metric_type);
  const titleId = `latest-${reading.metric_type}`;
  return (
    <li className="card vital" aria-labelledby={titleId} data-metric={reading.metric_type}>
      <h3 id={titleId} className="vital__name">
        {info?.name ?? reading.metric_type}
      </h3>
      <p className="vital__value">{enteredValue(reading, fmt)}</p>
      {converted(reading) ? (
        <p className="vital__converted">{canonicalValue(reading, catalog, fmt)}</p>
      ) : null}
      {reading.classification ? (
        <p className="vital__class">
          <ClassBadge classification={reading.classification} />
          <span className="visually-hidden">, by the {info?.guideline}</span>
        </p>
      ) : null}
      <p className="vital__when">
        {fmt.dateTime(reading.timestamp)}
        {reading.context ? `, ${CONTEXT_SHORT[reading.context] ?? reading.context}` : ''}
        <br />
        {sourceText(reading.source)}
      </p>
      <p className="vital__link">
        <Link to={`/readings?type=${encodeURIComponent(reading.metric_type)}`}>
          All readings<span className="visually-hidden"> of {info ? lower(info.name) : ''}</span>
        </Link>
      </p>
    </li>
  );
}

export const PERIODS = [
  { days: 7, label: '7 days', words: 'the last 7 days' },
  { days: 30, label: '30 days', words: 'the last 30 days' },
  { days: 90, label: '90 days', words: 'the last 90 days' },
  { days: 365, label: '1 year', words: 'the last year' },
];

type Loaded = { type: string; summary: Summary } | { type: string; error: string };

function Trends({
  types,
  catalog,
  prefs,
  fmt,
}: {
  types: string[];
  catalog: Catalog;
  prefs: Preferences;
  fmt: Formatters;
}) {
  const [days, setDays] = useState(7);
  const [charts, setCharts] = useState<{ days: number; items: Loaded[] } | null>(null);
  const period = PERIODS.find((p) => p.days === days) ?? PERIODS[0]!;
  const key = types.join(',');

  useEffect(() => {
    let live = true;
    const now = Date.now();
    // Whole days in the user's time zone: today and the days before it.
    const from = new Date(startOfDay(now - (days - 1) * 86_400_000, prefs.timezone)).toISOString();
    const to = new Date(now).toISOString();
    // A week by the hour shows the day's rhythm; longer periods by the day, a year by the week.
    const bucket = days <= 7 ? 'hour' : days > 90 ? 'week' : 'day';
    Promise.all(
      key.split(',').map((type) =>
        health.summary({ metric_type: type, bucket, from, to, tz: prefs.timezone }).then(
          (summary): Loaded => ({ type, summary }),
          (err: unknown): Loaded => ({ type, error: asApiError(err).message }),
        ),
      ),
    ).then((items) => live && setCharts({ days, items }));
    return () => {
      live = false;
    };
  }, [key, days, prefs.timezone]);

  const loading = !charts || charts.days !== days;

  return (
    <section aria-labelledby="trends-title" className="section">
      <h2 id="trends-title">Over time</h2>
      <fieldset className="segmented">
        <legend>Period</legend>
        <div className="segmented__options">
          {PERIODS.map((p) => (
            <span key={p.days} className="segmented__option">
              <input
                type="radio"
                id={`period-${p.days}`}
                name="period"
                value={p.days}
                checked={days === p.days}
                onChange={() => setDays(p.days)}
              />
              <label htmlFor={`period-${p.days}`}>{p.label}</label>
            </span>
          ))}
        </div>
      </fieldset>
      <p className="hint" role="status">
        {loading ? 'Loading the charts…' : `Showing ${period.words}.`}
      </p>
      {charts ? (
        <div className="charts" aria-busy={loading}>
          {charts.items.map((item) => {
            const info = catalog.byType.get(item.type);
            if (!info) return null;
            return (
              <div className="card chart-card" key={item.type} data-chart={item.type}>
                {'error' in item ? (
                  <p role="alert">
                    {info.name}: {item.error}
                  </p>
                ) : (
                  <Chart
                    id={`chart-${item.type}`}
                    info={info}
                    summary={item.summary}
                    unit={unitName(catalog, item.type, item.summary.unit)}
                    normal={NORMAL_RANGES[item.type]}
                    fmt={fmt}
                    period={PERIODS.find((p) => p.days === charts.days)?.words ?? period.words}
                  />
                )}
              </div>
            );
          })}
        </div>
      ) : null}
    </section>
  );
}
