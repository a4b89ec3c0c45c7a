import {
  useEffect,
  useRef,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { ApiError } from '../api';

/** Id of a field's input, so an error summary can link to it. */
export const fieldId = (form: string, name: string) => `${form}-${name.replace(/\./g, '-')}`;

interface FieldProps {
  form: string;
  name: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

function FieldText({ id, hint, error }: { id: string; hint?: ReactNode; error?: string | undefined }) {
  return (
    <>
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          <span className="visually-hidden">Error: </span>
          {error}
        </p>
      ) : null}
    </>
  );
}

/** What every labelled control gets: its id, name, and the links to its hint and error. */
interface ControlAttributes {
  id: string;
  name: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** The label, hint and error around one control. */
function LabelledField({
  form,
  name,
  label,
  hint,
  error,
  control,
}: FieldProps & { control: (attributes: ControlAttributes) => ReactNode }) {
  const id = fieldId(form, name);
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <FieldText id={id} hint={hint} error={error} />
      {control({
        id,
        name,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': describedBy(id, hint, error),
      })}
    </div>
  );
}

export function TextField({
  form,
  name,
  label,
  hint,
  error,
  ...input
}: FieldProps & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'id' | 'form'>) {
  return (
    <LabelledField
      {...{ form, name, label, hint, error }}
      control={(attributes) => <input {...attributes} {...input} />}
    />
  );
}

export function SelectField({
  form,
  name,
  label,
  hint,
  error,
  children,
  ...select
}: FieldProps & { children: ReactNode } & Omit<
    SelectHTMLAttributes<HTMLSelectElement>,
    'name' | 'id' | 'form'
  >) {
  return (
    <LabelledField
      {...{ form, name, label, hint, error }}
      control={(attributes) => (
        <select {...attributes} {...select}>
          {children}
        </select>
      )}
    />
  );
}

export function TextAreaField({
  form,
  name,
  label,
  hint,
  error,
  ...textarea
}: FieldProps & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'name' | 'id' | 'form'>) {
  return (
    <LabelledField
      {...{ form, name, label, hint, error }}
      control={(attributes) => <textarea rows={3} {...attributes} {...textarea} />}
    />
  );
}

/** A number with its unit chosen beside it, as one labelled group. */
export function MeasureField({
  form,
  name,
  label,
  hint,
  error,
  value,
  unit,
  units,
  onValue,
  onUnit,
  step = 'any',
}: FieldProps & {
  value: string;
  unit: string;
  units: { value: string; label: string }[];
  onValue(value: string): void;
  onUnit(unit: string): void;
  step?: string;
}) {
  const id = fieldId(form, name);
  return (
    <fieldset
      className={`field measure${error ? ' field--invalid' : ''}`}
      aria-describedby={describedBy(id, hint, error)}
    >
      <legend>{label}</legend>
      <FieldText id={id} hint={hint} error={error} />
      <div className="measure-row">
        <label htmlFor={id} className="visually-hidden">
          {label} value
        </label>
        <input
          id={id}
          name={name}
          type="number"
          inputMode="decimal"
          min="0"
          step={step}
          value={value}
          aria-invalid={error ? true : undefined}
          onChange={(e) => onValue(e.target.value)}
        />
        <label htmlFor={`${id}-unit`} className="visually-hidden">
          {label} unit
        </label>
        <select id={`${id}-unit`} name={`${name}_unit`} value={unit} onChange={(e) => onUnit(e.target.value)}>
          {units.map((u) => (
            <option key={u.value} value={u.value}>
              {u.label}
            </option>
          ))}
        </select>
      </div>
    </fieldset>
  );
}

