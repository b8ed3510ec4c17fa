import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type * as OpenIdClient from 'openid-client';
import { parseEnvironment } from '../config';
import type { ConsoleSession, SessionStore } from '../db/session-store';
import { DEFAULT_ROLE_MAP_TEXT, parseRoleMap, personFromClaims, roleFromClaims, type RoleMap } from '../domain/oidc-claims';
import { SESSION_COOKIE, cookieValue, sessionOf } from './auth';
import { HttpProblem, problems } from './problem';

/** The login transaction between /auth/login and /auth/callback: state, nonce, PKCE verifier, where to go after. */
export const LOGIN_COOKIE = '__Host-firebreak-login';
const LOGIN_COOKIE_SECONDS = 600;
/** Where a sign-in lands when it was given nowhere (or somewhere it may not go). */
export const CONSOLE_HOME = '/console/';

/** Sign-in through OpenID Connect, as configured (see `oidcSettingsFromEnvironment`). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Absent: a public client, protected by PKCE alone. */
  clientSecret?: string;
  /** The claim whose values the role map reads (`groups`; a dotted path such as `realm_access.roles` works). */
  roleClaim: string;
  roleMap: RoleMap;
  scopes: string;
  /** The origin browsers reach the API at: the redirect URI and the Origin a session request must come from. */
  publicOrigin: string;
  sessionHours: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLoopback = (url: URL) => LOOPBACK.has(url.hostname);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

const httpsUnlessLoopback = (name: string, why: string) =>
  z.url({ protocol: /^https?$/, error: `${name} must be an http(s) URL` }).refine((text) => {
    const url = new URL(text);
    return url.protocol === 'https:' || isLoopback(url);
  }, `${name} must be https (${why}); http is only for 127.0.0.1 or localhost`);

const OidcEnvironment = z
  .object({
    FIREBREAK_OIDC_ISSUER: httpsUnlessLoopback('FIREBREAK_OIDC_ISSUER', 'tokens come from it').optional(),
    FIREBREAK_OIDC_CLIENT_ID: z.string().min(1).optional(),
    FIREBREAK_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    FIREBREAK_OIDC_ROLE_CLAIM: z.string().regex(/^[^\s]+$/, 'FIREBREAK_OIDC_ROLE_CLAIM must be a claim name').default('groups'),
    FIREBREAK_OIDC_ROLE_MAP: z
      .string()
      .default(DEFAULT_ROLE_MAP_TEXT)
      .transform((text, ctx) => {
        try {
          return parseRoleMap(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `FIREBREAK_OIDC_ROLE_MAP ${(err as Error).message} (write group=role,group=role)` });
          return z.NEVER;
        }
      }),
    FIREBREAK_OIDC_SCOPES: z
      .string()
      .default('openid profile email')
      .refine((s) => s.split(/\s+/).includes('openid'), 'FIREBREAK_OIDC_SCOPES must include openid'),
    FIREBREAK_PUBLIC_URL: httpsUnlessLoopback('FIREBREAK_PUBLIC_URL', 'the session cookie is Secure').optional(),
    FIREBREAK_SESSION_HOURS: z.coerce.number({ error: 'FIREBREAK_SESSION_HOURS must be a number of hours' }).positive('FIREBREAK_SESSION_HOURS must be more than 0').max(24 * 7, 'FIREBREAK_SESSION_HOURS is at most 168 (a week)').default(8),
  })
  .refine((e) => !e.FIREBREAK_OIDC_ISSUER || e.FIREBREAK_OIDC_CLIENT_ID, {
    path: ['FIREBREAK_OIDC_CLIENT_ID'],
    message: 'FIREBREAK_OIDC_ISSUER is set: FIREBREAK_OIDC_CLIENT_ID must be set too (the client registered at the identity provider)',
  })
  .refine((e) => e.FIREBREAK_OIDC_ISSUER || !e.FIREBREAK_OIDC_CLIENT_ID, {
    path: ['FIREBREAK_OIDC_ISSUER'],
    message: 'FIREBREAK_OIDC_CLIENT_ID is set but FIREBREAK_OIDC_ISSUER is not: set the identity provider\'s issuer URL',
  });

/**
 * Sign-in settings from the environment, or undefined when FIREBREAK_OIDC_ISSUER is not set (no
 * console sign-in; API keys only). `apiUrl` is the API's own URL, the public origin by default.
 * Throws naming each variable that is wrong.
 */
