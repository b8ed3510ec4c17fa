import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/db/api-key-store';
import { freePort } from '../../src/net';
import { freshDatabase, type TestDatabase } from '../support/database';
import { TEST_DECISION_ENV } from '../support/decision-keys';
import { testEnv } from '../support/servers';
import { spawnFromBuild, type NodeProcess } from '../faults/support/node-process';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Console sign-in as a browser walks it, without a browser: the built dev OpenID provider and the
 * built API (`node dist/src/api/server.js`, configured only through the environment) in processes
 * of their own, and plain fetch with a cookie jar per origin following every redirect by hand.
 */

/** This API maps four of the five groups: the integration demo user has no role here. */
const ROLE_MAP = 'firebreak-responders=responder,firebreak-managers=manager,firebreak-auditors=auditor,firebreak-admins=admin';
const SESSION_COOKIE = '__Host-firebreak-session';
/** A JSON body, as the test reads it. */
const json = (res: Response): Promise<any> => res.json();
const LOGIN_COOKIE = '__Host-firebreak-login';

class Browser {
  /** Cookies by origin: the API's and the provider's share a host, so names are kept apart by origin as well. */
  readonly jar = new Map<string, Map<string, string>>();
  readonly setCookies: string[] = [];

  cookies(origin: string): Map<string, string> {
    let cookies = this.jar.get(origin);
    if (!cookies) this.jar.set(origin, (cookies = new Map()));
    return cookies;
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const cookie = [...this.cookies(origin)].map(([name, value]) => `${name}=${value}`).join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (!value || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies(origin).delete(name);
      else this.cookies(origin).set(name, value);
    }
    return res;
  }

  /** GET, then every redirect, to the first answer that is not a redirect. */
  async follow(url: string): Promise<{ res: Response; url: URL }> {
    let at = new URL(url);
    for (let hops = 0; hops < 15; hops++) {
      const res = await this.fetch(at.href);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { res, url: at };
      at = new URL(location, at);
    }
    throw new Error('too many redirects');
  }
}

