import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { localInputValue, zonedIso, type Formatters } from '../format';
import type { BucketSize, MetricInfo, Stat, Summary, SummaryBucket } from '../health';
import { lower } from './Health';
import type { NormalRange } from '../ranges';

// Charts over time, drawn by hand in SVG: the mean of each time bucket as a line, its lowest and
// highest readings as a band, and the normal range (where one exists) shaded, with the range's source
// named beneath. The same figures are given as text and as a table for people who cannot see the
// picture. `TimePlot` draws the picture; `Chart` is a health metric's summary, and other pages (a lab's
// history) frame the same plot with their own words and table.

const HEIGHT = 220;
const MARGIN = { top: 12, right: 12, bottom: 30, left: 44 };
const HALF_BUCKET: Record<BucketSize, number> = {
  hour: 30 * 60_000,
  day: 12 * 3_600_000,
  week: 3.5 * 86_400_000,
  month: 15 * 86_400_000,
};
const BUCKET_WORD: Record<BucketSize, string> = {
  hour: 'Hour',
  day: 'Day',
  week: 'Week from',
  month: 'Month',
};

/** The width an element is laid out at, following it as it changes. */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    setWidth(element.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setWidth(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * Round steps (1, 2, 2.5, 5 x 10^n) for about `count` intervals over [low, high], and the domain
 * widened to whole steps so that both ends of the axis carry a label.
 */
export function niceScale(
  low: number,
  high: number,
  count = 5,
): { low: number; high: number; ticks: number[] } {
  if (!(high > low)) return { low: low - 1, high: high + 1, ticks: [low] };
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const first = Math.floor(low / step) * step;
  const last = Math.ceil(high / step) * step;
  const ticks: number[] = [];
  for (let t = first; t <= last + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return { low: first, high: last, ticks };
}

interface Series {
  key: string;
  stats: (b: SummaryBucket) => Stat | undefined;
  className: string;
  label: string;
}

const scalarStats = (b: SummaryBucket): Stat | undefined =>
  b.mean === undefined || b.min === undefined || b.max === undefined
    ? undefined
    : { mean: b.mean, min: b.min, max: b.max };

function seriesOf(info: MetricInfo): Series[] {
  if (info.kind === 'blood_pressure') {
    return [
      { key: 'systolic', stats: (b) => b.systolic, className: 'sys', label: 'Systolic' },
      { key: 'diastolic', stats: (b) => b.diastolic, className: 'dia', label: 'Diastolic' },
    ];
  }
  return [{ key: 'value', stats: scalarStats, className: 'main', label: info.name }];
}

/** Tick instants on the time axis: local midnights (every few days), month starts or year starts. */
function timeTicks(
  fromMs: number,
  toMs: number,
  timeZone: string,
  maxTicks: number,
): { ms: number; unit: 'day' | 'month' | 'year' }[] {
  const days = (toMs - fromMs) / 86_400_000;
  const ticks: { ms: number; unit: 'day' | 'month' | 'year' }[] = [];
  const at = (year: number, month: number, day: number) => {
    const date = new Date(Date.UTC(year, month, day)).toISOString().slice(0, 10);
    return Date.parse(zonedIso(date, timeZone)!);
  };
  const [y = 1970, m = 1, d = 1] = localInputValue(fromMs, timeZone).slice(0, 10).split('-').map(Number);
  const most = Math.max(1, maxTicks);
  if (days > 3 * 365) {
    const step = Math.max(1, Math.ceil(days / 365.25 / most));
    for (let year = y + 1; at(year, 0, 1) <= toMs; year += step)
      ticks.push({ ms: at(year, 0, 1), unit: 'year' });
  } else if (days > 120) {
    const step = Math.max(1, Math.ceil(days / 30.4 / most));
    for (let i = 0; at(y, m - 1 + i, 1) <= toMs; i += step) {
      const ms = at(y, m - 1 + i, 1);
      if (ms >= fromMs) ticks.push({ ms, unit: 'month' });
    }
  } else {
    const step = Math.max(1, Math.ceil(days / most));
    for (let i = 0; i <= days + 1; i += step) {
      const ms = at(y, m - 1, d + i);
      if (ms >= fromMs && ms <= toMs) ticks.push({ ms, unit: 'day' });
    }
  }
  return ticks;
}

/** One point of a series: the mean as the line, lowest to highest as the band. */
export interface PlotPoint {
  ms: number;
  mean: number;
  min: number;
  max: number;
  /** Drawn beside the point (a lab flag's letters), repeating what the table says in words. */
  mark?: string;
}

export interface PlotSeries {
  key: string;
  /** `main`, `sys` or `dia`: the series' colour (chart__series--...). */
  className: string;
  points: PlotPoint[];
  /** Dots on every point, however many (default: only while they stand apart). */
  allDots?: boolean;
}

/** What the plot shades (a normal or reference range) and any dashed limit lines, in the series' unit. */
export interface Shading {
  low: number | null;
  high: number | null;
  limits?: number[];
}

/**
 * The picture itself, drawn by hand in SVG: a time axis from `fromMs` to `toMs`, a value axis that holds
 * every figure and the shaded range, and each series as a band, a line and dots. Its text alternative is
 * the caller's (`labelledBy`): the picture repeats figures given in words and in a table.
 */
export function TimePlot({
  labelledBy,
  fromMs,
  toMs,
  series,
  shading,
  fmt,
  floor,
  ceiling,
}: {
  labelledBy: string;
  fromMs: number;
  toMs: number;
  series: PlotSeries[];
  shading?: Shading | undefined;
  fmt: Formatters;
  /** No axis below this (0 for quantities that cannot be negative). */
  floor?: number | undefined;
  /** No axis above this (100 for percentages). */
  ceiling?: number | undefined;
}) {
  const [box, width] = useWidth<HTMLDivElement>();

  // The vertical scale holds every figure and the shaded range's limits.
  const values: number[] = [];
  for (const s of series) for (const p of s.points) values.push(p.min, p.max);
  if (shading?.low != null) values.push(shading.low);
  if (shading?.high != null) values.push(shading.high);
  for (const limit of shading?.limits ?? []) values.push(limit);
  const rawLow = Math.min(...values);
  const rawHigh = Math.max(...values);
  const pad = (rawHigh - rawLow || Math.abs(rawHigh) || 1) * 0.05;
  let padLow = rawLow - pad;
  let padHigh = rawHigh + pad;
  if (floor !== undefined && padLow < floor) padLow = floor;
  if (ceiling !== undefined && padHigh > ceiling) padHigh = ceiling;
  const { low, high, ticks: yTicks } = niceScale(padLow, padHigh);

  const plotW = Math.max(60, width - MARGIN.left - MARGIN.right);
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (ms: number) => MARGIN.left + ((ms - fromMs) / (toMs - fromMs || 1)) * plotW;
  const y = (v: number) => MARGIN.top + (1 - (v - low) / (high - low || 1)) * plotH;
  const r = (n: number) => Math.round(n * 10) / 10;

  const xTicks = timeTicks(fromMs, toMs, fmt.timeZone, Math.floor(plotW / 70));
  const tickLabel = {
    day: fmt.custom({ day: 'numeric', month: 'short' }),
    month: fmt.custom({ month: 'short', year: 'numeric' }),
    year: fmt.custom({ year: 'numeric' }),
  };
  const edge = (v: number) => (
    <line
      className="chart__normal-edge"
      x1={MARGIN.left}
      x2={MARGIN.left + plotW}
      y1={r(y(v))}
      y2={r(y(v))}
    />
  );

  return (
    <div ref={box} className="chart__box">
      {width > 0 ? (
        <svg
          className="chart__svg"
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="img"
          aria-labelledby={labelledBy}
          focusable="false"
        >
          {shading ? (
            <g className="chart__normal-range">
              {shading.low != null || shading.high != null ? (
                <rect
                  className="chart__normal"
                  x={MARGIN.left}
                  width={plotW}
                  y={r(y(shading.high ?? high))}
                  height={Math.max(0, r(y(shading.low ?? low) - y(shading.high ?? high)))}
                />
              ) : null}
              {shading.high != null ? edge(shading.high) : null}
              {shading.low != null ? edge(shading.low) : null}
              {(shading.limits ?? []).map((limit) => (
                <line
                  key={limit}
                  className="chart__limit"
                  x1={MARGIN.left}
                  x2={MARGIN.left + plotW}
                  y1={r(y(limit))}
                  y2={r(y(limit))}
                />
              ))}
            </g>
          ) : null}
          <g className="chart__axis" aria-hidden="true">
            {yTicks.map((t) => (
              <g key={t}>
                <line
                  className="chart__grid"
                  x1={MARGIN.left}
                  x2={MARGIN.left + plotW}
                  y1={r(y(t))}
                  y2={r(y(t))}
                />
                <text x={MARGIN.left - 6} y={r(y(t))} dy="0.32em" textAnchor="end">
                  {fmt.figure(t)}
                </text>
              </g>
            ))}
            <line
              className="chart__baseline"
              x1={MARGIN.left}
              x2={MARGIN.left + plotW}
              y1={MARGIN.top + plotH}
              y2={MARGIN.top + plotH}
            />
            {xTicks.map((t) => (
              <g key={t.ms}>
                <line
                  className="chart__tick"
                  x1={r(x(t.ms))}
                  x2={r(x(t.ms))}
                  y1={MARGIN.top + plotH}
                  y2={MARGIN.top + plotH + 4}
                />
                <text
                  x={r(x(t.ms))}
                  y={MARGIN.top + plotH + 18}
                  textAnchor={x(t.ms) > width - 30 ? 'end' : 'middle'}
                >
                  {tickLabel[t.unit].format(new Date(t.ms))}
                </text>
              </g>
            ))}
          </g>
          {series.map((s) => {
            const pts = s.points;
            const band =
              pts.length > 1
                ? `M${pts.map((p) => `${r(x(p.ms))},${r(y(p.max))}`).join('L')}` +
                  `L${[...pts]
                    .reverse()
                    .map((p) => `${r(x(p.ms))},${r(y(p.min))}`)
                    .join('L')}Z`
                : null;
            const line =
              pts.length > 1 ? `M${pts.map((p) => `${r(x(p.ms))},${r(y(p.mean))}`).join('L')}` : null;
            return (
              <g key={s.key} className={`chart__series chart__series--${s.className}`}>
                {band ? <path className="chart__band" d={band} /> : null}
                {pts.map((p) =>
                  pts.length === 1 && p.max > p.min ? (
                    <line
                      key={`range-${p.ms}`}
                      className="chart__whisker"
                      x1={r(x(p.ms))}
                      x2={r(x(p.ms))}
                      y1={r(y(p.max))}
                      y2={r(y(p.min))}
                    />
                  ) : null,
                )}
                {line ? <path className="chart__line" d={line} /> : null}
                {/* Dots while they stand apart; a dense series is a line alone. */}
                {s.allDots || pts.length === 1 || pts.length * 9 < plotW
                  ? pts.map((p) => (
                      <circle
                        key={p.ms}
                        className={`chart__dot${p.mark ? ' chart__dot--marked' : ''}`}
                        cx={r(x(p.ms))}
                        cy={r(y(p.mean))}
                        r={p.mark ? 5 : 3.5}
                      />
                    ))
                  : null}
                {pts.map((p) =>
                  p.mark ? (
                    <text
                      key={`mark-${p.ms}`}
                      className="chart__mark"
                      x={r(x(p.ms))}
                      y={r(y(p.mean)) - 9}
                      textAnchor={
                        x(p.ms) > width - 20 ? 'end' : x(p.ms) < MARGIN.left + 10 ? 'start' : 'middle'
                      }
                      aria-hidden="true"
                    >
                      {p.mark}
                    </text>
                  ) : null,
                )}
              </g>
            );
          })}
        </svg>
      ) : null}
    </div>
  );
}

/** A chart's frame: its title (with the unit), its figures in words, then the picture and the rest. */
export function ChartFigure({
  id,
  title,
  unit,
  summary,
  empty = false,
  children,
}: {
  id: string;
  title: string;
  unit: string;
  summary: ReactNode;
  empty?: boolean;
  children?: ReactNode;
}) {
  return (
    <figure className={`chart${empty ? ' chart--empty' : ''}`} aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="chart__title">
        {title}
        {unit && unit.toLowerCase() !== title.toLowerCase() ? (
          <span className="chart__unit">, {unit}</span>
        ) : null}
      </figcaption>
      <p id={`${id}-desc`} className="chart__summary">
        {summary}
      </p>
      {children}
    </figure>
  );
}

export interface ChartProps {
  id: string;
  info: MetricInfo;
  summary: Summary;
  unit: string;
  normal: NormalRange | undefined;
  fmt: Formatters;
  /** The period in words ("the last 7 days"), for the text alternative. */
  period: string;
}

/** One metric's summary over a period, with its normal range (where one exists) shaded. */
export function Chart({ id, info, summary, unit, normal, fmt, period }: ChartProps) {
  const fromMs = Date.parse(summary.from);
  const toMs = Date.parse(summary.to);
  const buckets = summary.buckets.filter((b) => b.count > 0);
  const half = HALF_BUCKET[summary.bucket];
  const series: PlotSeries[] = seriesOf(info).map((s) => ({
    key: s.key,
    className: s.className,
    points: buckets.flatMap((b) => {
      const st = s.stats(b);
      const ms = Math.min(toMs, Math.max(fromMs, Date.parse(b.start) + half));
      return st ? [{ ms, mean: st.mean, min: st.min, max: st.max }] : [];
    }),
  }));

  if (buckets.length === 0) {
    return <ChartFigure id={id} title={info.name} unit={unit} summary={`No readings in ${period}.`} empty />;
  }

  return (
    <ChartFigure
      id={id}
      title={info.name}
      unit={unit}
      summary={describe(info, summary.overall, unit, fmt, period, buckets.length, summary.bucket)}
    >
      <TimePlot
        labelledBy={`${id}-title ${id}-desc`}
        fromMs={fromMs}
        toMs={toMs}
        series={series}
        shading={
          normal
            ? {
                low: normal.low,
                high: normal.high,
                limits: normal.diastolicHigh != null ? [normal.diastolicHigh] : [],
              }
            : undefined
        }
        fmt={fmt}
        // Nothing below zero for quantities that cannot be negative; percentages stop at 100.
        floor={info.plausible_range.min >= 0 ? 0 : undefined}
        ceiling={unit === '%' ? 100 : undefined}
      />
      <Legend info={info} normal={normal} spread={series.some((s) => s.points.some((p) => p.max > p.min))} />
      <details className="chart__details">
        <summary>Show the {lower(info.name)} figures as a table</summary>
        <FiguresTable info={info} summary={summary} unit={unit} fmt={fmt} />
      </details>
    </ChartFigure>
  );
}

export function Swatch({ className }: { className: string }) {
  return (
    <svg className="swatch" width="24" height="12" viewBox="0 0 24 12" aria-hidden="true" focusable="false">
      {className.includes('line') || className.includes('limit') ? (
        <line className={className} x1="1" x2="23" y1="6" y2="6" />
      ) : (
        <rect className={className} x="0" y="0" width="24" height="12" />
      )}
    </svg>
  );
}

function Legend({
  info,
  normal,
  spread,
}: {
  info: MetricInfo;
  normal: NormalRange | undefined;
  /** Some bucket holds readings that differ, so a lowest-to-highest band shows. */
  spread: boolean;
}) {
  const all: { swatch: string; text: ReactNode; band?: boolean }[] =
    info.kind === 'blood_pressure'
      ? [
          { swatch: 'chart__series--sys chart__line', text: 'Systolic: average' },
          { swatch: 'chart__series--sys chart__band', text: 'lowest to highest', band: true },
          { swatch: 'chart__series--dia chart__line', text: 'Diastolic: average' },
          { swatch: 'chart__series--dia chart__band', text: 'lowest to highest', band: true },
        ]
      : [
          { swatch: 'chart__series--main chart__line', text: 'Average' },
          { swatch: 'chart__series--main chart__band', text: 'Lowest to highest', band: true },
        ];
  const items = all.filter((item) => spread || !item.band);
  return (
    <div className="chart__legend">
      <ul className="legend">
        {items.map((item, i) => (
          <li key={i}>
            <Swatch className={item.swatch} /> {item.text}
          </li>
        ))}
      </ul>
      {normal ? (
        <p className="chart__source">
          <Swatch className="chart__normal" /> Shaded: {normal.label}.
          {normal.diastolicLabel ? (
            <>
              {' '}
              <Swatch className="chart__limit" /> Dashed line: {normal.diastolicLabel}.
            </>
          ) : null}{' '}
          <span className="chart__cite">Source of the range: {normal.source}.</span>
        </p>
      ) : (
        <p className="chart__source">
          No range is shaded: what is normal for {lower(info.name)} depends on the person.
        </p>
      )}
    </div>
  );
}

function statText(st: Stat | undefined, fmt: Formatters) {
  if (!st) return '–';
  const range = st.min === st.max ? fmt.figure(st.min) : `${fmt.figure(st.min)}–${fmt.figure(st.max)}`;
  return `${fmt.figure(st.mean)} (${range})`;
}

function describe(
  info: MetricInfo,
  overall: SummaryBucket | null,
  unit: string,
  fmt: Formatters,
  period: string,
  bucketCount: number,
  bucket: BucketSize,
): string {
  if (!overall || overall.count === 0) return `No readings in ${period}.`;
  const readings = `${fmt.figure(overall.count)} ${overall.count === 1 ? 'reading' : 'readings'}`;
  const spread = bucketCount > 1 ? ` (${bucketCount} ${bucket}s with readings)` : '';
  const lead = `${period.charAt(0).toUpperCase()}${period.slice(1)}: ${readings}${spread}`;
  if (overall.count === 1) {
    const one =
      overall.systolic && overall.diastolic
        ? `${fmt.figure(overall.systolic.mean)}/${fmt.figure(overall.diastolic.mean)}`
        : overall.mean === undefined
          ? null
          : fmt.figure(overall.mean);
    return one === null ? `${lead}.` : `${lead}, ${one} ${unit}.`;
  }
  if (info.kind === 'blood_pressure' && overall.systolic && overall.diastolic) {
    return (
      `${lead}; average ${fmt.figure(overall.systolic.mean)}/${fmt.figure(overall.diastolic.mean)} ${unit}; ` +
      `systolic from ${fmt.figure(overall.systolic.min)} to ${fmt.figure(overall.systolic.max)}, diastolic ` +
      `from ${fmt.figure(overall.diastolic.min)} to ${fmt.figure(overall.diastolic.max)}.`
    );
  }
  if (overall.mean === undefined) return `${lead}.`;
  return (
    `${lead}; average ${fmt.figure(overall.mean)} ${unit}, lowest ${fmt.figure(overall.min!)}, ` +
    `highest ${fmt.figure(overall.max!)}.`
  );
}

function FiguresTable({
  info,
  summary,
  unit,
  fmt,
}: {
  info: MetricInfo;
  summary: Summary;
  unit: string;
  fmt: Formatters;
}) {
  const bp = info.kind === 'blood_pressure';
  const when =
    summary.bucket === 'month'
      ? fmt.custom({ month: 'short', year: 'numeric' })
      : summary.bucket === 'hour'
        ? fmt.custom({ day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' })
        : fmt.custom({ weekday: 'short', day: 'numeric', month: 'short' });
  const range = (min: number | undefined, max: number | undefined) =>
    min === undefined || max === undefined
      ? '–'
      : min === max
        ? fmt.figure(min)
        : `${fmt.figure(min)}–${fmt.figure(max)}`;
  return (
    // Focusable so that keyboard users can scroll it sideways when it is wider than the screen.
    <div className="table-scroll" role="region" aria-label={`${info.name}: figures`} tabIndex={0}>
      <table className="figures">
        <caption className="visually-hidden">
          {info.name} by {summary.bucket}, in {unit}
        </caption>
        <thead>
          <tr>
            <th scope="col">{BUCKET_WORD[summary.bucket]}</th>
            <th scope="col">Readings</th>
            {bp ? (
              <>
                <th scope="col">Systolic: average (range)</th>
                <th scope="col">Diastolic: average (range)</th>
              </>
            ) : (
              <>
                <th scope="col">Average</th>
                <th scope="col">Lowest–highest</th>
              </>
            )}
          </tr>
        </thead>
        <tbody>
          {summary.buckets.map((b) => (
            <tr key={b.start}>
              <th scope="row">{when.format(new Date(b.start))}</th>
              <td>{fmt.figure(b.count)}</td>
              {bp ? (
                <>
                  <td>{statText(b.systolic, fmt)}</td>
                  <td>{statText(b.diastolic, fmt)}</td>
                </>
              ) : (
                <>
                  <td>{b.mean === undefined ? '–' : fmt.figure(b.mean)}</td>
                  <td>{range(b.min, b.max)}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
