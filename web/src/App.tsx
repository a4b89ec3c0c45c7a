import type { ReactNode } from 'react';
import { Layout } from './components/Layout';
import { Dashboard } from './pages/Dashboard';
import { Devices } from './pages/Devices';
import { DocumentPage, Documents } from './pages/Documents';
import { Epic } from './pages/Epic';
import { Goals } from './pages/Goals';
import { Insights } from './pages/Insights';
import { LabHistoryPage, Labs } from './pages/Labs';
import { LogReading } from './pages/LogReading';
import { Meals } from './pages/Meals';
import { NotFound } from './pages/NotFound';
import { ForgotPassword, ResetPassword, VerifyEmail } from './pages/Password';
import { Profile } from './pages/Profile';
import { Readings } from './pages/Readings';
import { RecordPage, Records } from './pages/Records';
import { RecordsImport } from './pages/RecordsImport';
import { RecordsSummary } from './pages/RecordsSummary';
import { Settings } from './pages/Settings';
import { SignIn } from './pages/SignIn';
import { SignUp } from './pages/SignUp';
import { Symptoms } from './pages/Symptoms';
import { Redirect, RouterProvider, useRouter } from './router';
import { SessionProvider, useSession } from './session';

type Access = 'signed-in' | 'signed-out' | 'any';

interface Route {
  access: Access;
  render: (param: string) => ReactNode;
}

const ROUTES: Record<string, Route> = {
  '/': { access: 'signed-in', render: () => <Dashboard /> },
  '/log': { access: 'signed-in', render: () => <LogReading /> },
  '/readings': { access: 'signed-in', render: () => <Readings /> },
  '/symptoms': { access: 'signed-in', render: () => <Symptoms /> },
  '/goals': { access: 'signed-in', render: () => <Goals /> },
  '/meals': { access: 'signed-in', render: () => <Meals /> },
  '/records': { access: 'signed-in', render: () => <Records /> },
  '/records/import': { access: 'signed-in', render: () => <RecordsImport /> },
  '/records/summary': { access: 'signed-in', render: () => <RecordsSummary /> },
  '/records/documents': { access: 'signed-in', render: () => <Documents /> },
  '/records/epic': { access: 'signed-in', render: () => <Epic /> },
  '/labs': { access: 'signed-in', render: () => <Labs /> },
  '/insights': { access: 'signed-in', render: () => <Insights /> },
  '/devices': { access: 'signed-in', render: () => <Devices /> },
  '/profile': { access: 'signed-in', render: () => <Profile /> },
  '/settings': { access: 'signed-in', render: () => <Settings /> },
  '/sign-in': { access: 'signed-out', render: () => <SignIn /> },
  '/sign-up': { access: 'signed-out', render: () => <SignUp /> },
  '/forgot-password': { access: 'signed-out', render: () => <ForgotPassword /> },
  '/reset-password': { access: 'any', render: () => <ResetPassword /> },
  '/verify-email': { access: 'any', render: () => <VerifyEmail /> },
};

/** Pages of one item: the part after the prefix is the item's id (`/records/<uuid>`, `/labs/2345-7`). */
const ITEM_ROUTES: { prefix: string; pattern: RegExp; route: Route }[] = [
  {
    prefix: '/records/documents/',
    pattern: /^[0-9a-f-]{36}$/i,
    route: { access: 'signed-in', render: (id) => <DocumentPage key={id} id={id} /> },
  },
  {
    prefix: '/records/',
    pattern: /^[0-9a-f-]{36}$/i,
    route: { access: 'signed-in', render: (id) => <RecordPage key={id} id={id} /> },
  },
  {
    prefix: '/labs/',
    pattern: /^[0-9]{1,7}-[0-9]$/,
    route: { access: 'signed-in', render: (loinc) => <LabHistoryPage key={loinc} loinc={loinc} /> },
  },
];

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}

function match(path: string): { route: Route; param: string } | undefined {
  const exact = ROUTES[path];
  if (exact) return { route: exact, param: '' };
  for (const item of ITEM_ROUTES) {
    const rest = path.startsWith(item.prefix) ? decoded(path.slice(item.prefix.length)) : '';
    if (item.pattern.test(rest)) return { route: item.route, param: rest };
  }
  return undefined;
}

function Routes() {
  const { state } = useSession();
  const { path, search } = useRouter();
  const found = match(path);

  if (state.status === 'loading') {
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  }
  if (!found) return <NotFound />;
  const { route, param } = found;
  if (route.access === 'signed-in' && state.status !== 'signed-in') {
    const here = path + (search.size > 0 ? `?${search.toString()}` : '');
    return <Redirect to={path === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(here)}`} />;
  }
  if (route.access === 'signed-out' && state.status === 'signed-in') {
    const next = search.get('next');
    return <Redirect to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} />;
  }
  return route.render(param);
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