export function oidcSettingsFromEnvironment(env: NodeJS.ProcessEnv, apiUrl: string): OidcSettings | undefined {
  // An empty variable is an unset one (compose passes `${X:-}` through as '').
  const set = Object.fromEntries(Object.entries(env).filter(([name, value]) => name.startsWith('FIREBREAK_') && value !== ''));
  const e = parseEnvironment(OidcEnvironment, set);
  if (!e.FIREBREAK_OIDC_ISSUER || !e.FIREBREAK_OIDC_CLIENT_ID) return undefined;
  let publicUrl = e.FIREBREAK_PUBLIC_URL;
  if (!publicUrl) {
    if (WILDCARD_HOSTS.has(new URL(apiUrl).hostname)) throw new Error('invalid configuration: FIREBREAK_PUBLIC_URL: required when the API listens on every address (the URL browsers reach it at)');
    publicUrl = apiUrl;
  }
  return {
    issuer: e.FIREBREAK_OIDC_ISSUER,
    clientId: e.FIREBREAK_OIDC_CLIENT_ID,
    ...(e.FIREBREAK_OIDC_CLIENT_SECRET ? { clientSecret: e.FIREBREAK_OIDC_CLIENT_SECRET } : {}),
    roleClaim: e.FIREBREAK_OIDC_ROLE_CLAIM,
    roleMap: e.FIREBREAK_OIDC_ROLE_MAP,
    scopes: e.FIREBREAK_OIDC_SCOPES,
    publicOrigin: new URL(publicUrl).origin,
    sessionHours: e.FIREBREAK_SESSION_HOURS,
  };
}

/**
 * openid-client is an ES module; Node 20 `require()`s it from this CommonJS build, but jest's
 * module system cannot (it needs --experimental-vm-modules for either form). It is loaded here,
 * on the first sign-in, so suites that build the app without OIDC never load it.
 */
const loadOpenIdClient = (): Promise<typeof OpenIdClient> => import('openid-client');

/** A path under /console on this origin, or the console's home: a sign-in never sends anyone elsewhere. */
export function safeReturnTo(raw: unknown, publicOrigin: string): string {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || /[\\\u0000-\u001f]/.test(raw)) return CONSOLE_HOME;
  try {
    const url = new URL(raw, publicOrigin);
    if (url.origin !== publicOrigin) return CONSOLE_HOME;
    if (url.pathname !== '/console' && !url.pathname.startsWith('/console/')) return CONSOLE_HOME;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return CONSOLE_HOME;
  }
}

interface LoginTransaction {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

function readLoginCookie(req: Request): LoginTransaction | undefined {
  const raw = cookieValue(req, LOGIN_COOKIE);
  if (!raw) return undefined;
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<LoginTransaction>;
    if ([t.state, t.nonce, t.verifier, t.returnTo].every((v) => typeof v === 'string' && v)) return t as LoginTransaction;
  } catch {
    // Not ours: the same as none.
  }
  return undefined;
}

const sessionCookie = (token: string, maxAgeSeconds: number) => `${SESSION_COOKIE}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
const clearedCookie = (name: string, sameSite: 'Strict' | 'Lax') => `${name}=; Path=/; Secure; HttpOnly; SameSite=${sameSite}; Max-Age=0`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A refusal a browser reaches by navigation (login, callback) is a small page with a way back;
 * a program asking for JSON gets problem+json from the API's error handler, as everywhere else.
 */
function refuse(req: Request, res: Response, problem: HttpProblem): void {
  res.set('Cache-Control', 'no-store');
  if (req.accepts(['application/problem+json', 'application/json', 'text/html']) !== 'text/html') throw problem;
  res.set('Content-Security-Policy', "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  res
    .status(problem.status)
    .type('text/html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(problem.title)} - Firebreak</title></head>` +
        `<body><main><h1>${escapeHtml(problem.title)}</h1><p>${escapeHtml(problem.detail ?? '')}</p>` +
        `<p><a href="/auth/login">Sign in again</a></p></main></body></html>`,
    );
}

export interface OidcLoginOptions {
  settings: OidcSettings;
  sessions: SessionStore;
  logger: Logger;
}

/** The session as GET /auth/session answers it. */
export const sessionBody = (session: ConsoleSession) => ({ principal: session.principal, csrfToken: session.csrfToken, expiresAt: session.expiresAt });

/**
 * GET /auth/login, GET /auth/callback, POST /auth/logout and GET /auth/session: the authorization
 * code flow with PKCE (S256), state and nonce, through openid-client; sessions in PostgreSQL.
 */
