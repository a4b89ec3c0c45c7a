import type { ReactNode } from 'react';
import { Layout } from './components/Layout';
import { Dashboard } from './pages/Dashboard';
import { Devices } from './pages/Devices';
import { Goals } from './pages/Goals';
import { LogReading } from './pages/LogReading';
import { NotFound } from './pages/NotFound';
import { ForgotPassword, ResetPassword, VerifyEmail } from './pages/Password';
import { Profile } from './pages/Profile';
import { Readings } from './pages/Readings';
import { Settings } from './pages/Settings';
import { SignIn } from './pages/SignIn';
import { SignUp } from './pages/SignUp';
import { Symptoms } from './pages/Symptoms';
import { Redirect, RouterProvider, useRouter } from './router';
import { SessionProvider, useSession } from './session';

type Access = 'signed-in' | 'signed-out' | 'any';

const ROUTES: Record<string, { access: Access; render: () => ReactNode }> = {
  '/': { access: 'signed-in', render: () => <Dashboard /> },
  '/log': { access: 'signed-in', render: () => <LogReading /> },
  '/readings': { access: 'signed-in', render: () => <Readings /> },
  '/symptoms': { access: 'signed-in', render: () => <Symptoms /> },
  '/goals': { access: 'signed-in', render: () => <Goals /> },
  '/devices': { access: 'signed-in', render: () => <Devices /> },
  '/profile': { access: 'signed-in', render: () => <Profile /> },
  '/settings': { access: 'signed-in', render: () => <Settings /> },
  '/sign-in': { access: 'signed-out', render: () => <SignIn /> },
  '/sign-up': { access: 'signed-out', render: () => <SignUp /> },
  '/forgot-password': { access: 'signed-out', render: () => <ForgotPassword /> },
  '/reset-password': { access: 'any', render: () => <ResetPassword /> },
  '/verify-email': { access: 'any', render: () => <VerifyEmail /> },
};

function Routes() {
  const { state } = useSession();
  const { path, search } = useRouter();
  const route = ROUTES[path];

  if (state.status === 'loading') {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }
  if (!route) return <NotFound />;
  if (route.access === 'signed-in' && state.status !== 'signed-in') {
    const here = path + (search.size > 0 ? `?${search.toString()}` : '');
    return <Redirect to={path === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(here)}`} />;
  }
  if (route.access === 'signed-out' && state.status === 'signed-in') {
    const next = search.get('next');
    return <Redirect to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} />;
  }
  return route.render();
}

export function App() {
  return (
    <RouterProvider>
      <SessionProvider>
        <Layout>
          <Routes />
        </Layout>
      </SessionProvider>
    </RouterProvider>
  );
}
