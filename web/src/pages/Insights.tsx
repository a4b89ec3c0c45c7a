import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../api';
import { asApiError, CheckboxField, Status } from '../components/Form';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import type { Formatters } from '../format';
import {
  insights as insightsApi,
  KIND_WORDS,
  SEVERITIES,
  SEVERITY_WORDS,
  SOURCE_NAMES,
  type Insight,
  type InsightList,
  type Severity,
} from '../insights';
import { Link } from '../router';
import { usePreferences } from '../setup';

const SEVERITY_TONE: Record<Severity, 'alert' | 'warn' | 'ok' | 'info'> = {
  high: 'alert',
  moderate: 'warn',
  low: 'ok',
  info: 'info',
};

/** The service is not run by this server: its paths answer 404 (an insight of someone else's is a 404 too, but not the list). */
const notServed = (error: ApiError) => error.status === 404;

/** Said when the server does not run the AI insights service: nothing stands in its place. */
export function InsightsNotAvailable() {
  return (
    <div className="card card--muted" data-testid="insights-unavailable">
      <p>
        <strong>Not available yet.</strong> Insights (what changed in your data and why it may matter) come
        from the AI insights service, which this server does not run yet. Until it does, nothing is shown
        here, and nothing is made up.
      </p>
      <p className="hint">
        What you see elsewhere is your own data: readings as you logged them, and guideline classes worked out
        from published thresholds.
      </p>
    </div>
  );
}

export function Insights() {
  const setup = usePreferences();
  return (
    <Page
      title="Insights"
      intro="What changed in your data and why it may matter. Each insight names the data it used and the rule, with its source, that it comes from."
    >
      <SetupGate setup={setup}>{({ fmt }) => <InsightsBody fmt={fmt} />}</SetupGate>
    </Page>
  );
}

