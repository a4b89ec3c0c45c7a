import { useCallback, useEffect, useRef, useState, type ReactNode, type Ref, type RefObject } from 'react';
import type { ApiError } from '../api';
import type { Page } from '../health';
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

export type ItemMode = 'view' | 'edit' | 'delete';

export interface ItemModes {
  mode: ItemMode;
  setMode(mode: ItemMode): void;
  editButton: RefObject<HTMLButtonElement | null>;
  deleteButton: RefObject<HTMLButtonElement | null>;
  /** Back to viewing, with focus on the button that opened the edit form or the question. */
  back(from: 'edit' | 'delete'): void;
}

/** Whether a list item is shown, being changed or about to be deleted, and where focus returns. */
export function useItemMode(): ItemModes {
  const [mode, setMode] = useState<ItemMode>('view');
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const returnTo = useRef<'edit' | 'delete' | null>(null);
  useEffect(() => {
    if (mode === 'view' && returnTo.current) {
      (returnTo.current === 'edit' ? editButton : deleteButton).current?.focus();
      returnTo.current = null;
    }
  }, [mode]);
  const back = useCallback((from: 'edit' | 'delete') => {
    returnTo.current = from;
    setMode('view');
  }, []);
  return { mode, setMode, editButton, deleteButton, back };
}

/**
 * An item's Edit and Delete buttons (and any others, as children), the delete question in their place,
 * or the edit form. `onDelete` deletes it on the server, then `onDeleted` takes it off the page.
 * `editor` is the edit form, given `saved` (which hands the saved item to `onChanged`) and `cancel`:
 * both go back to the buttons, with focus on Edit.
 */
export function ItemActions<T>({
  modes,
  about,
  form,
  question,
  onDelete,
  onDeleted,
  onChanged,
  editor,
  editLabel = 'Edit',
  children,
}: {
  modes: ItemModes;
  about: string;
  form: string;
  question: string;
  onDelete(): Promise<unknown>;
  onDeleted(): void;
  onChanged(item: T): void;
  editor(edit: { saved(item: T): void; cancel(): void }): ReactNode;
  editLabel?: string;
  children?: ReactNode;
}) {
  if (modes.mode === 'edit') {
    const close = () => modes.back('edit');
    return (
      <>
        {editor({
          saved: (item) => {
            onChanged(item);
            close();
          },
          cancel: close,
        })}
      </>
    );
  }
  if (modes.mode === 'delete') {
    return (
      <ConfirmDelete
        form={form}
        question={question}
        onDelete={async () => {
          await onDelete();
          onDeleted();
        }}
        onCancel={() => modes.back('delete')}
      />
    );
  }
  return (
    <div className="entry__actions">
      <ActionButton
        label={editLabel}
        about={about}
        buttonRef={modes.editButton}
        onClick={() => modes.setMode('edit')}
      />
      {children}
      <ActionButton
        label="Delete"
        about={about}
        buttonRef={modes.deleteButton}
        danger
        onClick={() => modes.setMode('delete')}
      />
    </div>
  );
}

export interface PagedList<T> {
  items: T[] | null;
  setItems(update: (items: T[] | null) => T[] | null): void;
  cursor: string | null;
  loadError: string;
  loadingMore: boolean;
  /** Loads the next page and moves focus to its first item. */
  more(): Promise<void>;
  status: string;
  setStatus(status: string): void;
  /** The list's heading: focus goes there when an item is deleted. */
  heading: RefObject<HTMLHeadingElement | null>;
  /** Puts focus on this element once the list has rendered its next change (a new item, say). */
  focusAfterRender(id: string): void;
  /** An item saved: in its place (or in `order`), with the status line saying so. */
  changed(item: T, status: string, order?: (a: T, b: T) => number): void;
  /** An item deleted: out of the list, the status line saying so, focus on the list's heading. */
  deleted(item: T, status: string): void;
}

/**
 * A list paged with the API's cursor: the first page when the page opens, then "Show more". After
 * more arrive, focus moves to the first new item (the element with id `focusId(item)`), and the
 * status line says how many are shown.
 */
