import type { Formatters } from '../format';
import {
  FLAG_WORDS,
  type Flag,
  type LabFlags,
  type MedicalRecord,
  type Measurement,
  type Quantity,
} from '../records';
import { currentFor, Link, useRouter } from '../router';

/** The pages of the medical-records part, as a row of links under the page title. */
const SECTION: { to: string; label: string }[] = [
  { to: '/records', label: 'All records' },
  { to: '/labs', label: 'Lab results' },
  { to: '/records/summary', label: 'Summary and export' },
  { to: '/records/documents', label: 'Documents' },
  { to: '/records/import', label: 'Import a FHIR file' },
  { to: '/records/epic', label: 'Connect Epic' },
];

export function RecordsNav() {
  const { path } = useRouter();
  return (
    <nav className="subnav" aria-label="Medical records">
      <ul>
        {SECTION.map((item) => (
          <li key={item.to}>
            <Link
              to={item.to}
              aria-current={currentFor(path, item.to, item.to === '/records' ? [] : [item.to])}
            >
              {item.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const FLAG_TONE: Record<Flag, 'ok' | 'warn' | 'alert'> = {
  N: 'ok',
  L: 'warn',
  H: 'warn',
  LL: 'alert',
  HH: 'alert',
};

/**
 * The server's flag in words with its letters ("High (H)"); the colour only repeats them. `short` says
 * "In range" for N, where a table has little room.
 */
export function FlagBadge({ flag, short = false }: { flag: Flag; short?: boolean }) {
  return (
    <span className={`class-badge class-badge--${FLAG_TONE[flag]}`} data-flag={flag}>
      {flag === 'N' ? (short ? 'In range' : FLAG_WORDS.N) : `${FLAG_WORDS[flag]} (${flag})`}
    </span>
  );
}

/** A unit as the source wrote it (its display unit, else its UCUM code). */
export const unitOf = (q: Pick<Quantity, 'unit' | 'code'> | null) => q?.unit ?? q?.code ?? '';

export function quantityText(q: Quantity, fmt: Formatters): string {
  const unit = unitOf(q);
  return `${fmt.exact(q.value)}${unit ? `\u00a0${unit}` : ''}`;
}

/** The result of a measurement: its value, its words, or its parts (a blood pressure's two numbers). */
export function resultText(m: Measurement, fmt: Formatters): string | null {
  if (m.value) return quantityText(m.value, fmt);
  if (m.value_text) return m.value_text;
  const parts = m.components.filter((c) => c.value);
  if (parts.length > 0) return parts.map((c) => `${c.display}: ${quantityText(c.value!, fmt)}`).join('; ');
  return null;
}

/** A reference range in words: "3.1–6.2 mmol/L", "below 5.2 mmol/L", or the lab's own text. */
export function rangeText(range: LabFlags['reference_range'], fmt: Formatters): string | null {
  if (!range) return null;
  const { low, high, text } = range;
  if (low && high) {
    const unit = unitOf(high) || unitOf(low);
    return `${fmt.exact(low.value)}–${fmt.exact(high.value)}${unit ? `\u00a0${unit}` : ''}`;
  }
  if (high) return `up to ${quantityText(high, fmt)}`;
  if (low) return `from ${quantityText(low, fmt)}`;
  return text;
}

/** When a record took effect, as precisely as the source said (a year, a day, or a time). */
export function whenText(r: Pick<MedicalRecord, 'effective_at' | 'effective_text'>, fmt: Formatters): string {
  const text = r.effective_text ?? '';
  if (!r.effective_at) return text || 'No date';
  if (/^\d{4}$/.test(text)) return text;
  if (/^\d{4}-\d{2}$/.test(text)) {
    return new Intl.DateTimeFormat(fmt.locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
      new Date(`${text}-01T00:00:00Z`),
    );
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return fmt.calendarDate(text);
  return fmt.dateTime(r.effective_at);
}

/** A lab result's value with its flag and reference range, as one line. */
export function LabResult({ measurement, fmt }: { measurement: Measurement; fmt: Formatters }) {
  const result = resultText(measurement, fmt);
  const flags = measurement.flags;
  const range = rangeText(flags?.reference_range ?? null, fmt);
  return (
    <p className="lab-result">
      {result ? <span className="lab-result__value">{result}</span> : null}
      {flags?.flag ? (
        <>
          {' '}
          <FlagBadge flag={flags.flag} />
        </>
      ) : null}
      {range ? <span className="lab-result__range">Reference range {range}</span> : null}
    </p>
  );
}
