import { useEffect, useState } from 'react';
import { asApiError } from '../components/Form';
import { ChartFigure, Swatch, TimePlot, type PlotPoint } from '../components/Chart';
import { FlagBadge, quantityText, rangeText, RecordsNav, unitOf } from '../components/MedicalParts';
import { Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import type { Formatters } from '../format';
import { records, type LabHistory, type LabPoint } from '../records';
import { Link } from '../router';
import { usePreferences } from '../setup';
import { RecordList } from './Records';

export function Labs() {
  const setup = usePreferences();
  return (
    <Page
      title="Lab results"
      intro="Your lab results, newest first, each with its flag and the lab’s reference range."
    >
      <RecordsNav />
      <section className="card card--muted flag-key" aria-labelledby="flags-title">
        <h2 id="flags-title">What the flags mean</h2>
        <p>
          This server works out each flag itself, from the result and the reference range the lab sent with it
          (for your sex and age, where the lab gives several), and from published critical limits for a few
          tests. A flag the lab sent is kept, but not used.
        </p>
        <ul className="flag-list">
          <li>
            <FlagBadge flag="N" />: inside the reference range
          </li>
          <li>
            <FlagBadge flag="L" /> or <FlagBadge flag="H" />: below or above the reference range
          </li>
          <li>
            <FlagBadge flag="LL" /> or <FlagBadge flag="HH" />: beyond a critical limit, a value that labs
            report to a doctor at once
          </li>
        </ul>
      </section>
      <SetupGate setup={setup}>
        {({ prefs, fmt }) => <RecordList prefs={prefs} fmt={fmt} fixedType="lab" />}
      </SetupGate>
    </Page>
  );
}

// ---- one test over time ----------------------------------------------------------------------------

type Loaded =
  { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; history: LabHistory };

export function LabHistoryPage({ loinc }: { loinc: string }) {
  const setup = usePreferences();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    records.labHistory(loinc).then(
      (history) => live && setLoaded({ status: 'ready', history }),
      (err: unknown) => live && setLoaded({ status: 'error', message: asApiError(err).message }),
    );
    return () => {
      live = false;
    };
  }, [loinc]);
  const name = loaded.status === 'ready' && loaded.history.display ? loaded.history.display : `Test ${loinc}`;
  return (
    <Page title={name} intro={`Every result of this test (LOINC ${loinc}) in your records, oldest first.`}>
      <RecordsNav />
      {loaded.status === 'loading' ? <p>Loading the results…</p> : null}
      {loaded.status === 'error' ? <p role="alert">{loaded.message}</p> : null}
      {loaded.status === 'ready' ? (
        <SetupGate setup={setup}>
          {({ fmt }) =>
            loaded.history.points.length === 0 ? (
              <p>
                No results of this test in your records. <Link to="/labs">All your lab results</Link>
              </p>
            ) : (
              <LabTrend history={loaded.history} name={name} fmt={fmt} />
            )
          }
        </SetupGate>
      ) : null}
    </Page>
  );
}

const unitKey = (point: LabPoint) => unitOf(point.value).toLowerCase();

/**
 * The results in the unit of the latest one, charted with the latest result's reference range shaded and
 * the critical limits (where they are in that unit) as dashed lines; every result, in any unit, in the table.
 */