export function usePagedList<T>(
  load: (cursor?: string) => Promise<Page<T>>,
  focusId: (item: T) => string,
  shown: (count: number) => string,
): PagedList<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const [status, setStatus] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const focusOn = useRef<string | null>(null);
  // The loaders are written inline by the pages: the first page is loaded once, when the list opens.
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    let live = true;
    loader.current().then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setCursor(page.next_cursor);
      },
      (err: unknown) => live && setLoadError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (focusOn.current) {
      document.getElementById(focusOn.current)?.focus();
      focusOn.current = null;
    }
  }, [items]);

  async function more() {
    if (!cursor || !items) return;
    setLoadingMore(true);
    try {
      const page = await loader.current(cursor);
      focusOn.current = page.items[0] ? focusId(page.items[0]) : null;
      setItems(() => [...items, ...page.items]);
      setCursor(page.next_cursor);
      setStatus(shown(items.length + page.items.length));
    } catch (err) {
      setLoadError(asApiError(err).message);
    } finally {
      setLoadingMore(false);
    }
  }

  const focusAfterRender = useCallback((id: string) => {
    focusOn.current = id;
  }, []);

  // An item's element id (`focusId`) is unique in the page: it tells items apart.
  const same = (a: T) => (b: T) => focusId(a) === focusId(b);
  const changed = (item: T, text: string, order?: (a: T, b: T) => number) => {
    setItems((list) => {
      const next = list && list.map((x) => (same(item)(x) ? item : x));
      return next && order ? [...next].sort(order) : next;
    });
    setStatus(text);
  };
  const deleted = (item: T, text: string) => {
    setItems((list) => list && list.filter((x) => !same(item)(x)));
    setStatus(text);
    heading.current?.focus();
  };

  return {
    items,
    setItems,
    cursor,
    loadError,
    loadingMore,
    more,
    status,
    setStatus,
    heading,
    focusAfterRender,
    changed,
    deleted,
  };
}

/** A row of counts (new, updated, skipped...), each a term with its number. */
export function Counts({ items }: { items: { label: string; value: ReactNode; testId?: string }[] }) {
  return (
    <dl className="facts counts">
      {items.map((item) => (
        <div key={item.label}>
          <dt>{item.label}</dt>
          <dd data-testid={item.testId}>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * What a paged list says around its items: the polite status line (always rendered, so screen
 * readers hear its changes), a loading error, "loading", or what to say when there is nothing.
 */
export function ListState<T>({
  list,
  loading,
  empty,
}: {
  list: PagedList<T>;
  loading: string;
  empty: ReactNode;
}) {
  return (
    <>
      <p className="list-status" role="status">
        {list.status}
      </p>
      {list.loadError ? <p role="alert">{list.loadError}</p> : null}
      {!list.items && !list.loadError ? <p>{loading}</p> : null}
      {list.items && list.items.length === 0 ? empty : null}
    </>
  );
}

/**
 * A paged list of entries under its heading: the heading (where focus goes when an item is deleted),
 * what the list says around its items (see ListState), the items, and "Show more" while there are more.
 * `intro` stands between the heading and the list.
 */
export function EntryList<T>({
  list,
  titleId,
  title,
  intro,
  loading,
  empty,
  moreLabel,
  renderItem,
}: {
  list: PagedList<T>;
  titleId: string;
  title: ReactNode;
  intro?: ReactNode;
  loading: string;
  empty: ReactNode;
  moreLabel: ReactNode;
  /** One item, as a `<li>` with its key. */
  renderItem(item: T): ReactNode;
}) {
  return (
    <>
      <h2 id={titleId} ref={list.heading} tabIndex={-1}>
        {title}
      </h2>
      {intro}
      <ListState list={list} loading={loading} empty={empty} />
      {list.items && list.items.length > 0 ? (
        <ul className="entries" aria-labelledby={titleId}>
          {list.items.map(renderItem)}
        </ul>
      ) : null}
      {list.cursor && list.items ? (
        <MoreButton busy={list.loadingMore} onMore={list.more}>
          {moreLabel}
        </MoreButton>
      ) : null}
    </>
  );
}
