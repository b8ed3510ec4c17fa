import type { RequestHandler } from 'express';
import { problems } from './problem';
import { matchesSecret, secretDigest } from '../secret-digest';

/** The shortest METRICS_TOKEN accepted: a scrape token is a secret, not a password to remember. */
export const MIN_METRICS_TOKEN_LENGTH = 24;

/**
 * `Authorization: Bearer <METRICS_TOKEN>` before the Prometheus scrape (Prometheus'
 * `authorization: {credentials_file: …}`): 401 problem+json otherwise. Compared in constant time.
 */
export function requireMetricsToken(token: string): RequestHandler {
  const expected = secretDigest(token);
  return (req, _res, next) => {
    const match = /^Bearer (\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1] || !matchesSecret(match[1], expected)) throw problems.unauthenticated('send Authorization: Bearer <METRICS_TOKEN>');
    next();
  };
}

/** METRICS_TOKEN, checked; unset: /metrics stays open (local development). */
export function metricsTokenFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = env.METRICS_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)) throw new Error(`METRICS_TOKEN: at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces (openssl rand -hex 32)`);
  return token;
}
