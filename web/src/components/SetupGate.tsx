import type { ReactNode } from 'react';
import type { Setup } from '../setup';

type Ready = Extract<Setup, { status: 'ready' }>;

/** "Loading…", the reason it could not load, or the page's content once the profile and catalogue are in. */
export function SetupGate({ setup, children }: { setup: Setup; children(ready: Ready): ReactNode }) {
  if (setup.status === 'loading') return <p>Loading…</p>;
  if (setup.status === 'error') return <p role="alert">{setup.message}</p>;
  return <>{children(setup)}</>;
}
