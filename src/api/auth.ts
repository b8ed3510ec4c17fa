import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKeyStore } from '../db/api-key-store';
import type { Principal, Role } from '../domain/principal';
import { problems } from './problem';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Resolves `Authorization: Bearer <key>` to a principal; 401 for a missing, malformed or revoked key. */
export function authenticate(keys: ApiKeyStore): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) throw problems.unauthenticated('send Authorization: Bearer <api key>');
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match?.[1]) throw problems.unauthenticated('the Authorization header must be "Bearer <api key>"');
    const principal = await keys.authenticate(match[1]);
    if (!principal) throw problems.unauthenticated('the API key is unknown, malformed or revoked');
    req.principal = principal;
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

export function principalOf(req: Request): Principal {
  if (!req.principal) throw problems.unauthenticated('send Authorization: Bearer <api key>');
  return req.principal;
}
