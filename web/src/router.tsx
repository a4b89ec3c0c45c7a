import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type AnchorHTMLAttributes,
  type MouseEvent,
  type ReactNode,
} from 'react';

// A small history-API router: the app has a handful of pages and needs no more.

interface Location {
  path: string;
  search: URLSearchParams;
  hash: string;
  /** True once the user has moved between pages (the first page does not steal focus). */
  navigated: boolean;
}

interface Router extends Location {
  navigate(to: string, options?: { replace?: boolean }): void;
}

const RouterContext = createContext<Router | null>(null);

function current(navigated: boolean): Location {
  return {
    path: window.location.pathname.replace(/\/+$/, '') || '/',
    search: new URLSearchParams(window.location.search),
    hash: window.location.hash,
    navigated,
  };
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState<Location>(() => current(false));

  useEffect(() => {
    const onPop = () => setLocation(current(true));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback((to: string, options: { replace?: boolean } = {}) => {
    const target = new URL(to, window.location.href);
    const here = window.location;
    if (target.pathname + target.search + target.hash === here.pathname + here.search + here.hash) return;
    window.history[options.replace ? 'replaceState' : 'pushState'](null, '', to);
    setLocation(current(true));
    if (!target.hash) window.scrollTo(0, 0);
  }, []);

  const value = useMemo(() => ({ ...location, navigate }), [location, navigate]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): Router {
  const router = useContext(RouterContext);
  if (!router) throw new Error('useRouter outside RouterProvider');
  return router;
}

/** An ordinary link (open in a new tab, copy address) that moves within the app without a reload. */
export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { navigate } = useRouter();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={to} onClick={onClick}>
      {children}
    </a>
  );
}

/** Sends the browser elsewhere in the app as soon as it renders (for guarded pages). */
export function Redirect({ to }: { to: string }) {
  const { navigate } = useRouter();
  useEffect(() => navigate(to, { replace: true }), [navigate, to]);
  return null;
}

/**
 * `aria-current` for a link to `to`: `page` on that page, `true` on the pages that belong to it (the
 * paths in `section`, and those below them), nothing elsewhere.
 */
export function currentFor(path: string, to: string, section: string[] = []): 'page' | 'true' | undefined {
  if (path === to) return 'page';
  const below = (p: string) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`);
  return section.some(below) ? 'true' : undefined;
}
