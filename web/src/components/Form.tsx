import {
  useCallback,
  useEffect,
  useRef,
  useState,
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
      {typeof hint === 'string' ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : hint ? (
        // A hint with blocks in it (a list of formats) cannot sit in a paragraph.
        <div id={`${id}-hint`} className="hint">
          {hint}
        </div>
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

/** A file chooser with its label, hint and error; `children` (what the chosen file looks like) follow it. */
export function FileField({
  form,
  name,
  label,
  hint,
  error,
  onFile,
  children,
  ...input
}: FieldProps & { onFile(file: File | null): void; children?: ReactNode } & Omit<
    InputHTMLAttributes<HTMLInputElement>,
    'name' | 'id' | 'form' | 'type' | 'onChange' | 'children'
  >) {
  return (
    <LabelledField
      {...{ form, name, label, hint, error }}
      control={(attributes) => (
        <>
          <input
            {...attributes}
            {...input}
            type="file"
            onChange={(e) => onFile(e.target.files?.[0] ?? null)}
          />
          {children}
        </>
      )}
    />
  );
}

/** What the password rules are, beside every field where a new password is chosen. */
export const PASSWORD_RULES =
  'At least 8 characters, using three of: lower-case letters, capitals, digits and symbols (or any 16 characters or more). Not a common password and not your email address.';

type ValueProps = { value: string; onValue(value: string): void; error?: string | undefined };

/** The email address an account is known by. */
export function EmailField({
  form,
  autoComplete = 'email',
  value,
  onValue,
  error,
}: { form: string; autoComplete?: 'email' | 'username' } & ValueProps) {
  return (
    <TextField
      form={form}
      name="email"
      label="Email"
      type="email"
      autoComplete={autoComplete}
      required
      value={value}
      onChange={(e) => onValue(e.target.value)}
      error={error}
    />
  );
}

/** A password: the one in use (`current`) or a new one, which comes with the rules it must meet. */
export function PasswordField({
  form,
  name = 'password',
  label = 'Password',
  purpose,
  value,
  onValue,
  error,
}: { form: string; name?: string; label?: string; purpose: 'current' | 'new' } & ValueProps) {
  return (
    <TextField
      form={form}
      name={name}
      label={label}
      type="password"
      autoComplete={purpose === 'new' ? 'new-password' : 'current-password'}
      hint={purpose === 'new' ? PASSWORD_RULES : undefined}
      required
      value={value}
      onChange={(e) => onValue(e.target.value)}
      error={error}
    />
  );
}

/**
 * A one-time code for two-factor sign-in: the 6 digits an authenticator app shows, or (`backup`) one of
 * the backup codes as well, which have letters in them.
 */
export function CodeField({
  form,
  label,
  hint,
  backup = false,
  value,
  onValue,
  error,
}: { form: string; label: string; hint?: string; backup?: boolean } & ValueProps) {
  return (
    <TextField
      form={form}
      name="code"
      label={label}
      hint={hint}
      autoComplete="one-time-code"
      inputMode={backup ? 'text' : 'numeric'}
      autoCapitalize="none"
      spellCheck={false}
      maxLength={backup ? 20 : 6}
      required
      value={value}
      onChange={(e) => onValue(e.target.value)}
      error={error}
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

/** Problems found before sending, as the API would answer them, so that the form shows them the same way. */
export function formProblems(problems: { field: string; problem: string }[]): ApiError {
  return new ApiError(400, 'validation_error', 'Please correct the form', problems);
}

/** The password policy names `password`; on a form that chooses a new one, that is its `new_password` field. */
export function newPasswordOnField(error: ApiError): ApiError {
  return error.code === 'weak_password' ? withField(error, 'new_password') : error;
}

/** A refused second factor belongs to the form's `code` field. */
export function codeOnField(error: ApiError): ApiError {
  return error.code === 'invalid_mfa_code' || error.code === 'mfa_code_required'
    ? withField(error, 'code')
    : error;
}

/**
 * The busy flag and the error of one form, and `run`, which sends it: the error is cleared first and
 * set from what the action throws (passed through `mapError`, to pin it to a field, say).
 */
export function useSubmit(mapError: (error: ApiError) => ApiError = (error) => error) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const map = useRef(mapError);
  map.current = mapError;
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(map.current(asApiError(err)));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** A draft checked before sending: the body to send, or the problems with it. */
export type Checked<Body> = { body: Body } | { error: ApiError };

/**
 * A form that edits a draft: `check` turns the draft into the body to send, or the problems with it;
 * `send` sends the body (and does what follows: closing an edit form, clearing an add form).
 */
export function useDraftForm<Draft, Body>({
  initial,
  check,
  send,
}: {
  initial: Draft | (() => Draft);
  check(draft: Draft): Checked<Body>;
  send(body: Body): Promise<void>;
}) {
  const [draft, setDraft] = useState<Draft>(initial);
  const { busy, error, setError, run } = useSubmit();
  const change = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const submit = onSubmit(async () => {
    const checked = check(draft);
    if ('error' in checked) {
      setError(checked.error);
      return;
    }
    await run(() => send(checked.body));
  });
  return { draft, setDraft, change, busy, error, setError, submit };
}

/**
 * A form that adds an item: a draft form (see useDraftForm) with a status line, `saved`, saying what
 * was saved (the text `send` returns). It is emptied when the form is sent again or the draft changes,
 * so that it never describes an older entry.
 */
export function useAddForm<Draft, Body>({
  initial,
  check,
  send,
}: {
  initial: Draft | (() => Draft);
  check(draft: Draft): Checked<Body>;
  send(body: Body): Promise<string>;
}) {
  const [saved, setSaved] = useState('');
  const form = useDraftForm<Draft, Body>({
    initial,
    check,
    send: async (body) => {
      setSaved('');
      setSaved(await send(body));
    },
  });
  const change = (patch: Partial<Draft>) => {
    form.change(patch);
    setSaved('');
  };
  return { ...form, change, saved };
}

/**
 * The password (and, with `withCode`, a code from the authenticator app or a backup code) asked for
 * again before a step that cannot be taken back.
 */
export function ReauthFields({
  form,
  password,
  onPassword,
  code,
  onCode,
  withCode,
  error,
}: {
  form: string;
  password: string;
  onPassword(value: string): void;
  code: string;
  onCode(value: string): void;
  withCode: boolean;
  error: ApiError | null;
}) {
  return (
    <>
      <PasswordField
        form={form}
        label="Your password"
        purpose="current"
        value={password}
        onValue={onPassword}
        error={error?.fieldError('password')}
      />
      {withCode ? (
        <CodeField
          form={form}
          label="Code from your authenticator app, or a backup code"
          backup
          value={code}
          onValue={onCode}
          error={error?.fieldError('code')}
        />
      ) : null}
    </>
  );
}

/**
 * A form of its own on the page, in a card: its title, its problems at the top, its fields, the button
 * that sends it, and the status line that says what happened.
 */
export function CardForm({
  form,
  title,
  error,
  fields,
  busy,
  onSubmit: submit,
  submitLabel,
  status,
  children,
}: {
  form: string;
  title: string;
  error: ApiError | null;
  fields: Record<string, string>;
  busy: boolean;
  onSubmit(event: FormEvent): void;
  submitLabel: string;
  status?: ReactNode;
  children: ReactNode;
}) {
  return (
    <form
      className="form card"
      noValidate
      onSubmit={submit}
      aria-busy={busy}
      aria-labelledby={`${form}-form-title`}
    >
      <h2 id={`${form}-form-title`}>{title}</h2>
      <ErrorSummary form={form} error={error} fields={fields} />
      {children}
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
      <Status>{status}</Status>
    </form>
  );
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
  submitLabel = 'Save changes',
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
  submitLabel?: string;
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
          {busy ? 'Saving…' : submitLabel}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
