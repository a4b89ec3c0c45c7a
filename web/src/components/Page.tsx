import { useEffect, useRef, type ReactNode } from 'react';
import { useRouter } from '../router';

/**
 * A page: sets the document title and, after moving between pages, puts focus on the page heading
 * so that keyboard and screen-reader users start at the top of the new content.
 */
export function Page({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { navigated, hash, path } = useRouter();

  useEffect(() => {
    document.title = `${title} · Personal Health Assistant`;
  }, [title]);

  useEffect(() => {
    const target = hash ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
    if (target) {
      target.scrollIntoView();
      const focusable = target.matches('h1, h2, h3, [tabindex]')
        ? target
        : target.querySelector<HTMLElement>('h2, h3');
      if (focusable) {
        if (!focusable.hasAttribute('tabindex')) focusable.setAttribute('tabindex', '-1');
        focusable.focus({ preventScroll: true });
      }
    } else if (navigated) {
      heading.current?.focus();
    }
  }, [navigated, hash, path]);

  return (
    <>
      <h1 ref={heading} tabIndex={-1} className="page-title">
        {title}
      </h1>
      {intro ? <p className="lead">{intro}</p> : null}
      {children}
    </>
  );
}

/** Links to the sections of a long page, at its top. */
export function OnThisPage({ links }: { links: { href: string; label: string }[] }) {
  return (
    <nav className="toc" aria-label="On this page">
      <ul>
        {links.map((link) => (
          <li key={link.href}>
            <a href={link.href}>{link.label}</a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
