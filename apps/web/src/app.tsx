import { useEffect, useRef, useState } from 'preact/hooks';
import { api, handleUnauthorized } from './api.js';
import { LiveRegion, useTitle } from './announcer.js';
import { PageHeading } from './components/layout.js';
import { AccountPage } from './pages/account-page.js';
import { ChannelsPage } from './pages/channels-page.js';
import { AuthPage } from './pages/auth-page.js';
import { IncidentPage } from './pages/incident-page.js';
import { IncidentsPage } from './pages/incidents-page.js';
import { MaintenanceFormPage } from './pages/maintenance-form-page.js';
import { MaintenancePage } from './pages/maintenance-page.js';
import { MonitorFormPage } from './pages/monitor-form-page.js';
import { MonitorPage } from './pages/monitor-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { ProbesPage } from './pages/probes-page.js';
import { StatusPageFormPage } from './pages/status-page-form-page.js';
import { StatusPagesPage } from './pages/status-pages-page.js';
import { followLink, match, navigate, useLocation } from './router.js';
import type { User } from './types.js';

const AUTH_PATHS = ['/login', '/signup'];

/** The main navigation: address, label, and whether the link stands for every page below its address. */
const NAV: Array<[string, string, boolean]> = [
  ['/', 'Monitors', false],
  ['/incidents', 'Incidents', true],
  ['/maintenance', 'Maintenance', true],
  ['/channels', 'Channels', true],
  ['/status-pages', 'Status pages', true],
  ['/probes', 'Probes', true],
  ['/monitors/new', 'New monitor', false],
];

/** Where to go after logging in: only a path on this site (never //evil.example). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

export function App() {
  // undefined: not known yet; null: signed out.
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const { path, query } = useLocation();
  const isAuthPage = AUTH_PATHS.includes(path);

  useEffect(() => {
    handleUnauthorized(() => setUser(null));
    api.me().then(
      (r) => setUser(r.user),
      () => setUser(null),
    );
  }, []);

  // Signed-out visitors go to the login page (and come back afterwards); signed-in ones skip it. A new
  // install, with no account yet, opens on sign-up instead.
  const [firstAccount, setFirstAccount] = useState(false);
  useEffect(() => {
    if (user !== null) {
      setFirstAccount(false);
      return;
    }
    const controller = new AbortController();
    api.signupState(controller.signal).then(
      (state) => setFirstAccount(state.firstAccount && state.open),
      () => undefined,
    );
    return () => controller.abort();
  }, [user]);
  useEffect(() => {
    if (user === null && firstAccount && path !== '/signup') {
      navigate(`/signup${location.search}`, { replace: true });
    } else if (user === null && !isAuthPage) {
      const back = path + location.search;
      navigate(back === '/' ? '/login' : `/login?next=${encodeURIComponent(back)}`, { replace: true });
    } else if (user && isAuthPage) {
      navigate(safeNext(query.get('next')), { replace: true });
    }
  }, [user, path, firstAccount]);

  useFocusOnNavigation(path);

  const signedOut = () => {
    setUser(null);
    navigate('/login');
  };
  const logout = async () => {
    await api.logout().catch(() => undefined);
    signedOut();
  };

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/" onClick={followLink}>
          <img src="/favicon.svg" alt="" width={22} height={22} />
          Better Uptime
        </a>
        {user && (
          <nav class="top-nav" aria-label="Main">
            {NAV.map(([href, label, section]) => (
              <a
                key={href}
                href={href}
                onClick={followLink}
                aria-current={(section ? path.startsWith(href) : path === href) ? 'page' : undefined}
              >
                {label}
              </a>
            ))}
            <a
              href="/account"
              onClick={followLink}
              class="user"
              title={`${user.email}: password, two-factor authentication, API keys, sessions, deletion`}
              aria-current={path === '/account' ? 'page' : undefined}
            >
              {user.name}
            </a>
            <button type="button" class="button small" onClick={logout}>
              Log out
            </button>
          </nav>
        )}
      </header>
      <main id="main">
        {user === undefined ? (
          <p class="muted">Loading…</p>
        ) : user === null ? (
          isAuthPage && <AuthPage mode={path === '/signup' ? 'signup' : 'login'} onSignedIn={setUser} />
        ) : (
          <Routes path={path} onSignedOut={signedOut} />
        )}
      </main>
      <LiveRegion />
    </>
  );
}

function Routes({ path, onSignedOut }: { path: string; onSignedOut: () => void }) {
  if (path === '/') return <OverviewPage />;
  if (path === '/monitors/new') return <MonitorFormPage />;
  if (path === '/account') return <AccountPage onDeleted={onSignedOut} />;
  if (path === '/channels' || path === '/channels/') return <ChannelsPage />;
  if (path === '/probes' || path === '/probes/') return <ProbesPage />;
  const edit = match('/monitors/:id/edit', path)?.id;
  if (edit !== undefined) return <MonitorFormPage key={edit} id={edit} />;
  const show = match('/monitors/:id', path)?.id;
  if (show !== undefined) return <MonitorPage key={show} id={show} />;
  if (path === '/incidents' || path === '/incidents/') return <IncidentsPage />;
  const incident = match('/incidents/:id', path)?.id;
  if (incident !== undefined) return <IncidentPage key={incident} id={incident} />;
  if (path === '/maintenance' || path === '/maintenance/') return <MaintenancePage />;
  if (path === '/maintenance/new') return <MaintenanceFormPage />;
  const windowId = match('/maintenance/:id/edit', path)?.id;
  if (windowId !== undefined) return <MaintenanceFormPage key={windowId} id={windowId} />;
  if (path === '/status-pages' || path === '/status-pages/') return <StatusPagesPage />;
  if (path === '/status-pages/new') return <StatusPageFormPage />;
  const statusPageId = match('/status-pages/:id/edit', path)?.id;
  if (statusPageId !== undefined) return <StatusPageFormPage key={statusPageId} id={statusPageId} />;
  return <NotFound />;
}

function NotFound() {
  useTitle('Not found');
  return (
    <>
      <PageHeading title="Page not found" />
      <a href="/" onClick={followLink}>
        Back to monitors
      </a>
    </>
  );
}

/** After moving to another page, focus its heading so keyboard and screen-reader users start there. */
function useFocusOnNavigation(path: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // The new page may render its heading after loading: try for a moment.
    let tries = 0;
    const timer = setInterval(() => {
      const heading = document.querySelector<HTMLElement>('main h1');
      if (heading || ++tries > 20) {
        clearInterval(timer);
        heading?.focus({ preventScroll: true });
      }
    }, 50);
    return () => clearInterval(timer);
  }, [path]);
}
