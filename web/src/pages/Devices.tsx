import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import {
  asApiError,
  EditForm,
  ErrorSummary,
  FileField,
  onSubmit,
  Status,
  TextField,
} from '../components/Form';
import {
  ConfirmDelete,
  Counts,
  EntryList,
  ItemActions,
  useItemMode,
  usePagedList,
} from '../components/ListParts';
import { OnThisPage, Page } from '../components/Page';
import { SetupGate } from '../components/SetupGate';
import {
  devices,
  FORMAT_NAMES,
  NEEDS_TIMEZONE,
  sniffFormat,
  type Connection,
  type Device,
  type Import,
  type NightscoutSecret,
  type NightscoutStatus,
} from '../devices';
import { bytes, type Formatters, type Preferences } from '../format';
import { Link, useRouter } from '../router';
import { useSetup } from '../setup';

const PROVIDER_NAMES: Record<string, string> = {
  apple_health: 'Apple Health',
  dexcom: 'Dexcom',
  fitbit: 'Fitbit',
  nightscout: 'Nightscout uploader',
  oura: 'Oura',
  other: 'Other',
};

const TYPE_NAMES: Record<string, string> = {
  cgm: 'continuous glucose monitor',
  glucose_meter: 'glucose meter',
  activity_tracker: 'activity tracker',
  smartwatch: 'smartwatch',
  ring: 'ring',
  phone: 'phone',
  smart_scale: 'scale',
  blood_pressure_monitor: 'blood pressure monitor',
  thermometer: 'thermometer',
  pulse_oximeter: 'pulse oximeter',
  uploader: 'uploader app',
  app: 'app',
  other: 'other device',
};

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function Devices() {
  const setup = useSetup();
  return (
    <Page
      title="Devices and imports"
      intro="Bring in readings from your devices and apps: upload an export file, connect a cloud account, or let a Nightscout uploader send them."
    >
      <OnThisPage
        links={[
          { href: '#import', label: 'Import a file' },
          { href: '#connections', label: 'Cloud connections' },
          { href: '#nightscout', label: 'Nightscout uploader' },
          { href: '#devices', label: 'Your devices' },
          { href: '#imports', label: 'Past imports' },
        ]}
      />
      <SetupGate setup={setup}>{({ prefs, fmt }) => <DevicesBody prefs={prefs} fmt={fmt} />}</SetupGate>
    </Page>
  );
}

function DevicesBody({ prefs, fmt }: { prefs: Preferences; fmt: Formatters }) {
  // An import or a connection can add a device (and an import a line to the history): both lists
  // load again after one.
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  return (
    <>
      <ImportSection prefs={prefs} fmt={fmt} onImported={changed} />
      <ConnectionsSection fmt={fmt} onChanged={changed} />
      <NightscoutSection fmt={fmt} />
      <DeviceList key={`devices-${version}`} fmt={fmt} />
      <ImportHistory key={`imports-${version}`} fmt={fmt} />
    </>
  );
}

// ---- import a file ---------------------------------------------------------------------------------

type Phase =
  | { step: 'idle' }
  | { step: 'uploading'; loaded: number; total: number }
  | { step: 'processing'; imp: Import }
  | { step: 'done'; imp: Import }
  | { step: 'same'; imp: Import; previous: Import | null };

const IMPORT_FIELDS = { file: 'File', timezone: 'Time zone' };