describe('signing in to the console through OpenID Connect', () => {
  let db: TestDatabase;
  let workDir: string;
  let provider: NodeProcess;
  let api: NodeProcess;
  let apiUrl: string;
  let issuer: string;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-sign-in-'));
    db = await freshDatabase();
    const [apiPort, oidcPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    provider = await spawnFromBuild('src/stack/dev-oidc-provider.js', [], { OIDC_PORT: String(oidcPort), FIREBREAK_API_URL: apiUrl }, {
      logFile: path.join(workDir, 'provider.log'),
      readyMarker: '"ready":true',
    });
    issuer = JSON.parse(provider.readyLine).issuer;
    api = await spawnFromBuild('src/api/server.js', [], {
      ...TEST_DECISION_ENV,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: testEnv('temporalAddress'),
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      LOG_LEVEL: 'info',
      FIREBREAK_OIDC_ISSUER: issuer,
      FIREBREAK_OIDC_CLIENT_ID: 'firebreak-console',
      FIREBREAK_OIDC_ROLE_MAP: ROLE_MAP,
    }, { logFile: path.join(workDir, 'api.log'), readyMarker: 'API listening' });
  }, 90_000);

  afterAll(async () => {
    await api?.kill('SIGTERM');
    await provider?.kill('SIGTERM');
    await db?.drop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** Sign-in up to the API's callback, which is answered but not followed. */
  async function signIn(username: string, options: { returnTo?: string; password?: string; browser?: Browser } = {}) {
    const browser = options.browser ?? new Browser();
    const returnTo = options.returnTo ?? '/console/incidents?phase=triage';
    const isCallback = (url: URL) => url.origin === apiUrl && url.pathname === '/auth/callback';
    const { res: loginPage, url: pageUrl } = await browser.follow(`${apiUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(pageUrl.origin).toBe(issuer);
    const html = await loginPage.text();
    expect(html).toMatch(/<label for="username">Username<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(html).not.toMatch(/<script/i);
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(html)![1]!, pageUrl);
    const posted = await browser.fetch(action.href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password: options.password ?? 'firebreak' }).toString(),
    });
    if (posted.status !== 303) return { browser, callbackUrl: undefined, loginStatus: posted.status };
    // The provider's own redirects, up to (not into) the API's callback.
    let at = new URL(posted.headers.get('location')!, action);
    for (let hops = 0; !isCallback(at); hops++) {
      if (hops > 10) throw new Error(`no callback reached; at ${at.href}`);
      const res = await browser.fetch(at.href);
      at = new URL(res.headers.get('location') ?? '', at);
    }
    return { browser, callbackUrl: at, loginStatus: 303 };
  }

  async function signedIn(username: string, returnTo?: string) {
    const { browser, callbackUrl } = await signIn(username, { returnTo });
    const callback = await browser.fetch(callbackUrl!.href);
    return { browser, callback };
  }

  const sessionOf = async (browser: Browser) => browser.fetch(`${apiUrl}/auth/session`);

  it('signs the manager in: a __Host- session cookie, back where the console asked, a session with role, MFA and time of authentication', async () => {
    const before = Date.now();
    const { browser, callback } = await signedIn('manager', '/console/incidents?phase=triage');
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/console/incidents?phase=triage');
    const set = browser.setCookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`) && !/max-age=0/i.test(c))!;
    expect(set).toBeDefined();
    expect(set).toMatch(/; Path=\/(;|$)/);
    for (const attribute of ['Secure', 'HttpOnly', 'SameSite=Strict']) expect(set.split('; ')).toContain(attribute);
    // The login transaction cookie is gone once used.
    expect(browser.cookies(apiUrl).has(LOGIN_COOKIE)).toBe(false);

    const res = await sessionOf(browser);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await json(res);
    expect(body.principal).toEqual({
      keyId: 'oidc:manager',
      name: 'Morgan Manager',
      role: 'manager',
      person: { subject: 'manager', issuer, name: 'Morgan Manager', authTime: expect.any(String), mfa: true, amr: ['pwd', 'otp'] },
    });
    // auth_time has a resolution of a second.
    expect(Date.parse(body.principal.person.authTime)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(body.principal.person.authTime)).toBeLessThanOrEqual(Date.now());
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(7.9 * 3600_000);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(8 * 3600_000);

    // Only a SHA-256 of the cookie's token is stored.
    const token = browser.cookies(apiUrl).get(SESSION_COOKIE)!;
    const { rows } = await db.ownerPool.query('SELECT token_hash, role, mfa FROM console_sessions WHERE subject = $1', ['manager']);
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest(), role: 'manager', mfa: true }]);
  });

  it('sends the browser to the provider with PKCE (S256), state and nonce, and keeps them in a short-lived __Host- cookie', async () => {
    const browser = new Browser();
    const res = await browser.fetch(`${apiUrl}/auth/login?returnTo=/console/`);
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${issuer}/auth`);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      client_id: 'firebreak-console',
      response_type: 'code',
      redirect_uri: `${apiUrl}/auth/callback`,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(to.searchParams.get('scope')!.split(' ')).toContain('openid');
    const login = res.headers.getSetCookie().find((c) => c.startsWith(`${LOGIN_COOKIE}=`))!;
    expect(login.split('; ')).toEqual(expect.arrayContaining(['Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax', 'Max-Age=600']));
    // The verifier stays with the browser's cookie; only its S256 challenge goes to the provider.
    expect(login).not.toContain(to.searchParams.get('code_challenge')!);
  });

  it('says MFA false for a person the provider saw with a password alone', async () => {
    const { browser } = await signedIn('responder');
    const body = await json(await sessionOf(browser));
    expect(body.principal).toMatchObject({ keyId: 'oidc:responder', role: 'responder', person: { name: 'Rory Responder', mfa: false, amr: ['pwd'] } });
  });

  it('lets a session read, and change only with X-CSRF-Token from the API’s own origin', async () => {
    const { browser } = await signedIn('manager');
    const { csrfToken } = await json(await sessionOf(browser));
    expect((await browser.fetch(`${apiUrl}/v1/incidents`)).status).toBe(200);

    const note = (headers: Record<string, string>) =>
      browser.fetch(`${apiUrl}/v1/incidents/0123456789abcdef/notes`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ text: 'seen from the console' }) });
    const without = await note({});
    expect(without.status).toBe(403);
    expect(without.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await json(without)).detail).toContain('X-CSRF-Token');
    const wrong = await note({ 'x-csrf-token': csrfToken.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) });
    expect(wrong.status).toBe(403);
    expect((await json(wrong)).detail).toContain('X-CSRF-Token');
    const foreign = await note({ 'x-csrf-token': csrfToken, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await json(foreign)).detail).toContain('https://evil.example');
    // Past authentication, CSRF and the role check: the incident does not exist.
    const accepted = await note({ 'x-csrf-token': csrfToken, origin: apiUrl });
    expect((await json(accepted)).type).toBe('/problems/not-found');
    expect(accepted.status).toBe(404);
  });

  it('judges a request with a key by its key alone', async () => {
    const { browser } = await signedIn('manager');
    const { token } = await new ApiKeyStore(db.pool).create('sign-in-test-auditor', 'auditor');
    // A valid key with the manager's cookie acts as the auditor key: no manager-only route.
    const asKey = await browser.fetch(`${apiUrl}/v1/incidents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(asKey.status).toBe(403);
    expect((await json(asKey)).detail).toContain('role auditor');
    // A bad key is refused, whatever session comes with it, with the key's usual words.
    const bad = await browser.fetch(`${apiUrl}/v1/incidents`, { headers: { authorization: 'Bearer fbk_nope' } });
    expect(bad.status).toBe(401);
    expect((await json(bad)).detail).toBe('the API key is unknown, malformed, revoked or expired');
    expect((await fetch(`${apiUrl}/v1/incidents`)).status).toBe(401);
  });

  it('logs out: only with X-CSRF-Token, then the old cookie is refused everywhere', async () => {
    const { browser } = await signedIn('auditor');
    const { csrfToken } = await json(await sessionOf(browser));
    const oldToken = browser.cookies(apiUrl).get(SESSION_COOKIE)!;
    expect((await browser.fetch(`${apiUrl}/auth/logout`, { method: 'POST' })).status).toBe(403);

    const res = await browser.fetch(`${apiUrl}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.loggedOut).toBe(true);
    const end = new URL(body.endSessionUrl);
    expect(`${end.origin}${end.pathname}`).toBe(`${issuer}/session/end`);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${apiUrl}/console/`);
    expect(res.headers.getSetCookie()).toContainEqual(expect.stringMatching(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`)));
    expect(browser.cookies(apiUrl).has(SESSION_COOKIE)).toBe(false);

    expect((await sessionOf(browser)).status).toBe(401);
    // The same cookie, kept by someone who copied it, is no longer a session.
    const replayed = { cookie: `${SESSION_COOKIE}=${oldToken}` };
    const session = await fetch(`${apiUrl}/auth/session`, { headers: replayed });
    expect(session.status).toBe(401);
    expect((await json(session)).detail).toContain('sign in again');
    expect((await fetch(`${apiUrl}/v1/incidents`, { headers: replayed })).status).toBe(401);
    const { rows } = await db.ownerPool.query('SELECT revoked_at FROM console_sessions WHERE token_hash = $1', [createHash('sha256').update(oldToken).digest()]);
    expect(rows[0].revoked_at).toBeInstanceOf(Date);
  });

  it('ends the browser’s old session when it signs in again', async () => {
    const { browser } = await signedIn('manager');
    const first = browser.cookies(apiUrl).get(SESSION_COOKIE)!;
    // Still signed in at the provider: straight back to the callback, no login page.
    const { url } = await browser.follow(`${apiUrl}/auth/login?returnTo=/console/`);
    expect(url.href).toBe(`${apiUrl}/console/`);
    const second = browser.cookies(apiUrl).get(SESSION_COOKIE)!;
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    expect((await json(await sessionOf(browser))).principal.keyId).toBe('oidc:manager');
    expect((await fetch(`${apiUrl}/auth/session`, { headers: { cookie: `${SESSION_COOKIE}=${first}` } })).status).toBe(401);
  });

  it('lets the application start and end sessions, not extend, rewrite or delete them', async () => {
    await signedIn('responder');
    // db.pool logs in as the API does: a member of firebreak_app.
    await expect(db.pool.query("UPDATE console_sessions SET expires_at = now() + interval '1 year'")).rejects.toThrow('permission denied for table console_sessions');
    await expect(db.pool.query("UPDATE console_sessions SET role = 'admin'")).rejects.toThrow('permission denied for table console_sessions');
    await expect(db.pool.query('DELETE FROM console_sessions')).rejects.toThrow('permission denied for table console_sessions');
    expect((await db.pool.query("UPDATE console_sessions SET revoked_at = now() WHERE subject = 'nobody'")).rowCount).toBe(0);
  });

  it('ends a session when it expires', async () => {
    const { browser } = await signedIn('admin');
    expect((await sessionOf(browser)).status).toBe(200);
    const token = browser.cookies(apiUrl).get(SESSION_COOKIE)!;
    await db.ownerPool.query("UPDATE console_sessions SET expires_at = now() - interval '1 second', created_at = now() - interval '8 hours' WHERE token_hash = $1", [
      createHash('sha256').update(token).digest(),
    ]);
    expect((await sessionOf(browser)).status).toBe(401);
    expect((await browser.fetch(`${apiUrl}/v1/incidents`)).status).toBe(401);
  });

  it('refuses a callback whose state was tampered with, or that no sign-in from this browser started', async () => {
    const { browser, callbackUrl } = await signIn('manager');
    const tampered = new URL(callbackUrl!);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    const res = await browser.fetch(tampered.href);
    expect(res.status).toBe(400);
    expect((await json(res)).type).toBe('/problems/sign-in-state-mismatch');
    expect(browser.cookies(apiUrl).has(SESSION_COOKIE)).toBe(false);
    // The transaction was used up: the genuine callback after it is refused too.
    const again = await browser.fetch(callbackUrl!.href);
    expect(again.status).toBe(400);
    expect((await json(again)).type).toBe('/problems/sign-in-expired');

    // A callback this browser never started (someone else's code and state): refused, as a page for a browser.
    const stranger = await fetch(callbackUrl!.href, { headers: { accept: 'text/html' } });
    expect(stranger.status).toBe(400);
    expect(stranger.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await stranger.text()).toContain('The sign-in has expired');
    expect(stranger.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
  });

  it('refuses a person whose groups give no role: 403, no session', async () => {
    const { browser, callbackUrl } = await signIn('integration');
    const res = await browser.fetch(callbackUrl!.href);
    expect(res.status).toBe(403);
    const problem = await json(res);
    expect(problem.type).toBe('/problems/no-role');
    expect(problem.detail).toContain('Ira Integration');
    expect(browser.cookies(apiUrl).has(SESSION_COOKIE)).toBe(false);
    expect((await sessionOf(browser)).status).toBe(401);
    const { rows } = await db.ownerPool.query('SELECT count(*)::int AS n FROM console_sessions WHERE subject = $1', ['integration']);
    expect(rows[0].n).toBe(0);
  });

  it('refuses a wrong password at the provider', async () => {
    const { loginStatus, callbackUrl } = await signIn('manager', { password: 'not-firebreak' });
    expect(loginStatus).toBe(401);
    expect(callbackUrl).toBeUndefined();
  });

  it.each([
    ['another origin', 'https://evil.example/console/'],
    ['a scheme-relative URL', '//evil.example/console/'],
    ['a backslash trick', '/\\evil.example/console/'],
    ['a path outside the console', '/v1/incidents'],
  ])('does not follow a returnTo to %s: it lands on the console', async (_what, returnTo) => {
    const { browser, callbackUrl } = await signIn('responder', { returnTo });
    const res = await browser.fetch(callbackUrl!.href);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/');
  });
});

describe('an API without FIREBREAK_OIDC_ISSUER', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // In this jest process: building the app must not load openid-client (an ES module jest cannot load).
    stack = await startTestStack();
  }, 60_000);
  afterAll(async () => stack?.close());

  it('has no sessions: /auth/session is 401, sign-in says it is not configured, a session cookie is no key', async () => {
    const session = await stack.request('GET', '/auth/session');
    expect(session.status).toBe(401);
    expect(session.body.detail).toContain('FIREBREAK_OIDC_ISSUER');
    const login = await stack.request('GET', '/auth/login?returnTo=/console/');
    expect(login.status).toBe(404);
    expect(login.body.detail).toContain('console sign-in is not configured');
    const cookie = { cookie: `${SESSION_COOKIE}=${'a'.repeat(43)}` };
    expect((await stack.request('GET', '/v1/incidents', { headers: cookie })).body.detail).toBe('send Authorization: Bearer <api key>');
    expect((await stack.request('GET', '/v1/incidents', { key: stack.keys.responder, headers: cookie })).status).toBe(200);
  });
});