function LabTrend({ history, name, fmt }: { history: LabHistory; name: string; fmt: Formatters }) {
  const numeric = history.points.filter((p) => p.value);
  const latest = numeric[numeric.length - 1];
  const unit = latest ? unitOf(latest.value) : '';
  const charted = latest ? numeric.filter((p) => unitKey(p) === unitKey(latest)) : [];
  const others = numeric.length - charted.length;
  const range = latest?.flags?.reference_range ?? null;
  const sameUnit = (q: { unit: string | null; code: string | null } | null) =>
    !q || !unitOf(q) || unitOf(q).toLowerCase() === unit.toLowerCase();
  const shadedRange =
    range && (range.low || range.high) && sameUnit(range.low) && sameUnit(range.high) ? range : null;
  const limits = latest?.flags?.critical_limits ?? null;
  const limitsHere = limits && limits.unit.toLowerCase() === unit.toLowerCase() ? limits : null;
  // A critical limit is drawn where it is near the results (within the span of the results and the
  // reference range): one far away (glucose's 26.9 mmol/L) would squash the results into a line.
  const near = [
    ...charted.map((p) => p.value!.value),
    ...(shadedRange ? [shadedRange.low?.value, shadedRange.high?.value] : []),
  ].filter((v): v is number => typeof v === 'number');
  const drawnLimits = [limitsHere?.low, limitsHere?.high].filter(
    (v): v is number => typeof v === 'number' && v >= Math.min(...near) && v <= Math.max(...near),
  );

  const points: PlotPoint[] = charted.map((p) => {
    const flag = p.flags?.flag;
    return {
      ms: Date.parse(p.effective_at),
      mean: p.value!.value,
      min: p.value!.value,
      max: p.value!.value,
      ...(flag && flag !== 'N' ? { mark: flag } : {}),
    };
  });
  // The time axis runs a little beyond the first and last results (a month at least, for one result).
  const first = points[0]?.ms ?? Date.now();
  const last = points[points.length - 1]?.ms ?? first;
  const span = Math.max(last - first, 30 * 86_400_000);
  const pad = span * 0.06 + (last === first ? span / 2 : 0);
  const id = `lab-${history.loinc}`;

  return (
    <>
      <div className="card chart-card" data-chart={`lab-${history.loinc}`}>
        {points.length === 0 ? (
          <ChartFigure
            id={id}
            title={name}
            unit=""
            summary="No result of this test has a number to chart."
            empty
          />
        ) : (
          <ChartFigure id={id} title={name} unit={unit} summary={describeTrend(charted, others, unit, fmt)}>
            <TimePlot
              labelledBy={`${id}-title ${id}-desc`}
              fromMs={first - pad}
              toMs={last + pad}
              series={[{ key: 'value', className: 'main', points, allDots: true }]}
              shading={
                shadedRange || drawnLimits.length > 0
                  ? {
                      low: shadedRange?.low?.value ?? null,
                      high: shadedRange?.high?.value ?? null,
                      limits: drawnLimits,
                    }
                  : undefined
              }
              fmt={fmt}
              floor={Math.min(...points.map((p) => p.min)) >= 0 ? 0 : undefined}
            />
            <div className="chart__legend">
              <ul className="legend">
                <li>
                  <Swatch className="chart__series--main chart__line" /> Result
                </li>
                {points.some((p) => p.mark) ? (
                  <li>
                    Letters above a point: its flag (L low, H high, LL critically low, HH critically high)
                  </li>
                ) : null}
              </ul>
              {shadedRange ? (
                <p className="chart__source">
                  <Swatch className="chart__normal" /> Shaded: the reference range the lab gave with the
                  latest result, {rangeText(shadedRange, fmt)}.
                </p>
              ) : (
                <p className="chart__source">
                  No range is shaded: the latest result came without one in this unit.
                </p>
              )}
              {limitsHere && drawnLimits.length > 0 ? (
                <p className="chart__source">
                  <Swatch className="chart__limit" /> Dashed {drawnLimits.length === 1 ? 'line' : 'lines'}:
                  critical {drawnLimits.length === 1 ? 'limit' : 'limits'},{' '}
                  {drawnLimits
                    .map((v) => `${v === limitsHere.low ? 'below' : 'above'} ${fmt.exact(v)} ${unit}`)
                    .join(' and ')}
                  . <span className="chart__cite">Source: {limitsHere.source}.</span>
                </p>
              ) : null}
            </div>
          </ChartFigure>
        )}
      </div>
      <section className="section" aria-labelledby="results-title">
        <h2 id="results-title">Every result</h2>
        <div className="table-scroll" role="region" aria-labelledby="results-title" tabIndex={0}>
          <table className="figures" data-testid="lab-history">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Result</th>
                <th scope="col">Flag</th>
                <th scope="col">Reference range</th>
              </tr>
            </thead>
            <tbody>
              {[...history.points].reverse().map((p) => (
                <tr key={p.record_id}>
                  <th scope="row" className="nowrap">
                    <Link to={`/records/${p.record_id}`}>{fmt.date(p.effective_at)}</Link>
                  </th>
                  <td>{p.value ? quantityText(p.value, fmt) : (p.value_text ?? 'no value')}</td>
                  <td>{p.flags?.flag ? <FlagBadge flag={p.flags.flag} short /> : (p.flags?.note ?? '–')}</td>
                  <td>{rangeText(p.flags?.reference_range ?? null, fmt) ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function describeTrend(points: LabPoint[], others: number, unit: string, fmt: Formatters): string {
  const latest = points[points.length - 1]!;
  const flag = latest.flags?.flag;
  const flagWords = flag ? ` (${flag === 'N' ? 'within the reference range' : flagWord(flag)})` : '';
  const values = points.map((p) => p.value!.value);
  const lead =
    points.length === 1
      ? `One result, ${quantityText(latest.value!, fmt)} on ${fmt.date(latest.effective_at)}${flagWords}.`
      : `${points.length} results from ${fmt.date(points[0]!.effective_at)} to ${fmt.date(latest.effective_at)}; ` +
        `lowest ${fmt.exact(Math.min(...values))}, highest ${fmt.exact(Math.max(...values))} ${unit}; latest ` +
        `${quantityText(latest.value!, fmt)}${flagWords}.`;
  const flagged = points.filter((p) => p.flags?.abnormal).length;
  const outside = flagged > 0 ? ` ${flagged} of them outside the reference range or a critical limit.` : '';
  const more =
    others > 0
      ? ` ${others} ${others === 1 ? 'result is' : 'results are'} in another unit: in the table, not on the chart.`
      : '';
  return `${lead}${outside}${more}`;
}

const flagWord = (flag: 'LL' | 'L' | 'H' | 'HH') =>
  ({ LL: 'critically low, LL', L: 'low, L', H: 'high, H', HH: 'critically high, HH' })[flag];