function ImportSection({
  prefs,
  fmt,
  onImported,
}: {
  prefs: Preferences;
  fmt: Formatters;
  onImported(): void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<string | null>(null);
  const [timezone, setTimezone] = useState(prefs.timezone);
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState('');
  const live = useRef(true);
  const abort = useRef<AbortController | null>(null);
  const result = useRef<HTMLHeadingElement>(null);
  const zones = useZones();

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      abort.current?.abort();
    };
  }, []);

  useEffect(() => {
    if (phase.step === 'done' || phase.step === 'same') result.current?.focus();
  }, [phase.step]);

  const busy = phase.step === 'uploading' || phase.step === 'processing';
  const needsZone = format !== null && NEEDS_TIMEZONE.has(format);

  async function choose(chosen: File | null) {
    setFile(chosen);
    setFormat(null);
    setError(null);
    setPhase({ step: 'idle' });
    setStatus('');
    if (chosen) setFormat(await sniffFormat(chosen).catch(() => null));
  }

  /** Follows the server reading the file until it has finished. */
  async function follow(imp: Import) {
    let current = imp;
    while (live.current && (current.status === 'queued' || current.status === 'processing')) {
      setPhase({ step: 'processing', imp: current });
      await new Promise((resolve) => setTimeout(resolve, 400));
      if (!live.current) return;
      current = await devices.importById(current.id);
    }
    if (!live.current) return;
    setPhase({ step: 'done', imp: current });
    setStatus(
      current.status === 'completed'
        ? `Import finished: ${plural(current.counts.readings_created, 'new reading', 'new readings')}.`
        : 'The import failed.',
    );
    onImported();
  }

  async function send(force: boolean) {
    setError(null);
    if (!file) {
      setError(
        new ApiError(400, 'validation_error', 'Choose a file', [{ field: 'file', problem: 'Choose a file' }]),
      );
      return;
    }
    if (needsZone && timezone.trim() === '') {
      setError(
        new ApiError(400, 'validation_error', 'Say which time zone', [
          { field: 'timezone', problem: 'Say which time zone the device was set to' },
        ]),
      );
      return;
    }
    setPhase({ step: 'uploading', loaded: 0, total: file.size });
    setStatus(`Uploading ${file.name}…`);
    abort.current = new AbortController();
    try {
      const { status: code, data } = await devices.upload(
        file,
        // A file that is not recognised here may still be one the server reads: send the zone anyway.
        { timezone: needsZone || format === null ? timezone.trim() || undefined : undefined, force },
        ({ loaded, total }) => live.current && setPhase({ step: 'uploading', loaded, total }),
        abort.current.signal,
      );
      if (!live.current) return;
      if (code === 200 && data.same_file_as) {
        const previous = await devices.importById(data.same_file_as).catch(() => null);
        if (!live.current) return;
        setPhase({ step: 'same', imp: data, previous });
        setStatus('You imported this file before: nothing was added.');
        onImported();
        return;
      }
      setStatus('Uploaded. The server is reading the file…');
      await follow(data);
    } catch (err) {
      if (!live.current) return;
      const apiError = asApiError(err);
      setPhase({ step: 'idle' });
      setStatus('');
      setError(
        apiError.fieldErrors.length > 0 || apiError.code === 'aborted'
          ? apiError
          : new ApiError(apiError.status, apiError.code, apiError.message, { field: 'file' }),
      );
    } finally {
      abort.current = null;
    }
  }

  const submit = onSubmit(() => send(false));

  return (
    <section className="card section" aria-labelledby="import">
      <h2 id="import">Import a file</h2>
      <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary form="import" error={error} fields={IMPORT_FIELDS} />
        <FileField
          form="import"
          name="file"
          label="File to import"
          hint={
            <>
              One of:
              <ul className="formats">
                <li>
                  Apple Health: export.zip, or the export.xml inside it (Health app, your picture, Export All
                  Health Data)
                </li>
                <li>Dexcom Clarity: the CSV export (Clarity, Export)</li>
                <li>Fitbit: a CSV table (daily activity, sleep, weight or heart rate)</li>
                <li>Nightscout: a JSON file of entries or treatments</li>
              </ul>
            </>
          }
          accept=".zip,.xml,.csv,.json,application/zip,text/xml,application/xml,text/csv,application/json"
          disabled={busy}
          onFile={(chosen) => void choose(chosen)}
          error={error?.fieldError('file')}
        >
          {file ? (
            <p className="file-kind" data-testid="file-kind">
              {format
                ? `${file.name} (${bytes(file.size, fmt)}) looks like a ${FORMAT_NAMES[format] ?? format}.`
                : `${file.name} (${bytes(file.size, fmt)}) is not a format this page recognises; the server will say whether it can read it.`}
            </p>
          ) : null}
        </FileField>
        {needsZone || (file && format === null) ? (
          <>
            <TextField
              form="import"
              name="timezone"
              label="Time zone of the device"
              hint={`This file has local times without a time zone. Say which one the device was set to, such as Europe/Paris. Yours is ${prefs.timezone}.`}
              list="import-timezones"
              autoComplete="off"
              spellCheck={false}
              value={timezone}
              disabled={busy}
              onChange={(e) => setTimezone(e.target.value)}
              error={error?.fieldError('timezone')}
            />
            <datalist id="import-timezones">
              {zones.map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
          </>
        ) : null}
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Importing…' : 'Upload and import'}
          </button>
          {phase.step === 'uploading' ? (
            <button type="button" className="button button--secondary" onClick={() => abort.current?.abort()}>
              Cancel upload
            </button>
          ) : null}
        </div>
        <Status>{status}</Status>
      </form>

      {phase.step !== 'idle' ? <Progress phase={phase} file={file} fmt={fmt} /> : null}

      {phase.step === 'done' ? (
        <div className="import-result" data-testid="import-result">
          <h3 ref={result} tabIndex={-1}>
            {phase.imp.status === 'completed' ? 'Imported' : 'The import failed'}
            {phase.imp.filename ? `: ${phase.imp.filename}` : ''}
          </h3>
          <ImportFacts imp={phase.imp} fmt={fmt} />
          {phase.imp.status === 'completed' && phase.imp.counts.readings_created > 0 ? (
            <p className="saved__links">
              <Link to="/">See them on the dashboard</Link>
              <Link to="/readings">Your readings</Link>
            </p>
          ) : null}
        </div>
      ) : null}

      {phase.step === 'same' ? (
        <div className="import-result import-result--same" data-testid="import-same">
          <h3 ref={result} tabIndex={-1}>
            Already imported: nothing was added
          </h3>
          <p>
            {phase.previous
              ? `You imported this same file on ${fmt.dateTime(phase.previous.created_at)}${
                  phase.previous.filename ? ` (as ${phase.previous.filename})` : ''
                }. It added ${plural(phase.previous.counts.readings_created, 'reading', 'readings')} then, and they are still in your data.`
              : 'You imported this same file before, and its readings are already in your data.'}
          </p>
          <p className="hint">
            To read it again anyway (if you deleted some of its readings since, say), import it again:
            readings you still have are not added twice.
          </p>
          <div className="actions">
            <button type="button" className="button button--secondary" onClick={() => void send(true)}>
              Import it again anyway
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}

function useZones(): string[] {
  const [zones] = useState(() => {
    try {
      return Intl.supportedValuesOf('timeZone');
    } catch {
      return [];
    }
  });
  return zones;
}

/** The two stages, each with its bar: the upload (from the browser), then the server reading the file. */
function Progress({ phase, file, fmt }: { phase: Phase; file: File | null; fmt: Formatters }) {
  const uploaded =
    phase.step === 'uploading'
      ? { loaded: phase.loaded, total: phase.total || 1 }
      : { loaded: file?.size ?? 1, total: file?.size ?? 1 };
  const uploadPercent = Math.min(100, Math.round((100 * uploaded.loaded) / uploaded.total));
  const imp = phase.step === 'processing' || phase.step === 'done' ? phase.imp : null;
  const readPercent = imp ? imp.progress.percent : 0;
  return (
    <ol className="progress-steps" aria-label="Progress">
      <li>
        <p id="upload-progress-label" className="progress-steps__label">
          Upload
          <span className="progress-steps__figure">
            {phase.step === 'uploading'
              ? `${uploadPercent} % (${bytes(uploaded.loaded, fmt)} of ${bytes(uploaded.total, fmt)})`
              : 'done'}
          </span>
        </p>
        <progress
          className="meter"
          max={100}
          value={uploadPercent}
          aria-labelledby="upload-progress-label"
          data-testid="upload-progress"
        >
          {uploadPercent} %
        </progress>
      </li>
      {phase.step !== 'same' ? (
        <li>
          <p id="read-progress-label" className="progress-steps__label">
            Reading the file on the server
            <span className="progress-steps__figure">
              {phase.step === 'uploading'
                ? 'waiting for the upload'
                : phase.step === 'done'
                  ? phase.imp.status === 'completed'
                    ? 'done'
                    : 'stopped'
                  : imp?.status === 'queued'
                    ? 'about to start'
                    : `${readPercent} %`}
            </span>
          </p>
          <progress
            className="meter"
            max={100}
            value={readPercent}
            aria-labelledby="read-progress-label"
            data-testid="read-progress"
          >
            {readPercent} %
          </progress>
        </li>
      ) : null}
    </ol>
  );
}

/** What an import did: the counts, the records skipped by reason, and the problems with their line. */
function ImportFacts({ imp, fmt }: { imp: Import; fmt: Formatters }) {
  const c = imp.counts;
  const reasons = Object.entries(imp.skipped_by_reason);
  const shownErrors = imp.errors.slice(0, 50);
  return (
    <>
      {imp.message && !imp.same_file_as ? (
        <p className={imp.status === 'failed' ? 'field-error' : ''}>{imp.message}</p>
      ) : null}
      <Counts
        items={[
          { label: 'New readings', value: c.readings_created, testId: 'count-created' },
          { label: 'Already in your data', value: c.readings_duplicate, testId: 'count-duplicate' },
          { label: 'Skipped', value: c.records_skipped, testId: 'count-skipped' },
          { label: 'With problems', value: c.records_invalid, testId: 'count-invalid' },
          ...(c.treatments_stored > 0
            ? [{ label: 'Treatments (insulin, carbs)', value: c.treatments_stored }]
            : []),
          {
            label: 'Records read',
            value: `${c.records_read}${imp.format ? ` from a ${FORMAT_NAMES[imp.format] ?? imp.format}` : ''}${
              imp.timezone ? `, times in ${imp.timezone}` : ''
            }, ${bytes(imp.size_bytes, fmt)}`,
          },
        ]}
      />
      {reasons.length > 0 ? (
        <>
          <h4>Skipped, and why</h4>
          <ul className="reasons">
            {reasons.map(([reason, n]) => (
              <li key={reason}>
                {reason}: <strong>{n}</strong>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {shownErrors.length > 0 ? (
        <>
          <h4>Problems found</h4>
          <ul className="problems">
            {shownErrors.map((e, i) => (
              <li key={`${e.ref}-${i}`}>
                <strong>{e.ref}</strong>: {e.problem}
              </li>
            ))}
          </ul>
          {imp.errors.length > shownErrors.length ? (
            <p className="hint">And {imp.errors.length - shownErrors.length} more.</p>
          ) : null}
        </>
      ) : null}
    </>
  );
}

// ---- past imports ----------------------------------------------------------------------------------

const IMPORT_STATUS: Record<string, string> = {
  queued: 'Waiting',
  processing: 'Reading',
  completed: 'Finished',
  failed: 'Failed',
};

function ImportHistory({ fmt }: { fmt: Formatters }) {
  const list = usePagedList<Import>(
    (cursor) => devices.imports(cursor),
    (imp) => `import-${imp.id}`,
    (count) => `Showing ${count} imports.`,
  );
  return (
    <section className="section" aria-labelledby="imports">
      <EntryList
        list={list}
        titleId="imports"
        title="Past imports"
        loading="Loading your imports…"
        empty={<p>No files imported yet.</p>}
        moreLabel="Show older imports"
        renderItem={(imp) => (
          <li key={imp.id} className="card entry" data-testid="past-import">
            <h3 id={`import-${imp.id}`} tabIndex={-1} className="entry__title">
              {imp.filename ?? 'A file'}
            </h3>
            <p className="entry__meta">
              <span
                className={`tag${imp.status === 'completed' ? ' tag--achieved' : imp.status === 'failed' ? ' tag--missed' : ''}`}
              >
                {IMPORT_STATUS[imp.status] ?? imp.status}
              </span>{' '}
              {fmt.dateTime(imp.created_at)}
              {imp.format ? `, ${FORMAT_NAMES[imp.format] ?? imp.format}` : ''}
            </p>
            <p className="entry__summary">
              {imp.same_file_as
                ? 'The same file as an earlier import: nothing added.'
                : imp.status === 'queued' || imp.status === 'processing'
                  ? `${imp.progress.percent} % read so far.`
                  : `${plural(imp.counts.readings_created, 'new reading', 'new readings')}, ${imp.counts.readings_duplicate} already there, ${imp.counts.records_skipped} skipped, ${plural(imp.counts.records_invalid, 'problem', 'problems')}.`}
            </p>
            {!imp.same_file_as ? (
              <details>
                <summary>
                  Details<span className="visually-hidden"> of {imp.filename ?? 'this import'}</span>
                </summary>
                <ImportFacts imp={imp} fmt={fmt} />
              </details>
            ) : null}
          </li>
        )}
      />
    </section>
  );
}

// ---- devices ---------------------------------------------------------------------------------------

function DeviceList({ fmt }: { fmt: Formatters }) {
  const list = usePagedList<Device>(
    (cursor) => devices.list(cursor),
    (d) => `device-${d.id}`,
    (count) => `Showing ${count} devices.`,
  );
  const { setItems, setStatus } = list;
  return (
    <section className="section" aria-labelledby="devices">
      <EntryList
        list={list}
        titleId="devices"
        title="Your devices"
        intro={
          <p className="hint">
            Each device or app that sent readings, by file, uploader or connection. Removing or disconnecting
            one keeps the readings it already sent.
          </p>
        }
        loading="Loading your devices…"
        empty={<p>No devices yet. Import a file or connect an account, and its device appears here.</p>}
        moreLabel="Show more devices"
        renderItem={(d) => (
          <DeviceItem
            key={d.id}
            device={d}
            fmt={fmt}
            onChanged={(updated, what) => {
              setItems((items) => items && items.map((x) => (x.id === updated.id ? updated : x)));
              setStatus(what);
            }}
            onDeleted={() => {
              setItems((items) => items && items.filter((x) => x.id !== d.id));
              setStatus(`${d.name} removed.`);
              list.heading.current?.focus();
            }}
          />
        )}
      />
    </section>
  );
}

function DeviceItem({
  device,
  fmt,
  onChanged,
  onDeleted,
}: {
  device: Device;
  fmt: Formatters;
  onChanged(d: Device, what: string): void;
  onDeleted(): void;
}) {
  const modes = useItemMode();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const disconnected = device.status === 'disconnected';
  const viaConnection = device.registered_by === 'connection';
  const kind = [PROVIDER_NAMES[device.provider] ?? device.provider, TYPE_NAMES[device.device_type]]
    .filter(Boolean)
    .join(', ');
  const lastSync = device.connection?.last_sync_at ?? device.last_seen_at;

  async function toggle() {
    setBusy(true);
    setError(null);
    try {
      const updated = disconnected ? await devices.reconnect(device.id) : await devices.disconnect(device.id);
      onChanged(
        updated,
        disconnected
          ? `${device.name} reconnected: it can send readings again.`
          : `${device.name} disconnected.`,
      );
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="card entry device" data-testid="device">
      <h3 id={`device-${device.id}`} tabIndex={-1} className="entry__title">
        {device.name}
      </h3>
      <p className="entry__meta">
        <span className={`tag${disconnected ? ' tag--missed' : ' tag--achieved'}`}>
          {disconnected ? 'Disconnected' : 'Active'}
        </span>{' '}
        {kind}
      </p>
      <dl className="facts facts--compact">
        <div>
          <dt>Source</dt>
          <dd>
            <code>{device.source}</code>
          </dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>
            {lastSync ? fmt.dateTime(lastSync) : 'Never'}
            {device.connection?.last_sync_status ? ` (${device.connection.last_sync_status})` : ''}
          </dd>
        </div>
        <div>
          <dt>Readings</dt>
          <dd>
            {device.readings_received}
            {device.first_reading_at && device.last_reading_at
              ? `, from ${fmt.date(device.first_reading_at)} to ${fmt.date(device.last_reading_at)}`
              : ''}
          </dd>
        </div>
      </dl>
      <ErrorSummary form={`device-${device.id}`} error={error} fields={{}} />
      <ItemActions
        modes={modes}
        about={device.name}
        editLabel="Rename"
        form={`delete-${device.id}`}
        question={`Remove “${device.name}” from your devices? The readings it sent stay in your data.`}
        onDelete={() => devices.remove(device.id)}
        onDeleted={onDeleted}
        onChanged={(d: Device) => onChanged(d, `Renamed to ${d.name}.`)}
        editor={(edit) => <RenameDevice device={device} onSaved={edit.saved} onCancel={edit.cancel} />}
      >
        {disconnected && viaConnection ? null : (
          <button
            type="button"
            className="button button--small button--secondary"
            aria-label={`${disconnected ? 'Reconnect' : 'Disconnect'} ${device.name}`}
            disabled={busy}
            onClick={() => void toggle()}
          >
            {disconnected ? 'Reconnect' : 'Disconnect'}
          </button>
        )}
      </ItemActions>
      {disconnected && viaConnection && modes.mode === 'view' ? (
        <p className="hint">
          To receive its readings again, <a href="#connections">connect the account again</a>.
        </p>
      ) : null}
    </li>
  );
}

function RenameDevice({
  device,
  onSaved,
  onCancel,
}: {
  device: Device;
  onSaved(d: Device): void;
  onCancel(): void;
}) {
  const form = `rename-${device.id}`;
  const [name, setName] = useState(device.name);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = onSubmit(async () => {
    setError(null);
    if (name.trim() === '') {
      setError(
        new ApiError(400, 'validation_error', 'Give it a name', [
          { field: 'name', problem: 'Give it a name' },
        ]),
      );
      return;
    }
    setBusy(true);
    try {
      onSaved(await devices.rename(device.id, name.trim()));
    } catch (err) {
      setError(asApiError(err));
      setBusy(false);
    }
  });
  return (
    <EditForm
      form={form}
      label={`Rename ${device.name}`}
      error={error}
      fields={{ name: 'Name' }}
      busy={busy}
      onSubmit={submit}
      onCancel={onCancel}
    >
      <TextField
        form={form}
        name="name"
        label="Name"
        maxLength={200}
        required
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={error?.fieldError('name')}
      />
    </EditForm>
  );
}

// ---- cloud connections -----------------------------------------------------------------------------

const CONNECTION_STATUS: Record<string, string> = {
  not_connected: 'Not connected',
  active: 'Connected',
  needs_reauthorization: 'Needs to be connected again',
  disconnected: 'Disconnected',
};

/** The settings named in the server's "not configured" message (DEXCOM_CLIENT_ID, ...). */
const variablesIn = (message: string | null) => [
  ...new Set(message?.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []),
];

function ConnectionsSection({ fmt, onChanged }: { fmt: Formatters; onChanged(): void }) {
  const { search } = useRouter();
  const [items, setItems] = useState<Connection[] | null>(null);
  const [loadError, setLoadError] = useState('');
  const [back] = useState(() => ({
    provider: search.get('connection'),
    status: search.get('status'),
    message: search.get('message'),
  }));
  const notice = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let alive = true;
    devices.connections().then(
      ({ items }) => alive && setItems(items),
      (err: unknown) => alive && setLoadError(asApiError(err).message),
    );
    return () => {
      alive = false;
    };
  }, []);

  // Back from the provider (the callback sends the browser to /devices?connection=...&status=...):
  // say how it went, once, and take the parameters out of the address.
  useEffect(() => {
    if (!back.provider) return;
    const url = new URL(window.location.href);
    for (const key of ['connection', 'status', 'message']) url.searchParams.delete(key);
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}#connections`);
    notice.current?.focus();
  }, [back]);

  const returnedName = back.provider
    ? (items?.find((c) => c.provider === back.provider)?.name ?? back.provider)
    : '';

  return (
    <section className="card section" aria-labelledby="connections">
      <h2 id="connections">Cloud connections</h2>
      <p>
        Connect an account once, and its readings arrive by themselves: each sync picks up where the last one
        stopped.
      </p>
      {back.provider ? (
        <div
          ref={notice}
          tabIndex={-1}
          className={back.status === 'connected' ? 'notice notice--ok' : 'error-summary'}
          role={back.status === 'connected' ? 'status' : 'alert'}
        >
          {back.status === 'connected' ? (
            <p>
              <strong>{returnedName} is connected.</strong> Its first sync is under way; readings appear in
              your charts as they arrive.
            </p>
          ) : (
            <p>
              <strong>{returnedName} was not connected.</strong> {back.message ?? 'Try connecting it again.'}
            </p>
          )}
        </div>
      ) : null}
      {loadError ? <p role="alert">{loadError}</p> : null}
      {!items && !loadError ? <p>Loading…</p> : null}
      {items ? (
        <ul className="provider-cards">
          {items.map((c) => (
            <ProviderCard
              key={c.provider}
              connection={c}
              fmt={fmt}
              onChanged={(updated) => {
                setItems((list) => list && list.map((x) => (x.provider === updated.provider ? updated : x)));
                onChanged();
              }}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function ProviderCard({
  connection: c,
  fmt,
  onChanged,
}: {
  connection: Connection;
  fmt: Formatters;
  onChanged(c: Connection): void;
}) {
  const [busy, setBusy] = useState<'' | 'connect' | 'sync' | 'disconnect'>('');
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState('');
  const titleId = `provider-${c.provider}`;
  const connected = c.status === 'active';

  async function run(what: 'connect' | 'sync' | 'disconnect') {
    setBusy(what);
    setError(null);
    setStatus('');
    try {
      if (what === 'connect') {
        const { authorization_url } = await devices.authorize(c.provider, '/devices');
        setStatus(`Opening ${c.name}…`);
        window.location.assign(authorization_url);
        return;
      }
      const updated =
        what === 'sync' ? await devices.sync(c.provider) : await devices.disconnectProvider(c.provider);
      onChanged(updated);
      setStatus(what === 'sync' ? 'Synced.' : `${c.name} disconnected. Its readings stay in your data.`);
    } catch (err) {
      setError(asApiError(err));
    }
    setBusy('');
  }

  return (
    <li className="card provider" aria-labelledby={titleId} data-provider={c.provider}>
      <h3 id={titleId}>{c.name}</h3>
      {!c.configured ? (
        <div className="not-configured" data-testid="not-configured">
          <p>
            <strong>Not configured on this server.</strong> To connect {c.name}, the server’s operator
            registers this app in the {c.name} developer portal and sets:
          </p>
          <ul className="variables" aria-label="Settings the operator sets">
            {variablesIn(c.message).map((v) => (
              <li key={v}>
                <code>{v}</code>
              </li>
            ))}
          </ul>
          {variablesIn(c.message).length === 0 && c.message ? <p className="hint">{c.message}</p> : null}
        </div>
      ) : (
        <>
          <p>
            <span
              className={`tag${connected ? ' tag--achieved' : c.status === 'needs_reauthorization' ? ' tag--missed' : ''}`}
            >
              {CONNECTION_STATUS[c.status] ?? c.status}
            </span>
          </p>
          {c.last_sync_finished_at ? (
            <p className="entry__meta">
              Last sync {fmt.dateTime(c.last_sync_finished_at)}
              {c.last_sync_status ? ` (${c.last_sync_status})` : ''}
              {c.last_sync_counts
                ? `: ${Object.entries(c.last_sync_counts)
                    .map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`)
                    .join(', ')}`
                : ''}
            </p>
          ) : c.status !== 'not_connected' ? (
            <p className="entry__meta">No sync yet.</p>
          ) : null}
          {c.last_sync_message ? <p className="hint">{c.last_sync_message}</p> : null}
          <ErrorSummary form={`provider-${c.provider}`} error={error} fields={{}} />
          <div className="actions">
            {connected ? (
              <>
                <button
                  type="button"
                  className="button button--small"
                  disabled={busy !== ''}
                  onClick={() => void run('sync')}
                >
                  {busy === 'sync' ? 'Syncing…' : 'Sync now'}
                </button>
                <button
                  type="button"
                  className="button button--small button--danger-outline"
                  disabled={busy !== ''}
                  onClick={() => void run('disconnect')}
                >
                  {busy === 'disconnect' ? 'Disconnecting…' : `Disconnect ${c.name}`}
                </button>
              </>
            ) : (
              <button
                type="button"
                className="button button--small"
                disabled={busy !== ''}
                onClick={() => void run('connect')}
              >
                {busy === 'connect' ? 'Opening…' : `Connect ${c.name}`}
              </button>
            )}
          </div>
          <Status>{status}</Status>
        </>
      )}
    </li>
  );
}

// ---- Nightscout uploader ---------------------------------------------------------------------------

function NightscoutSection({ fmt }: { fmt: Formatters }) {
  const [state, setState] = useState<NightscoutStatus | null>(null);
  const [loadError, setLoadError] = useState('');
  const [fresh, setFresh] = useState<NightscoutSecret | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [status, setStatus] = useState('');
  const removeButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let alive = true;
    devices.nightscout().then(
      (s) => alive && setState(s),
      (err: unknown) => alive && setLoadError(asApiError(err).message),
    );
    return () => {
      alive = false;
    };
  }, []);

  async function create() {
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      const secret = await devices.newNightscoutSecret();
      setFresh(secret);
      setState({
        configured: true,
        nightscout_url: secret.nightscout_url,
        created_at: secret.created_at,
        last_used_at: null,
      });
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card section" aria-labelledby="nightscout">
      <h2 id="nightscout" ref={heading} tabIndex={-1}>
        Nightscout uploader
      </h2>
      <p>
        xDrip+, Loop and AndroidAPS can send glucose readings here as they would to a Nightscout site. They
        need this server’s address and an API secret.
      </p>
      {loadError ? <p role="alert">{loadError}</p> : null}
      {!state && !loadError ? <p>Loading…</p> : null}
      {state ? (
        <>
          <p data-testid="nightscout-status">
            {state.configured ? (
              <>
                <span className="tag tag--achieved">Set up</span> Secret made{' '}
                {state.created_at ? fmt.dateTime(state.created_at) : ''};{' '}
                {state.last_used_at
                  ? `last used by an uploader ${fmt.dateTime(state.last_used_at)}.`
                  : 'no uploader has used it yet.'}
              </>
            ) : (
              <>
                <span className="tag">Not set up</span> No secret yet: uploaders cannot send readings.
              </>
            )}
          </p>
          {fresh ? <SecretOnce secret={fresh} /> : null}
          <ErrorSummary form="nightscout" error={error} fields={{}} />
          {confirmRemove ? (
            <ConfirmDelete
              form="nightscout-remove"
              question="Remove the Nightscout secret? Uploaders using it can no longer send readings."
              onDelete={async () => {
                await devices.removeNightscoutSecret();
                setConfirmRemove(false);
                setFresh(null);
                setState({ ...state, configured: false, created_at: null, last_used_at: null });
                setStatus('The Nightscout secret is removed.');
                heading.current?.focus();
              }}
              onCancel={() => {
                setConfirmRemove(false);
                setTimeout(() => removeButton.current?.focus());
              }}
            />
          ) : (
            <div className="actions">
              <button type="button" className="button" disabled={busy} onClick={() => void create()}>
                {busy ? 'Making a secret…' : state.configured ? 'Make a new secret' : 'Create a secret'}
              </button>
              {state.configured ? (
                <button
                  type="button"
                  ref={removeButton}
                  className="button button--danger-outline"
                  onClick={() => setConfirmRemove(true)}
                >
                  Remove the secret
                </button>
              ) : null}
            </div>
          )}
          {state.configured && !confirmRemove ? (
            <p className="hint">A new secret replaces the old one at once: enter it in each uploader.</p>
          ) : null}
          <Status>{status}</Status>
        </>
      ) : null}
    </section>
  );
}

/** The secret, shown this once, with the addresses to enter in the uploaders and buttons to copy them. */
function SecretOnce({ secret }: { secret: NightscoutSecret }) {
  const box = useRef<HTMLHeadingElement>(null);
  useEffect(() => box.current?.focus(), [secret]);
  const here = `${window.location.origin}/device-data`;
  const url = new URL(secret.nightscout_url);
  const xdrip = `${url.protocol}//${encodeURIComponent(secret.api_secret)}@${url.host}${url.pathname.replace(/\/$/, '')}/api/v1/`;
  return (
    <div className="backup-codes secret-once" data-testid="nightscout-secret">
      <h3 ref={box} tabIndex={-1}>
        Your API secret
      </h3>
      <p>
        <strong>Shown only this once.</strong> Copy it into your uploader now; the server keeps only a
        fingerprint of it and cannot show it again.
      </p>
      <Copyable name="API secret" label="API secret" value={secret.api_secret} testId="secret-value" />
      <Copyable
        name="Nightscout URL"
        label="Nightscout URL (in Loop and AndroidAPS: the site URL)"
        value={secret.nightscout_url}
        testId="secret-url"
      />
      {secret.nightscout_url !== here ? (
        <p className="hint">
          This page is open at {window.location.origin}. If your phone reaches the server at that address, use{' '}
          <code>{here}</code> instead.
        </p>
      ) : null}
      <Copyable
        name="xDrip+ base URL"
        label="In xDrip+ (Cloud Upload, Nightscout Sync (REST-API), Base URL): the secret and the address in one"
        value={xdrip}
      />
    </div>
  );
}

function Copyable({
  name,
  label,
  value,
  testId,
}: {
  name: string;
  label: string;
  value: string;
  testId?: string;
}) {
  const [status, setStatus] = useState('');
  const code = useRef<HTMLElement>(null);
  const id = `copy-${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setStatus('Copied.');
    } catch {
      // No clipboard here (an insecure page, or refused): select it for the user to copy.
      const range = document.createRange();
      if (code.current) {
        range.selectNodeContents(code.current);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
      }
      setStatus('Selected: copy it with your keyboard or menu.');
    }
  }
  return (
    <div className="copyable">
      <p id={id} className="label">
        {label}
      </p>
      <p className="uri copyable__row">
        <code ref={code} data-testid={testId}>
          {value}
        </code>
        <button
          type="button"
          className="button button--small button--secondary"
          aria-label={`Copy the ${name}`}
          onClick={() => void copy()}
        >
          Copy
        </button>
      </p>
      <Status>{status}</Status>
    </div>
  );
}
