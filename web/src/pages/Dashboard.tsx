import { useMemo, useState } from 'react';
import { api, AUTH } from '../api';
import { asApiError, Status } from '../components/Form';
import { Page } from '../components/Page';
import { FIELD_LABELS } from '../labels';
import { Link } from '../router';
import { useUser } from '../session';
import { combine, useCatalog, useProfile } from '../setup';
import { HealthOverview } from './HealthOverview';

export function Dashboard() {
  const user = useUser();
  // The profile card needs only the profile; the health part needs the catalogue as well, and says so
  // on its own when the health tracking service cannot be reached.
  const profileState = useProfile();
  const catalog = useCatalog();
  const setup = useMemo(() => combine(profileState, catalog), [profileState, catalog]);
  const profile = profileState.status === 'ready' ? profileState.value : null;
  const loadError = profileState.status === 'error' ? profileState.message : '';
  const [mailStatus, setMailStatus] = useState('');

  const firstName = (profile?.full_name ?? user.full_name).split(/\s+/)[0] || user.full_name;

  async function resendVerification() {
    setMailStatus('');
    try {
      const answer = await api<{ message: string }>('POST', `${AUTH}/email/verify/request`);
      setMailStatus(`${answer.message}.`);
    } catch (err) {
      setMailStatus(asApiError(err).message);
    }
  }

  return (
    <Page title={`Welcome, ${firstName}`} intro="Your health data, in one place you control.">
      <ul className="quick-actions">
        <li>
          <Link to="/log" className="button">
            Log a reading
          </Link>
        </li>
        <li>
          <Link to="/symptoms" className="button button--secondary">
            Log a symptom
          </Link>
        </li>
        <li>
          <Link to="/goals" className="button button--secondary">
            Your goals
          </Link>
        </li>
        <li>
          <Link to="/meals" className="button button--secondary">
            Log a meal
          </Link>
        </li>
        <li>
          <Link to="/labs" className="button button--secondary">
            Lab results
          </Link>
        </li>
        <li>
          <Link to="/devices" className="button button--secondary">
            Import from a device
          </Link>
        </li>
      </ul>
      {setup.status === 'ready' ? (
        <HealthOverview catalog={setup.catalog} prefs={setup.prefs} fmt={setup.fmt} />
      ) : catalog.status === 'error' ? (
        <section aria-labelledby="latest-title" className="section">
          <h2 id="latest-title">Latest readings</h2>
          <p role="alert">Your readings could not be loaded: {catalog.message}</p>
        </section>
      ) : null}

      <div className="grid">
        <section className="card" aria-labelledby="completion-title">
          <h2 id="completion-title">Your profile</h2>
          {loadError ? (
            <p role="alert">{loadError}</p>
          ) : !profile ? (
            <p>Loading your profile…</p>
          ) : (
            <>
              <p className="big-number">
                {profile.completion.percent}% <span>complete</span>
              </p>
              <progress
                className="meter"
                aria-label="Profile completion"
                max={100}
                value={profile.completion.percent}
              >
                {profile.completion.percent}%
              </progress>
              {profile.completion.missing.length > 0 ? (
                <>
                  <p>
                    Age, sex, height and weight let later features use the right reference ranges. Still
                    missing (choose one to fill it in):
                  </p>
                  <ul className="tags">
                    {profile.completion.missing.map((field) => (
                      <li key={field}>
                        <Link to={field === 'timezone' ? '/settings#preferences' : '/profile'}>
                          {FIELD_LABELS[field] ?? field}
                        </Link>
                      </li>
                    ))}
                  </ul>
                </>
              ) : (
                <p>
                  Everything is filled in. <Link to="/profile">Review your profile</Link>
                </p>
              )}
            </>
          )}
        </section>

        <section className="card" aria-labelledby="account-title">
          <h2 id="account-title">Your account</h2>
          <dl className="facts">
            <div>
              <dt>Email</dt>
              <dd>
                {user.email} {user.email_verified ? <span className="badge badge--ok">verified</span> : null}
              </dd>
            </div>
            <div>
              <dt>Two-factor sign-in</dt>
              <dd>{user.mfa_enabled ? 'On' : 'Off'}</dd>
            </div>
          </dl>
          {!user.email_verified ? (
            <p>
              We emailed you a link to verify your address.{' '}
              <button type="button" className="link-button" onClick={resendVerification}>
                Send it again
              </button>
            </p>
          ) : null}
          <Status>{mailStatus}</Status>
          {!user.mfa_enabled ? (
            <p>
              <Link to="/settings#two-factor">Turn on two-factor sign-in</Link> to protect your account with a
              code from your phone.
            </p>
          ) : null}
        </section>
      </div>
    </Page>
  );
}
