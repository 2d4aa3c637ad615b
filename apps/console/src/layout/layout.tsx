import type { ReactNode } from 'react';
import { Link, useRoute } from 'wouter';
import { useLiveStatus } from '../api/context';

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(`${href}/*?`);
  return (
    <Link href={href} aria-current={active ? 'page' : undefined} className="nav-link">
      {children}
    </Link>
  );
}

const statusWords = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  stopped: 'Offline',
} as const;

export function Layout({ onSignOut, children }: { onSignOut: () => void; children: ReactNode }) {
  const status = useLiveStatus();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" /> Snapferry
        </span>
        <nav aria-label="Main">
          <NavLink href="/snapshots">Snapshots</NavLink>
          <NavLink href="/policies">Policies</NavLink>
          <NavLink href="/events">Event log</NavLink>
        </nav>
        <span className={`live live-${status}`} title="Server-sent events from /v1/events/stream">
          <span className="dot" aria-hidden="true" /> {statusWords[status]}
        </span>
        <button type="button" className="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
