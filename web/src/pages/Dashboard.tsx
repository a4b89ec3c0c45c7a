import { useEffect, useState } from 'react';
import { api, AUTH, PROFILE, type Profile } from '../api';
import { asApiError, Status } from '../components/Form';
import { Page } from '../components/Page';
import { FIELD_LABELS, LATER_FEATURES } from '../labels';
import { Link } from '../router';
import { useUser } from '../session';

export function Dashboard() {
  const user = useUser();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [loadError, setLoadError] = useState('');
  const [mailStatus, setMailStatus] = useState('');

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

      <section aria-labelledby="later-title" className="later">
        <h2 id="later-title">Coming with later services</h2>
        <p>
          These parts of your dashboard arrive in later versions of the web app, with the services that hold
          their data. Until then there is nothing to show here, and nothing is made up.
        </p>
        <ul className="later-list">
          {LATER_FEATURES.map((feature) => (
            <li key={feature.title} className="card card--muted">
              <h3>{feature.title}</h3>
              <p>{feature.text}</p>
              <p className="hint">Not available yet: arrives with the {feature.service} service.</p>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}
