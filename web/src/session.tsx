import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  clearTokens,
  hasSession,
  logout,
  onSessionEnded,
  onUser,
  refreshSession,
  storeTokens,
  type TokenResponse,
  type User,
} from './api';

export type SessionState =
  { status: 'loading' } | { status: 'signed-out'; notice?: string } | { status: 'signed-in'; user: User };

interface Session {
  state: SessionState;
  signedIn(tokens: TokenResponse): void;
  signOut(notice?: string): Promise<void>;
  /** Forget the session here (after the account is deleted, say) and say why. */
  ended(notice: string): void;
  setUser(user: User): void;
  /** Shown once on the sign-in page, then dropped. */
  clearNotice(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(() =>
    hasSession() ? { status: 'loading' } : { status: 'signed-out' },
  );

  useEffect(() => {
    const offEnded = onSessionEnded((reason) => setState({ status: 'signed-out', notice: reason }));
    const offUser = onUser((user) => setState({ status: 'signed-in', user }));
    // A reload keeps the tab's refresh token: trade it for a new access token and the account.
    if (hasSession()) {
      refreshSession().catch(() =>
        setState({
          status: 'signed-out',
          notice: 'Could not reach the server to resume your session. Check your connection and reload.',
        }),
      );
    }
    return () => {
      offEnded();
      offUser();
    };
  }, []);

  const signedIn = useCallback((tokens: TokenResponse) => {
    storeTokens(tokens);
    setState({ status: 'signed-in', user: tokens.user });
  }, []);

  const signOut = useCallback(async (notice = 'You have signed out.') => {
    await logout();
    setState({ status: 'signed-out', notice });
  }, []);

  const ended = useCallback((notice: string) => {
    clearTokens();
    setState({ status: 'signed-out', notice });
  }, []);

  const setUser = useCallback((user: User) => setState({ status: 'signed-in', user }), []);
  const clearNotice = useCallback(
    () => setState((s) => (s.status === 'signed-out' && s.notice ? { status: 'signed-out' } : s)),
    [],
  );

  const value = useMemo(
    () => ({ state, signedIn, signOut, ended, setUser, clearNotice }),
    [state, signedIn, signOut, ended, setUser, clearNotice],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in user (only on pages behind the sign-in guard). */
export function useUser(): User {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useUser on a page that does not require sign-in');
  return state.user;
}
