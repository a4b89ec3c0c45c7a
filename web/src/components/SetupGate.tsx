import type { ReactNode } from 'react';

type Loading = { status: 'loading' } | { status: 'error'; message: string };

/** "Loading…", the reason it could not load, or the page's content once what it needs is in. */
export function SetupGate<Ready extends { status: 'ready' }>({
  setup,
  children,
}: {
  setup: Loading | Ready;
  children(ready: Ready): ReactNode;
}) {
  if (setup.status === 'loading') return <p>Loading…</p>;
  if (setup.status === 'error') return <p role="alert">{setup.message}</p>;
  return <>{children(setup as Ready)}</>;
}
