import type { RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import type { Role } from '../domain/principal';
import { principalOf } from './auth';
import { HttpProblem } from './problem';

/** Requests per minute per API key, by role. Integrations report storms; people click. */
export type RateLimits = Record<Role, number>;

export const DEFAULT_RATE_LIMITS: RateLimits = {
  integration: 60_000,
  responder: 600,
  manager: 600,
  auditor: 600,
  admin: 120,
};

/**
 * Per-key limit over a one-minute window, counted in this process (each API replica counts its
 * own; put a shared store behind it when running many replicas).
 */
export function rateLimitPerKey(limits: RateLimits): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: (req) => limits[principalOf(req).role],
    keyGenerator: (req) => principalOf(req).keyId,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    validate: false,
    handler: (req) => {
      const info = (req as typeof req & { rateLimit?: RateLimitInfo }).rateLimit;
      const reset = info?.resetTime?.getTime() ?? Date.now() + 60_000;
      const seconds = Math.max(1, Math.ceil((reset - Date.now()) / 1000));
      throw new HttpProblem(429, 'rate-limited', 'Too many requests', `this key may make ${info?.limit ?? '?'} requests a minute; retry in ${seconds} s`, {
        headers: { 'Retry-After': String(seconds) },
      });
    },
  });
}
