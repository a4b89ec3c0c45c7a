import { useEffect, useRef, useState, type ReactNode, type Ref } from 'react';
import type { ApiError } from '../api';
import { asApiError, ErrorSummary } from './Form';

/**
 * "Delete this?" asked in place, with the two answers as buttons: focus goes to the question, and
 * cancelling hands it back to the button that asked.
 */
export function ConfirmDelete({
  form,
  question,
  onDelete,
  onCancel,
}: {
  form: string;
  question: string;
  onDelete(): Promise<void>;
  onCancel(): void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => box.current?.focus(), []);
  return (
    <div
      className="confirm"
      ref={box}
      tabIndex={-1}
      role="group"
      aria-labelledby={`${form}-question`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <p id={`${form}-question`} className="confirm__question">
        {question} This cannot be undone.
      </p>
      <ErrorSummary form={form} error={error} fields={{}} />
      <div className="actions">
        <button
          type="button"
          className="button button--danger button--small"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await onDelete();
            } catch (err) {
              setError(asApiError(err));
              setBusy(false);
            }
          }}
        >
          {busy ? 'Deleting…' : 'Yes, delete'}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** A button that says to screen readers what it acts on ("Edit blood pressure of 1 May"); shown as "Edit". */
export function ActionButton({
  label,
  about,
  onClick,
  buttonRef,
  danger = false,
}: {
  label: string;
  about: string;
  onClick(): void;
  buttonRef?: Ref<HTMLButtonElement>;
  danger?: boolean;
}) {
  return (
    <button
      type="button"
      ref={buttonRef}
      className={`button button--small ${danger ? 'button--danger-outline' : 'button--secondary'}`}
      aria-label={`${label} ${about}`}
      onClick={onClick}
    >
      {label}
    </button>
  );
}

/** "Show more" for a cursor-paged list; the caller moves focus to the first new item. */
export function MoreButton({
  busy,
  onMore,
  children,
}: {
  busy: boolean;
  onMore(): void;
  children: ReactNode;
}) {
  return (
    <div className="actions more">
      <button type="button" className="button button--secondary" disabled={busy} onClick={onMore}>
        {busy ? 'Loading…' : children}
      </button>
    </div>
  );
}
