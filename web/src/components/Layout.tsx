import { useEffect, useRef, useState, type ReactNode } from 'react';
import { currentFor, Link, useRouter } from '../router';
import { useSession } from '../session';

/** The signed-in menu; `section` lists the other paths that belong to an entry (a record, a lab). */
const NAV: { to: string; label: string; more?: string; section?: string[] }[] = [
  { to: '/', label: 'Dashboard' },
  { to: '/log', label: 'Log', more: ' a reading' },
  { to: '/readings', label: 'Readings' },
  { to: '/symptoms', label: 'Symptoms' },
  { to: '/goals', label: 'Goals' },
  { to: '/meals', label: 'Meals' },
  { to: '/records', label: 'Records', more: ' and labs', section: ['/records', '/labs'] },
  { to: '/insights', label: 'Insights' },
  { to: '/devices', label: 'Devices', more: ' and imports' },
  { to: '/profile', label: 'Profile' },
  { to: '/settings', label: 'Settings' },
];

export function Layout({ children }: { children: ReactNode }) {
  const { state, signOut } = useSession();
  const { path, navigate } = useRouter();
  const signedIn = state.status === 'signed-in';
  // On narrow screens the signed-in menu folds behind a button; it closes on every move.
  const [open, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  useEffect(() => setOpen(false), [path]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="site-header">
        <div className={`site-header__inner${signedIn ? ' site-header__inner--menu' : ''}`}>
          <Link to="/" className="brand">
            <svg className="brand__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
              <rect width="32" height="32" rx="7" />
              <path d="M13 7h6v6h6v6h-6v6h-6v-6H7v-6h6z" />
            </svg>
            <span>Personal Health Assistant</span>
          </Link>
          <nav
            aria-label="Main"
            className={signedIn ? 'nav-wrap nav-wrap--foldable' : 'nav-wrap'}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && open) {
                setOpen(false);
                toggle.current?.focus();
              }
            }}
          >
            {signedIn ? (
              <button
                type="button"
                ref={toggle}
                className="nav-toggle"
                aria-expanded={open}
                aria-controls="main-menu"
                onClick={() => setOpen(!open)}
              >
                <svg className="nav-toggle__icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
                  {open ? <path d="M5 5l10 10M15 5L5 15" /> : <path d="M3 5h14M3 10h14M3 15h14" />}
                </svg>
                Menu
              </button>
            ) : null}
            <ul id="main-menu" className={`nav${open ? ' nav--open' : ''}`}>
              {signedIn ? (
                <>
                  {NAV.map((item) => (
                    <li key={item.to}>
                      <Link to={item.to} aria-current={currentFor(path, item.to, item.section)}>
                        {item.label}
                        {item.more ? <span className="nav__more">{item.more}</span> : null}
                      </Link>
                    </li>
                  ))}
                  <li>
                    <button
                      type="button"
                      className="link-button"
                      onClick={async () => {
                        await signOut();
                        navigate('/sign-in');
                      }}
                    >
                      Sign out
                    </button>
                  </li>
                </>
              ) : (
                <>
                  <li>
                    <Link to="/sign-in" aria-current={path === '/sign-in' ? 'page' : undefined}>
                      Sign in
                    </Link>
                  </li>
                  <li>
                    <Link to="/sign-up" aria-current={path === '/sign-up' ? 'page' : undefined}>
                      Create account
                    </Link>
                  </li>
                </>
              )}
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="main">
        {children}
      </main>
      <footer className="site-footer">
        <p>
          Your health data stays on the server you run it on. <a href="/docs">API documentation</a>
        </p>
      </footer>
    </>
  );
}
