import express, { type RequestHandler } from 'express';
import { HttpProblem, problems } from './problem';

export const MAX_BODY_BYTES = 256 * 1024;
/** Deeper JSON than this is refused before validation: no legitimate body nests so far. */
export const MAX_JSON_DEPTH = 32;

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) throw problems.unsupportedMediaType();
  next();
};

function depth(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child, limit - 1));
  return deepest + 1;
}

const limitDepth: RequestHandler = (req, _res, next) => {
  if (depth(req.body, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH) {
    throw new HttpProblem(400, 'validation-failed', 'The request is not valid', `the body nests deeper than ${MAX_JSON_DEPTH} levels`, {
      errors: [{ field: '', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }],
    });
  }
  next();
};

/** U+0000 and unpaired surrogates: text PostgreSQL cannot store, and no UTF-8 sender can mean. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const storable = (s: string) => !s.includes('\u0000') && !UNPAIRED_SURROGATE.test(s);

/** The path of the first string or key that could not be stored, if any; the schemas say the same where JSON Schema can. */
function unstorable(value: unknown, at: string[]): string[] | undefined {
  if (typeof value === 'string') return storable(value) ? undefined : at;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (!storable(key)) return [...at, key];
    const found = unstorable(child, [...at, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * 400 naming the first string or key PostgreSQL could not store, in a body as validation left it
 * (fields a schema strips are never stored, so they may hold anything JSON does).
 */
export function unstorableProblem(body: unknown): HttpProblem | undefined {
  const path = unstorable(body, []);
  if (!path) return undefined;
  const field = path.join('.');
  return new HttpProblem(400, 'validation-failed', 'The request is not valid', `${field || 'body'}: must not contain U+0000 or an unpaired surrogate`, {
    errors: [{ field, message: 'must not contain U+0000 or an unpaired surrogate' }],
  });
}

/**
 * Reads a JSON body, for the routes that take one, once the caller is known to be allowed:
 * nobody gets a body parsed, or learns how it would be judged, before authentication and role.
 */
export const jsonBody: readonly RequestHandler[] = [requireJson, express.json({ limit: MAX_BODY_BYTES, strict: true }), limitDepth];