export function CheckboxField({
  form,
  name,
  label,
  hint,
  error,
  checked,
  onChange,
}: {
  form: string;
  name: string;
  label: string;
  hint?: string;
  error?: string | undefined;
  checked: boolean;
  onChange(checked: boolean): void;
}) {
  const id = fieldId(form, name);
  return (
    <div className={`checkbox${error ? ' field--invalid' : ''}`}>
      {error ? (
        <p id={`${id}-error`} className="field-error">
          <span className="visually-hidden">Error: </span>
          {error}
        </p>
      ) : null}
      <input
        id={id}
        name={name}
        type="checkbox"
        checked={checked}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        onChange={(e) => onChange(e.target.checked)}
      />
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The problem with a submitted form, at its top: the server's message, or a list of the fields to
 * correct, each a link to its input. Takes focus when it appears so screen readers announce it.
 */
export function ErrorSummary({
  form,
  error,
  fields,
}: {
  form: string;
  error: ApiError | null;
  /** The form's fields and their labels, in order; errors naming others are shown as the message. */
  fields: Record<string, string>;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error) box.current?.focus();
  }, [error]);
  if (!error) return null;
  const known = Object.keys(fields);
  const listed = error.fieldErrors.filter((e) =>
    known.some((f) => e.field === f || e.field.startsWith(`${f}.`)),
  );
  return (
    <div
      ref={box}
      className="error-summary"
      role="alert"
      tabIndex={-1}
      aria-labelledby={`${form}-error-title`}
    >
      <h2 id={`${form}-error-title`} className="error-summary__title">
        {listed.length > 0 ? 'Please correct the following' : 'There is a problem'}
      </h2>
      {listed.length > 0 ? (
        <ul>
          {listed.map((e) => {
            const field = known.find((f) => e.field === f || e.field.startsWith(`${f}.`))!;
            return (
              <li key={e.field}>
                <a href={`#${fieldId(form, field)}`} onClick={(ev) => focusField(ev, fieldId(form, field))}>
                  {summaryLine(fields[field] ?? field, e.message)}
                </a>
              </li>
            );
          })}
        </ul>
      ) : (
        <p>{error.message}</p>
      )}
    </div>
  );
}

/** "Height: must be a number", but not "Height: Height must be ..." */
function summaryLine(label: string, message: string): string {
  return message.toLowerCase().startsWith(label.toLowerCase()) ? message : `${label}: ${message}`;
}

function focusField(event: { preventDefault(): void }, id: string) {
  const element = document.getElementById(id);
  if (!element) return;
  event.preventDefault();
  element.scrollIntoView({ block: 'center' });
  element.focus();
}

/**
 * A polite status line (saved, sent) that screen readers announce without moving focus. Render it
 * always, empty until there is news: a live region must exist before its text changes.
 */
export function Status({ children }: { children?: ReactNode }) {
  return (
    <p className="status" role="status">
      {children}
    </p>
  );
}

/** Runs a form's submit handler without a page reload. */
export function onSubmit(handler: () => void | Promise<void>) {
  return (event: FormEvent) => {
    event.preventDefault();
    void handler();
  };
}

/** The error as an ApiError (anything else becomes a generic one, so the form can show it). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'client_error', error instanceof Error ? error.message : 'Something went wrong');
}

/** The same error, pinned to a field (for answers that name no field but clearly concern one). */
export function withField(error: ApiError, field: string): ApiError {
  return new ApiError(error.status, error.code, error.message, { field }, error.requestId);
}

/**
 * A form that changes a list item in place: its problems at the top, Save and Cancel at the bottom,
 * Escape to cancel, and focus on its first field (`focusFirst`) when it opens.
 */
export function EditForm({
  form,
  label,
  error,
  fields,
  busy,
  onSubmit: submit,
  onCancel,
  focusFirst = 'input',
  children,
}: {
  form: string;
  label: string;
  error: ApiError | null;
  fields: Record<string, string>;
  busy: boolean;
  onSubmit(event: FormEvent): void;
  onCancel(): void;
  focusFirst?: string;
  children: ReactNode;
}) {
  const box = useRef<HTMLFormElement>(null);
  // Only when it opens.
  useEffect(() => box.current?.querySelector<HTMLElement>(focusFirst)?.focus(), []);
  return (
    <form
      ref={box}
      className="form edit-form"
      noValidate
      onSubmit={submit}
      aria-busy={busy}
      aria-label={label}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <ErrorSummary form={form} error={error} fields={fields} />
      {children}
      <div className="actions">
        <button type="submit" className="button button--small" disabled={busy}>
          {busy ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
