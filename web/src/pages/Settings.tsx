import { useEffect, useMemo, useState } from 'react';
import { api, PROFILE, type ApiError, type Notifications, type Privacy, type Profile } from '../api';
import { asApiError, CheckboxField, ErrorSummary, onSubmit, Status, TextField } from '../components/Form';
import { Page } from '../components/Page';
import { DataSection } from './DataSection';
import { MfaSection, PasswordSection } from './Security';

const SECTIONS = [
  { id: 'preferences', label: 'Preferences' },
  { id: 'privacy', label: 'Privacy' },
  { id: 'two-factor', label: 'Two-factor sign-in' },
  { id: 'password', label: 'Password' },
  { id: 'your-data', label: 'Your data' },
];

export function Settings() {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    let live = true;
    api<Profile>('GET', PROFILE).then(
      (p) => live && setProfile(p),
      (err: unknown) => live && setLoadError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, []);

  return (
    <Page title="Settings">
      <nav aria-label="Settings sections" className="toc">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a href={`#${s.id}`}>{s.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      {loadError ? <p role="alert">{loadError}</p> : null}
      {profile ? (
        <>
          <PreferencesSection profile={profile} onSaved={setProfile} />
          <PrivacySection profile={profile} onSaved={setProfile} />
        </>
      ) : !loadError ? (
        <p>Loading your settings…</p>
      ) : null}
      <MfaSection />
      <PasswordSection />
      <DataSection />
    </Page>
  );
}

const NOTIFICATIONS: { key: keyof Notifications; label: string }[] = [
  { key: 'email', label: 'Email' },
  { key: 'push', label: 'Push notifications on your phone' },
  { key: 'insights', label: 'New insights about your data' },
  { key: 'reminders', label: 'Reminders to log measurements' },
];

function deviceTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return '';
  }
}

function PreferencesSection({ profile, onSaved }: { profile: Profile; onSaved(p: Profile): void }) {
  const [prefs, setPrefs] = useState(profile.preferences);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  const zones = useMemo(() => {
    try {
      return Intl.supportedValuesOf('timeZone');
    } catch {
      return [];
    }
  }, []);
  const here = deviceTimezone();

  const submit = onSubmit(async () => {
    setBusy(true);
    setError(null);
    setSaved('');
    try {
      const updated = await api<Profile>('PUT', PROFILE, {
        body: {
          preferences: {
            unit_system: prefs.unit_system,
            timezone: prefs.timezone.trim(),
            locale: prefs.locale.trim(),
            notifications: prefs.notifications,
          },
        },
      });
      onSaved(updated);
      setPrefs(updated.preferences);
      setSaved('Preferences saved.');
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  });

  return (
    <section className="card section" aria-labelledby="preferences">
      <h2 id="preferences">Preferences</h2>
      <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary
          form="prefs"
          error={error}
          fields={{
            'preferences.unit_system': 'Units',
            'preferences.timezone': 'Time zone',
            'preferences.locale': 'Language and region',
            'preferences.notifications': 'Notifications',
          }}
        />
        <fieldset className="field">
          <legend>Units</legend>
          <p className="hint">
            How measurements are shown to you. Values are stored with their own unit either way.
          </p>
          <div className="radios">
            {(['metric', 'imperial'] as const).map((system) => (
              <div className="radio" key={system}>
                <input
                  type="radio"
                  id={`prefs-preferences-unit_system-${system}`}
                  name="unit_system"
                  value={system}
                  checked={prefs.unit_system === system}
                  onChange={() => setPrefs({ ...prefs, unit_system: system })}
                />
                <label htmlFor={`prefs-preferences-unit_system-${system}`}>
                  {system === 'metric' ? 'Metric (cm, kg)' : 'Imperial (inches, pounds)'}
                </label>
              </div>
            ))}
          </div>
        </fieldset>
        <TextField
          form="prefs"
          name="preferences.timezone"
          label="Time zone"
          hint={
            <>
              A place name such as Europe/Paris or America/Chicago.{' '}
              {here && here !== prefs.timezone ? (
                <button
                  type="button"
                  className="link-button"
                  onClick={() => setPrefs({ ...prefs, timezone: here })}
                >
                  Use this device’s time zone ({here})
                </button>
              ) : null}
            </>
          }
          list="prefs-timezones"
          autoComplete="off"
          spellCheck={false}
          value={prefs.timezone}
          onChange={(e) => setPrefs({ ...prefs, timezone: e.target.value })}
          error={error?.fieldError('preferences.timezone')}
        />
        <datalist id="prefs-timezones">
          {zones.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
        <TextField
          form="prefs"
          name="preferences.locale"
          label="Language and region"
          hint="A language tag such as en-GB, en-US or fr-FR: it sets how dates and numbers are written."
          autoComplete="off"
          spellCheck={false}
          value={prefs.locale}
          onChange={(e) => setPrefs({ ...prefs, locale: e.target.value })}
          error={error?.fieldError('preferences.locale')}
        />
        <fieldset className="field" aria-describedby="prefs-notifications-hint">
          <legend>Notifications</legend>
          <p className="hint" id="prefs-notifications-hint">
            Account emails (verifying your address, resetting your password) are always sent. The others apply
            as those features arrive.
          </p>
          {NOTIFICATIONS.map((n) => (
            <CheckboxField
              key={n.key}
              form="prefs"
              name={`notifications-${n.key}`}
              label={n.label}
              checked={prefs.notifications[n.key]}
              onChange={(checked) =>
                setPrefs({ ...prefs, notifications: { ...prefs.notifications, [n.key]: checked } })
              }
            />
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Saving…' : 'Save preferences'}
          </button>
        </div>
        <Status>{saved}</Status>
      </form>
    </section>
  );
}

const PRIVACY: { key: keyof Privacy; label: string }[] = [
  { key: 'share_with_care_team', label: 'Share my data with my care team' },
  { key: 'allow_research_use', label: 'Allow my data to be used for research' },
  { key: 'show_full_name_to_doctors', label: 'Show my full name to doctors' },
];

function PrivacySection({ profile, onSaved }: { profile: Profile; onSaved(p: Profile): void }) {
  const [privacy, setPrivacy] = useState(profile.privacy);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = onSubmit(async () => {
    setBusy(true);
    setError(null);
    setSaved('');
    try {
      const updated = await api<Profile>('PUT', PROFILE, { body: { privacy } });
      onSaved(updated);
      setPrivacy(updated.privacy);
      setSaved('Privacy choices saved.');
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  });

  return (
    <section className="card section" aria-labelledby="privacy">
      <h2 id="privacy">Privacy</h2>
      <form className="form" noValidate onSubmit={submit} aria-busy={busy}>
        <ErrorSummary form="privacy" error={error} fields={{}} />
        <fieldset className="field" aria-describedby="privacy-hint">
          <legend>Who may use your data</legend>
          <p className="hint" id="privacy-hint">
            Private by default: nothing is shared until you say so. Sharing with doctors and research arrive
            with later services; the choices you make now are kept and apply to them.
          </p>
          {PRIVACY.map((p) => (
            <CheckboxField
              key={p.key}
              form="privacy"
              name={p.key}
              label={p.label}
              checked={privacy[p.key]}
              onChange={(checked) => setPrivacy({ ...privacy, [p.key]: checked })}
            />
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Saving…' : 'Save privacy choices'}
          </button>
        </div>
        <Status>{saved}</Status>
      </form>
    </section>
  );
}
