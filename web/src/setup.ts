import { useEffect, useMemo, useState } from 'react';
import { api, PROFILE, type Profile } from './api';
import { asApiError } from './components/Form';
import { deviceTimezone, formatters, type Formatters, type Preferences } from './format';
import { loadCatalog, type Catalog } from './health';

export type Setup =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; catalog: Catalog; prefs: Preferences; fmt: Formatters; profile: Profile };

/** What a page that needs only the user's preferences (time zone, language) waits for. */
export type PrefsSetup =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; prefs: Preferences; fmt: Formatters; profile: Profile };

type Loaded<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; value: T };

/** The user's preferences from the profile; the device's time zone until they choose one. */
export function preferencesOf(profile: Profile): Preferences {
  const chosen = !profile.completion.missing.includes('timezone');
  return {
    timezone: chosen ? profile.preferences.timezone : deviceTimezone(),
    timezoneFromDevice: !chosen,
    locale: profile.preferences.locale,
    unitSystem: profile.preferences.unit_system,
  };
}

function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setState({ status: 'ready', value }),
      (err: unknown) => live && setState({ status: 'error', message: asApiError(err).message }),
    );
    return () => {
      live = false;
    };
    // Loaded once, when the page opens.
  }, []);
  return state;
}

/** The profile, fetched when the page opens. */
export const useProfile = () => useLoad(() => api<Profile>('GET', PROFILE));

/** The metric catalogue (fetched once per page load). */
export const useCatalog = () => useLoad(loadCatalog);

/** Both together: what a health page needs before it can show anything. */
export function combine(profile: Loaded<Profile>, catalog: Loaded<Catalog>): Setup {
  if (profile.status === 'error') return profile;
  if (catalog.status === 'error') return catalog;
  if (profile.status === 'loading' || catalog.status === 'loading') return { status: 'loading' };
  const prefs = preferencesOf(profile.value);
  return { status: 'ready', catalog: catalog.value, profile: profile.value, prefs, fmt: formatters(prefs) };
}

export function useSetup(): Setup {
  const profile = useProfile();
  const catalog = useCatalog();
  return useMemo(() => combine(profile, catalog), [profile, catalog]);
}

/** The preferences alone: for pages that do not show health-tracking readings. */
export function usePreferences(): PrefsSetup {
  const profile = useProfile();
  return useMemo((): PrefsSetup => {
    if (profile.status !== 'ready') return profile;
    const prefs = preferencesOf(profile.value);
    return { status: 'ready', prefs, fmt: formatters(prefs), profile: profile.value };
  }, [profile]);
}
