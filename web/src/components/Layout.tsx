import type { ReactNode } from 'react';
import { Link, useRouter } from '../router';
import { useSession } from '../session';

const NAV = [
  { to: '/', label: 'Dashboard' },
  { to: '/profile', label: 'Profile' },
  { to: '/settings', label: 'Settings' },
];

export function Layout({ children }: { children: ReactNode }) {
  const { state, signOut } = useSession();
  const { path, navigate } = useRouter();
  const signedIn = state.status === 'signed-in';

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <Link to="/" className="brand">
            <svg className="brand__mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
              <rect width="32" height="32" rx="7" />
              <path d="M13 7h6v6h6v6h-6v6h-6v-6H7v-6h6z" />
            </svg>
            <span>Personal Health Assistant</span>
          </Link>
          <nav aria-label="Main">
            <ul className="nav">
              {signedIn ? (
                <>
                  {NAV.map((item) => (
                    <li key={item.to}>
                      <Link to={item.to} aria-current={path === item.to ? 'page' : undefined}>
                        {item.label}
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