type Loaded =
  { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ready'; list: InsightList };

function InsightsBody({ fmt }: { fmt: Formatters }) {
  const [showDismissed, setShowDismissed] = useState(false);
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [refreshing, setRefreshing] = useState(false);
  const [status, setStatus] = useState('');
  const [refreshError, setRefreshError] = useState('');

  useEffect(() => {
    let live = true;
    insightsApi.list(showDismissed).then(
      (list) => live && setLoaded({ status: 'ready', list }),
      (err: unknown) => live && setLoaded({ status: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, [showDismissed]);

  if (loaded.status === 'loading') return <p>Loading your insights…</p>;
  if (loaded.status === 'error') {
    return notServed(loaded.error) ? <InsightsNotAvailable /> : <p role="alert">{loaded.error.message}</p>;
  }
  const { list } = loaded;

  async function refresh() {
    setRefreshing(true);
    setRefreshError('');
    setStatus('');
    try {
      // The refresh answers the list as shown: with the dismissed ones when they are shown.
      const fresh = await insightsApi.refresh(showDismissed);
      setLoaded({ status: 'ready', list: fresh });
      const active = fresh.insights.filter((i) => i.status === 'active').length;
      setStatus(`Refreshed: ${active} ${active === 1 ? 'insight' : 'insights'}.`);
    } catch (err) {
      setRefreshError(asApiError(err).message);
    } finally {
      setRefreshing(false);
    }
  }

  const replace = (changed: Insight) =>
    setLoaded({
      status: 'ready',
      list: {
        ...list,
        insights: showDismissed
          ? list.insights.map((i) => (i.id === changed.id ? changed : i))
          : list.insights.filter((i) => i.id !== changed.id || changed.status === 'active'),
      },
    });

  const active = list.insights.filter((i) => i.status === 'active');
  const dismissed = list.insights.filter((i) => i.status === 'dismissed');

  return (
    <>
      <div className="card insights-bar">
        <p>
          Worked out {fmt.dateTime(list.generated_at)}.
          {list.stale ? (
            <strong> Your data has changed since: refresh to bring them up to date.</strong>
          ) : null}
        </p>
        <div className="actions">
          <button type="button" className="button" disabled={refreshing} onClick={() => void refresh()}>
            {refreshing ? 'Refreshing…' : 'Refresh insights'}
          </button>
        </div>
        <Unavailable list={list} />
        <CheckboxField
          form="insights"
          name="show_dismissed"
          label="Show dismissed insights"
          checked={showDismissed}
          onChange={setShowDismissed}
        />
        {refreshError ? <p role="alert">{refreshError}</p> : null}
        <Status>{status}</Status>
      </div>

      <p className="hint disclaimer">{list.disclaimer}</p>

      {list.narrative ? (
        <section className="card section narrative" aria-labelledby="narrative-title" data-testid="narrative">
          <h2 id="narrative-title">In a few words</h2>
          <p>{list.narrative.text}</p>
          <p className="hint">
            Written by a language model ({list.narrative.model}) on{' '}
            {fmt.dateTime(list.narrative.generated_at)} from the insights below, which are what it is based
            on. It can word things wrongly: the insights are the record.
          </p>
        </section>
      ) : null}

      {active.length === 0 ? (
        <p className="card" data-testid="no-insights">
          Nothing to point out right now. Insights appear as your readings, lab results and meals build up.
        </p>
      ) : (
        SEVERITIES.map((severity) => {
          const group = active.filter((i) => i.severity === severity);
          if (group.length === 0) return null;
          return (
            <section key={severity} className="section" aria-labelledby={`severity-${severity}`}>
              <h2 id={`severity-${severity}`}>
                {SEVERITY_WORDS[severity]} ({group.length})
              </h2>
              <ul className="entries">
                {group.map((i) => (
                  <InsightCard key={i.id} insight={i} fmt={fmt} onChanged={replace} onStatus={setStatus} />
                ))}
              </ul>
            </section>
          );
        })
      )}

      {showDismissed ? (
        <section className="section" aria-labelledby="dismissed-title">
          <h2 id="dismissed-title">Dismissed ({dismissed.length})</h2>
          {dismissed.length === 0 ? <p>None dismissed.</p> : null}
          <ul className="entries">
            {dismissed.map((i) => (
              <InsightCard key={i.id} insight={i} fmt={fmt} onChanged={replace} onStatus={setStatus} />
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

/** A figure the insight used, with its unit ("1" is a plain number: a ratio, a count, a statistic). */
function valueText(value: { value: number; unit: string }, fmt: Formatters): string {
  const unit = value.unit === '1' ? '' : value.unit === '%' ? '\u00a0%' : `\u00a0${value.unit}`;
  return `${fmt.figure(value.value)}${unit}`;
}

/** What a metric type names: a lab test (`loinc:2345-7`, with a link to its history) or a reading type. */
function MetricName({ type }: { type: string }) {
  const loinc = /^loinc:([0-9]{1,7}-[0-9])$/.exec(type)?.[1];
  if (loinc) return <Link to={`/labs/${loinc}`}>the history of this test</Link>;
  return <>{type.replace(/^lab:/, '').replace(/_/g, ' ')}</>;
}

/** Sources that could not be read at the last computation: named, so a gap is never silent. */
function Unavailable({ list }: { list: InsightList }) {
  const missing = list.sources.filter((s) => s.status === 'unavailable' || s.status === 'partial');
  if (missing.length === 0) return null;
  return (
    <div className="notice" data-testid="sources-unavailable">
      <p>
        Some of your data could not be read the last time these were worked out, so the insights from it may
        be behind:
      </p>
      <ul>
        {missing.map((s) => (
          <li key={s.service}>
            {SOURCE_NAMES[s.service] ?? s.service} ({s.status === 'partial' ? 'in part' : 'not at all'})
            {s.message ? `: ${s.message}` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

function InsightCard({
  insight,
  fmt,
  onChanged,
  onStatus,
}: {
  insight: Insight;
  fmt: Formatters;
  onChanged(i: Insight): void;
  onStatus(text: string): void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const e = insight.evidence;
  const values = Object.entries(e.values ?? {});
  const dismissed = insight.status === 'dismissed';

  async function act() {
    setBusy(true);
    setError('');
    try {
      const changed = dismissed
        ? await insightsApi.restore(insight.id)
        : await insightsApi.dismiss(insight.id);
      onChanged(changed);
      onStatus(
        dismissed
          ? `Restored: ${insight.title}.`
          : `Dismissed: ${insight.title}. “Show dismissed insights” brings it back.`,
      );
    } catch (err) {
      setError(asApiError(err).message);
      setBusy(false);
    }
  }

  return (
    <li
      className={`card entry insight insight--${insight.severity}`}
      data-testid="insight"
      data-severity={insight.severity}
    >
      <h3 ref={heading} tabIndex={-1} className="entry__title">
        {insight.title}
      </h3>
      <p className="entry__meta">
        <span className={`class-badge class-badge--${SEVERITY_TONE[insight.severity]}`}>
          {SEVERITY_WORDS[insight.severity]}
        </span>{' '}
        <span className="tag">{KIND_WORDS[insight.kind] ?? insight.kind.replace(/_/g, ' ')}</span>
        {dismissed ? (
          <span className="tag">
            dismissed{insight.dismissed_at ? ` ${fmt.date(insight.dismissed_at)}` : ''}
          </span>
        ) : null}
      </p>
      <p>{insight.explanation}</p>
      <details className="insight__evidence">
        <summary>The data it used and the rule</summary>
        <dl className="facts">
          <div>
            <dt>Data</dt>
            <dd>
              {e.sample_count} {e.sample_count === 1 ? 'value' : 'values'}
              {e.from === e.to
                ? `, ${fmt.dateTime(e.from)}`
                : ` from ${fmt.dateTime(e.from)} to ${fmt.dateTime(e.to)}`}
              {insight.metric_types.length > 0 ? (
                <>
                  {' ('}
                  {insight.metric_types.map((m, n) => (
                    <span key={m}>
                      {n > 0 ? ', ' : ''}
                      <MetricName type={m} />
                    </span>
                  ))}
                  {')'}
                </>
              ) : null}
            </dd>
          </div>
          {values.length > 0 ? (
            <div>
              <dt>Figures</dt>
              <dd>
                <ul className="insight__values">
                  {values.map(([key, value]) => (
                    <li key={key}>
                      {key.replace(/_/g, ' ')}: {valueText(value, fmt)}
                    </li>
                  ))}
                </ul>
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Rule</dt>
            <dd>{insight.rule.name}</dd>
          </div>
          <div>
            <dt>Source</dt>
            <dd className="citation">{insight.rule.citation}</dd>
          </div>
        </dl>
        {insight.kind === 'lab' && e.record_ids.length > 0 ? (
          <p>
            {e.record_ids.map((id, n) => (
              <Link key={id} to={`/records/${id}`} className="insight__record">
                The lab result{e.record_ids.length > 1 ? ` ${n + 1}` : ''}
              </Link>
            ))}
          </p>
        ) : null}
      </details>
      <div className="entry__actions">
        <button
          type="button"
          className="button button--secondary button--small"
          aria-label={`${dismissed ? 'Restore' : 'Dismiss'} “${insight.title}”`}
          disabled={busy}
          onClick={() => void act()}
        >
          {dismissed ? 'Restore' : 'Dismiss'}
        </button>
      </div>
      {error ? <p role="alert">{error}</p> : null}
    </li>
  );
}

/** The dashboard's view: how many insights of each importance, the most important first, or why there are none. */
export function DashboardInsights({ fmt }: { fmt: Formatters }) {
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    insightsApi.list(false).then(
      (list) => live && setLoaded({ status: 'ready', list }),
      (err: unknown) => live && setLoaded({ status: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, []);
  if (loaded.status === 'loading') return <p>Loading your insights…</p>;
  if (loaded.status === 'error') {
    return notServed(loaded.error) ? <InsightsNotAvailable /> : <p role="alert">{loaded.error.message}</p>;
  }
  const active = loaded.list.insights.filter((i) => i.status === 'active');
  const order = (i: Insight) => SEVERITIES.indexOf(i.severity);
  const top = [...active].sort((a, b) => order(a) - order(b)).slice(0, 3);
  return (
    <div className="card" data-testid="dashboard-insights">
      {active.length === 0 ? (
        <p>Nothing to point out right now (worked out {fmt.dateTime(loaded.list.generated_at)}).</p>
      ) : (
        <ul className="insight-summary">
          {top.map((i) => (
            <li key={i.id}>
              <span className={`class-badge class-badge--${SEVERITY_TONE[i.severity]}`}>
                {SEVERITY_WORDS[i.severity]}
              </span>{' '}
              {i.title}
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to="/insights">
          {active.length > top.length ? `All ${active.length} insights` : 'Your insights'}, with the data and
          the rules behind them
        </Link>
      </p>
    </div>
  );
}