export function oidcLoginRoutes({ settings, sessions, logger }: OidcLoginOptions): Router {
  const router = Router();
  const redirectUri = `${settings.publicOrigin}/auth/callback`;
  const auth = { sessions, publicOrigin: settings.publicOrigin };

  // Discovery once, on first use; a failure is retried by the next sign-in instead of being kept.
  let configuration: Promise<{ client: typeof OpenIdClient; config: OpenIdClient.Configuration }> | undefined;
  const discovered = () => {
    configuration ??= (async () => {
      const client = await loadOpenIdClient();
      const issuer = new URL(settings.issuer);
      const config = await client.discovery(
        issuer,
        settings.clientId,
        settings.clientSecret,
        settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None(),
        { timeout: 10, ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}) },
      );
      return { client, config };
    })().catch((err: unknown) => {
      configuration = undefined;
      logger.warn({ issuer: settings.issuer, reason: err instanceof Error ? err.message : String(err) }, 'OpenID provider discovery failed');
      throw problems.unavailable(`the identity provider (${settings.issuer})`);
    });
    return configuration;
  };
  /** The provider's configuration, or undefined once the refusal (503: discovery failed) is answered. */
  const discoveredOrRefused = (req: Request, res: Response) =>
    discovered().catch((problem: HttpProblem) => {
      refuse(req, res, problem);
      return undefined;
    });

  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/login', async (req, res) => {
    const oidc = await discoveredOrRefused(req, res);
    if (!oidc) return;
    const { client, config } = oidc;
    const transaction: LoginTransaction = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnTo(req.query.returnTo, settings.publicOrigin),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    const value = Buffer.from(JSON.stringify(transaction), 'utf8').toString('base64url');
    res.append('Set-Cookie', `${LOGIN_COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${LOGIN_COOKIE_SECONDS}`);
    res.redirect(303, url.href);
  });

  router.get('/callback', async (req, res) => {
    const transaction = readLoginCookie(req);
    // The transaction is single-use, whatever happens next.
    res.append('Set-Cookie', clearedCookie(LOGIN_COOKIE, 'Lax'));
    if (!transaction) return refuse(req, res, new HttpProblem(400, 'sign-in-expired', 'The sign-in has expired', 'no sign-in was started from this browser in the last 10 minutes: start again'));
    if (typeof req.query.state !== 'string' || req.query.state !== transaction.state) {
      return refuse(req, res, new HttpProblem(400, 'sign-in-state-mismatch', 'The sign-in does not match', 'the state returned by the identity provider is not the one this browser started with: start again'));
    }
    const oidc = await discoveredOrRefused(req, res);
    if (!oidc) return;
    const { client, config } = oidc;
    const query = new URL(req.originalUrl, settings.publicOrigin).search;
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(config, new URL(`${redirectUri}${query}`), {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      // Some providers put groups only in userinfo: ask there when the ID token lacks the claim.
      if (claims[settings.roleClaim] === undefined && !settings.roleClaim.includes('.') && config.serverMetadata().userinfo_endpoint) {
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        if (userinfo[settings.roleClaim] !== undefined) claims[settings.roleClaim] = userinfo[settings.roleClaim];
      }
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError) {
        const denied = err.error === 'access_denied';
        return refuse(req, res, new HttpProblem(denied ? 403 : 400, 'sign-in-refused', 'The identity provider did not sign you in', `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`));
      }
      logger.warn({ reason: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code }, 'sign-in failed');
      return refuse(req, res, new HttpProblem(400, 'sign-in-failed', 'The sign-in failed', 'the identity provider\'s answer could not be verified: start again'));
    }
    const person = personFromClaims(claims, config.serverMetadata().issuer);
    const decision = roleFromClaims(claims, settings.roleClaim, settings.roleMap);
    if (!decision.role) {
      logger.warn({ subject: person.subject, issuer: person.issuer, reason: decision.reason }, 'sign-in refused: no role');
      return refuse(req, res, new HttpProblem(403, 'no-role', 'No Firebreak role', `${person.name} is signed in at the identity provider, but ${decision.reason}: ask an administrator for a group`));
    }
    // A new sign-in replaces the browser's session (when its cookie came along): the old one ends.
    const previous = cookieValue(req, SESSION_COOKIE);
    if (previous) await sessions.end(previous);
    const { token } = await sessions.start({ person, role: decision.role, hours: settings.sessionHours });
    logger.info({ subject: person.subject, issuer: person.issuer, role: decision.role, mfa: person.mfa }, 'console sign-in');
    res.append('Set-Cookie', sessionCookie(token, Math.round(settings.sessionHours * 3600)));
    res.redirect(303, transaction.returnTo);
  });

  router.post('/logout', async (req, res) => {
    await sessionOf(req, auth);
    await sessions.end(cookieValue(req, SESSION_COOKIE)!);
    res.append('Set-Cookie', clearedCookie(SESSION_COOKIE, 'Strict'));
    // Ending the identity provider's session too is the browser's choice: here is where.
    const endSessionUrl = await discovered().then(
      ({ client, config }) => (config.serverMetadata().end_session_endpoint ? client.buildEndSessionUrl(config, { post_logout_redirect_uri: `${settings.publicOrigin}${CONSOLE_HOME}` }).href : undefined),
      () => undefined,
    );
    res.json({ loggedOut: true, ...(endSessionUrl ? { endSessionUrl } : {}) });
  });

  router.get('/session', async (req, res) => {
    res.json(sessionBody(await sessionOf(req, auth)));
  });

  return router;
}

/**
 * /auth/* when sign-in is not configured: no session can exist (GET /auth/session answers 401, as
 * to anyone not signed in), and the rest says why instead of a bare 404.
 */
export function oidcNotConfigured(): Router {
  const router = Router();
  const why = 'console sign-in is not configured: set FIREBREAK_OIDC_ISSUER and FIREBREAK_OIDC_CLIENT_ID';
  router.get('/session', () => {
    throw problems.unauthenticated(`${why}, or use an API key`);
  });
  router.use(() => {
    throw problems.notFound(why);
  });
  return router;
}
