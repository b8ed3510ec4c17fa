/**
 * The console's only way to the server: the public HTTP API (same origin, session cookie) and the
 * sign-in routes. Unsafe requests carry the session's CSRF token; a 401 sends the person to sign in.
 */

import type { Person, Principal, Role } from '../domain/principal';

export type { Person, Principal, Role };

export interface Session {
  principal: Principal;
  csrfToken: string;
  expiresAt: string;
}

/** An RFC 9457 problem as the API sends it (application/problem+json). */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  [extra: string]: unknown;
}

export type ApiResult<T> = { ok: true; status: number; body: T; headers: Headers } | { ok: false; status: number; problem: Problem };

let session: Session | undefined;

export function currentSession(): Session | undefined {
  return session;
}

/** Where sign-in starts, returning to the page the person is on. */
export function signInUrl(returnTo = location.pathname + location.search): string {
  return `/auth/login?returnTo=${encodeURIComponent(returnTo.startsWith('/console') ? returnTo : '/console/')}`;
}

/** The signed-in person, or undefined when nobody is (the caller shows the sign-in link). */
export async function loadSession(): Promise<Session | undefined> {
  const res = await fetch('/auth/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  session = res.ok ? ((await res.json()) as Session) : undefined;
  return session;
}

export async function signOut(): Promise<void> {
  const res = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': session?.csrfToken ?? '', Accept: 'application/json' } });
  session = undefined;
  const body = res.ok ? ((await res.json().catch(() => ({}))) as { endSessionUrl?: string }) : {};
  location.assign(body.endSessionUrl ?? '/console/');
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const parsed = JSON.parse(text) as Problem;
    if (parsed && typeof parsed.title === 'string') return { ...parsed, status: res.status };
  } catch {
    // not JSON: fall through
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 300) || undefined };
}

/** One call to the API. Never throws for an HTTP answer: a refusal comes back as its problem. */
export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = session?.csrfToken ?? '';
  let res: Response;
  try {
    res = await fetch(path, { method, credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, status: 0, problem: { title: 'The API did not answer', status: 0, detail: 'check the connection and try again' } };
  }
  if (res.status === 401) {
    session = undefined;
    location.assign(signInUrl());
  }
  if (!res.ok) return { ok: false, status: res.status, problem: await problemOf(res) };
  const text = await res.text();
  return { ok: true, status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** `/v1/incidents/<id>` with every part encoded. */
export function incidentPath(id: string, ...rest: string[]): string {
  return ['/v1/incidents', id, ...rest].map((part, i) => (i === 0 ? part : encodeURIComponent(part))).join('/');
}
