/** The shell: sign-in, the navigation, and the page for the current path. */
import { useCallback, useEffect, useState } from 'react';
import {
  type Me,
  api,
  clearCache,
  describeError,
  setUnauthorizedHandler,
  storeToken,
  storedToken,
} from './api';
import { href, navigate, useLocation } from './router';
import { SignIn } from './pages/SignIn';
import { Queue } from './pages/Queue';
import { TicketPage } from './pages/Ticket';
import { SlaPolicyPage } from './pages/admin/SlaPolicy';
import { NotificationsPage } from './pages/admin/Notifications';
import { ItsmPage } from './pages/admin/Itsm';
import { KnowledgePage } from './pages/admin/Knowledge';
import { ReportPage } from './pages/admin/Report';

export const CONSOLE_ROLES = ['agent', 'admin', 'superadmin'];

const ADMIN_PAGES = [
  { path: '/admin/sla', title: 'SLA policy', Page: SlaPolicyPage },
  { path: '/admin/notifications', title: 'Notifications', Page: NotificationsPage },
  { path: '/admin/itsm', title: 'ITSM', Page: ItsmPage },
  { path: '/admin/kb', title: 'Knowledge base', Page: KnowledgePage },
  { path: '/admin/report', title: 'SLA report', Page: ReportPage },
];

/**
 * A token handed over in the URL fragment (`/console/#access_token=<jwt>`, as an identity provider or SSO proxy
 * redirects after sign-in) is taken into this tab's storage and removed from the address bar and history. The
 * fragment never reaches a server or its logs.
 */
function takeTokenFromFragment(): void {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get('access_token');
  if (!token) return;
  storeToken(token);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}
takeTokenFromFragment();

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(() => storedToken() !== null);
  const [notice, setNotice] = useState<string | null>(null);
  const { path } = useLocation();

  const signOut = useCallback((message: string | null = null) => {
    storeToken(null);
    clearCache();
    setMe(null);
    setNotice(message);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() =>
      signOut('Your session has expired or the token was refused: sign in again.'),
    );
    if (!storedToken()) return;
    api<Me>('GET', '/v1/me')
      .then((who) => {
        if (who.roles.some((r) => CONSOLE_ROLES.includes(r))) setMe(who);
        else signOut('This console is for agents and admins.');
      })
      .catch((error) => signOut(describeError(error)))
      .finally(() => setChecking(false));
  }, [signOut]);

  if (checking) return <p className="loading">Checking your session…</p>;
  if (!me) return <SignIn notice={notice} onSignedIn={setMe} />;

  const isAdmin = me.roles.includes('admin') || me.roles.includes('superadmin');
  const ticketMatch = /^\/tickets\/([0-9a-f-]{36})$/.exec(path);
  const adminPage = ADMIN_PAGES.find((p) => p.path === path);
  let page;
  if (ticketMatch) page = <TicketPage id={ticketMatch[1]!} me={me} />;
  else if (adminPage && isAdmin) page = <adminPage.Page />;
  else if (adminPage) page = <p role="alert">This page is for admins.</p>;
  else page = <Queue me={me} />;

  const link = (to: string, text: string) => (
    <a
      href={href(to)}
      aria-current={path === to ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {text}
    </a>
  );

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Support console</span>
        <nav aria-label="Main">
          {link('/', 'Queue')}
          {isAdmin ? ADMIN_PAGES.map((p) => <span key={p.path}>{link(p.path, p.title)}</span>) : null}
        </nav>
        <span className="who">
          <span data-testid="whoami">
            {me.sub} · {me.tenant.name}
          </span>
          <button type="button" className="link" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
