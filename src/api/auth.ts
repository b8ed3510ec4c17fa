import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKeyStore } from '../db/api-key-store';
import { UNCONSTRAINED, type KeyConstraints } from '../domain/key-constraints';
import type { Principal, Role } from '../domain/principal';
import { problems } from './problem';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    /** What the key may report (sources, severity cap, asset kinds, dedup scope). */
    keyConstraints?: KeyConstraints;
  }
}

/** Resolves `Authorization: Bearer <key>` to a principal; 401 for a missing, malformed, revoked or expired key. */
export function authenticate(keys: ApiKeyStore): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
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
