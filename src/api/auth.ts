import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKeyStore } from '../db/api-key-store';
import type { ConsoleSession, SessionStore } from '../db/session-store';
import { UNCONSTRAINED, type KeyConstraints } from '../domain/key-constraints';
import type { Principal, Role } from '../domain/principal';
import { HttpProblem, problems } from './problem';
import { matchesSecret, secretDigest } from '../secret-digest';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    /** What the key may report (sources, severity cap, asset kinds, dedup scope). */
    keyConstraints?: KeyConstraints;
    /** The console session the request came with, when it came with one rather than a key. */
    consoleSession?: ConsoleSession;
  }
}

/** The console's session cookie: `__Host-` so only this origin, over HTTPS, at `/`, can set it. */
export const SESSION_COOKIE = '__Host-firebreak-session';
/** The header a session request that changes something must carry, with the session's CSRF token. */
export const CSRF_HEADER = 'X-CSRF-Token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What `authenticate` needs to accept console sessions besides keys. */
export interface SessionAuthentication {
  sessions: SessionStore;
  /** The origin browsers reach the API at (FIREBREAK_PUBLIC_URL): a session request from another is refused. */
  publicOrigin: string;
}

/** The value of one cookie in the Cookie header (RFC 6265 syntax; the first of duplicates). */
export function cookieValue(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== name) continue;
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** 403 problem naming the header a session request must carry. */
export const csrfProblem = (detail: string) => new HttpProblem(403, 'csrf', 'Cross-site request refused', detail);

/**
 * The session behind the request's cookie, checked for a request that changes something: its
 * Origin, when sent, must be the API's own, and X-CSRF-Token must equal the session's token.
 * 401 when there is no live session.
 */
export async function sessionOf(req: Request, auth: SessionAuthentication): Promise<ConsoleSession> {
  const token = cookieValue(req, SESSION_COOKIE);
  if (!token) throw problems.unauthenticated('sign in to the console (GET /auth/login) or send Authorization: Bearer <api key>');
  const session = await auth.sessions.find(token);
  if (!session) throw problems.unauthenticated('the console session is unknown, expired or ended: sign in again (GET /auth/login)');
  if (!SAFE_METHODS.has(req.method)) {
    const origin = req.get('origin');
    if (origin !== undefined && origin !== auth.publicOrigin) throw csrfProblem(`a session request from ${origin} is refused: only ${auth.publicOrigin} may send one`);
    const sent = req.get(CSRF_HEADER);
    if (!sent) throw csrfProblem(`send ${CSRF_HEADER} with the csrfToken from GET /auth/session`);
    if (!matchesSecret(sent, secretDigest(session.csrfToken))) throw csrfProblem(`${CSRF_HEADER} does not match this session's csrfToken (GET /auth/session)`);
  }
  return session;
}

/**
 * Resolves `Authorization: Bearer <key>` to a principal, or, without an Authorization header and
 * when sessions are on, the console's session cookie (see `sessionOf`); 401 for a missing,
 * malformed, revoked or expired key or session. A request with a key is judged by its key alone.
 */
export function authenticate(keys: ApiKeyStore, sessions?: SessionAuthentication): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header && sessions && cookieValue(req, SESSION_COOKIE) !== undefined) {
      const session = await sessionOf(req, sessions);
      // Integrations report with keys bound to their sources (issue 13's constraints); a person in the
      // integration group would report with none of them, so a session never acts as one.
      if (session.principal.role === 'integration') {
        throw new HttpProblem(403, 'forbidden', 'Forbidden', 'the integration role reports alerts with an API key bound to its sources, never with a console session');
      }
      req.principal = session.principal;
      req.keyConstraints = UNCONSTRAINED;
      req.consoleSession = session;
      return next();
    }
    if (!header) throw problems.unauthenticated('send Authorization: Bearer <api key>');
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match?.[1]) throw problems.unauthenticated('the Authorization header must be "Bearer <api key>"');
    const key = await keys.authenticateKey(match[1]);
    if (!key) throw problems.unauthenticated('the API key is unknown, malformed, revoked or expired');
    req.principal = key.principal;
    req.keyConstraints = key.constraints;
    next();
  };
}

/** 403 unless the authenticated key holds one of the roles; `onDenied` may record the refusal first. */
export function allow(roles: readonly Role[], onDenied?: (req: Request, principal: Principal) => Promise<void>): RequestHandler {
  return async (req, _res, next) => {
    const principal = req.principal;
    if (!principal) throw problems.unauthenticated('send Authorization: Bearer <api key>');
    if (!roles.includes(principal.role)) {
      await onDenied?.(req, principal);
      throw problems.forbidden(principal.role, roles);
    }
    next();
  };
}

/** The key an alert comes with, for intake: its id and constraints. */
export function reporterOf(req: Request): { keyId: string; constraints: KeyConstraints } {
  return { keyId: principalOf(req).keyId, constraints: req.keyConstraints ?? UNCONSTRAINED };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw problems.unauthenticated('send Authorization: Bearer <api key>');
  return req.principal;
}
