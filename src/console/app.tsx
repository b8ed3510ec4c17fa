import { useEffect, useState } from 'preact/hooks';
import { currentSession, loadSession, signInUrl, signOut, type Role, type Session } from './api';
import { Link } from './components/link';
import { onLiveStatus } from './live';
import { match, useLocation } from './router';
import { AdminView } from './views/admin';
import { AuditorView } from './views/auditor';
import { IncidentView } from './views/incident';
import { QueueView } from './views/queue';

/** Who sees which part of the console; the API refuses the rest anyway (403), this only hides it. */
const READERS: readonly Role[] = ['responder', 'manager', 'auditor'];
export const VIEW_ROLES = {
  queue: READERS,
  incident: READERS,
  auditor: ['auditor'] as readonly Role[],
  reports: ['manager', 'auditor'] as readonly Role[],
  admin: ['admin'] as readonly Role[],
};

function can(session: Session, roles: readonly Role[]): boolean {
  return roles.includes(session.principal.role);
}

function LiveIndicator() {
  const [live, setLive] = useState(false);
  useEffect(() => onLiveStatus(setLive), []);
  return (
    <span class={live ? 'live on' : 'live off'} role="status" aria-live="polite">
      {live ? 'Live' : 'Reconnecting…'}
    </span>
  );
}

function Nav(props: { session: Session; path: string }) {
  const { session, path } = props;
  const items: Array<{ href: string; label: string; roles: readonly Role[]; current: boolean }> = [
    { href: '/console/', label: 'Queue', roles: VIEW_ROLES.queue, current: path === '/console/' || path === '/console' || path.startsWith('/console/incidents') },
    { href: '/console/reports', label: 'Reports', roles: VIEW_ROLES.reports, current: path.startsWith('/console/reports') },
    { href: '/console/admin', label: 'Admin', roles: VIEW_ROLES.admin, current: path.startsWith('/console/admin') },
  ];
  const person = session.principal.person;
  return (
    <header class="top">
      <a class="skip" href="#main">Skip to content</a>
      <span class="brand">Firebreak</span>
      <nav aria-label="Main">
        <ul>
          {items.filter((item) => can(session, item.roles)).map((item) => (
            <li key={item.href}>
              <Link href={item.href} aria-current={item.current ? 'page' : undefined}>{item.label}</Link>
            </li>
          ))}
        </ul>
      </nav>
      {can(session, READERS) ? <LiveIndicator /> : null}
      <span class="who">
        {session.principal.name} <span class="role">{session.principal.role}</span>
        {person?.mfa ? <span class="mfa" title="The identity provider stated a second factor">MFA</span> : null}
      </span>
      <button type="button" class="secondary" onClick={() => void signOut()}>Sign out</button>
    </header>
  );
}

/**
 * The reports view carries Chart.js (most of the console's weight): it is a chunk of its own,
 * loaded the first time someone opens it.
 */
function LazyReports(props: { session: Session }) {
  const [view, setView] = useState<typeof import('./views/reports') | undefined>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./views/reports').then(setView, () => setFailed(true));
  }, []);
  if (failed) return <p role="alert">The reports could not be loaded; reload the page to try again.</p>;
  if (!view) return <p class="loading">Loading the reports…</p>;
  return <view.ReportsView session={props.session} />;
}

function Forbidden(props: { role: Role }) {
  return (
    <section>
      <h1>Not for your role</h1>
      {props.role === 'integration' ? (
        <p>The integration role is for systems that report alerts, and they use API keys, not the console. Ask an admin for a key, or for a person's role if you need to see incidents.</p>
      ) : (
        <p>Your role may not open this view. The links above are the views you may use.</p>
      )}
    </section>
  );
}

function Page(props: { session: Session; path: string }) {
  const { session, path } = props;
  const audit = match('/console/incidents/:id/audit', path);
  if (audit) return can(session, VIEW_ROLES.auditor) ? <AuditorView incidentId={audit.id!} session={session} /> : <Forbidden role={session.principal.role} />;
  const incident = match('/console/incidents/:id', path);
  if (incident) return can(session, VIEW_ROLES.incident) ? <IncidentView incidentId={incident.id!} session={session} /> : <Forbidden role={session.principal.role} />;
  if (path.startsWith('/console/reports')) return can(session, VIEW_ROLES.reports) ? <LazyReports session={session} /> : <Forbidden role={session.principal.role} />;
  if (path.startsWith('/console/admin')) return can(session, VIEW_ROLES.admin) ? <AdminView session={session} /> : <Forbidden role={session.principal.role} />;
  if (path === '/console' || path === '/console/' || path === '/console/incidents') {
    if (can(session, VIEW_ROLES.queue)) return <QueueView session={session} />;
    if (can(session, VIEW_ROLES.admin)) return <AdminView session={session} />;
    return <Forbidden role={session.principal.role} />;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No view at {path}. <Link href="/console/">Back to the queue</Link>
      </p>
    </section>
  );
}

export function App() {
  const [session, setSession] = useState<Session | undefined | null>(currentSession() ?? null);
  const { path } = useLocation();
  useEffect(() => {
    void loadSession().then((loaded) => setSession(loaded));
  }, []);
  if (session === null) return <p class="loading">Loading Firebreak…</p>;
  if (!session) {
    return (
      <main id="main" class="signin">
        <h1>Firebreak</h1>
        <p>Security incidents, run as durable workflows.</p>
        <a class="button" href={signInUrl()}>Sign in</a>
      </main>
    );
  }
  return (
    <>
      <Nav session={session} path={path} />
      <main id="main" tabIndex={-1}>
        <Page session={session} path={path} />
      </main>
    </>
  );
}
