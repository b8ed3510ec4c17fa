import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { IdempotencyStore } from '../db/idempotency-store';
import { principalOf } from './auth';
import { HttpProblem } from './problem';

const KEY_RULE = '1 to 200 printable ASCII characters';

/** The Idempotency-Key header: the app checks it and the OpenAPI document declares it from this one schema. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, KEY_RULE)
  .describe('Repeat it with the same body to get the first answer again; another body under it is 422');

const UPDATE_ID_LOCAL = 'idempotentUpdateId';

/** The update id for a decision sent under an Idempotency-Key, or undefined (a fresh id per request). */
export function idempotentUpdateId(res: Response): string | undefined {
  const id: unknown = res.locals[UPDATE_ID_LOCAL];
  return typeof id === 'string' ? id : undefined;
}

/**
 * Honours `Idempotency-Key`: the same key with the same body answers what the first request
 * answered; the same key with another body is 422. Only successful answers are kept, so a
 * request that failed (a 503, say) can be retried under the same key.
 */
export function idempotent(store: IdempotencyStore): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!IdempotencyKeySchema.safeParse(key).success) {
      throw new HttpProblem(400, 'validation-failed', 'The request is not valid', `Idempotency-Key: ${KEY_RULE}`, {
        errors: [{ field: 'Idempotency-Key', message: KEY_RULE }],
      });
    }
    const principal = principalOf(req);
    const requestHash = createHash('sha256').update(`${req.method} ${req.path}\n${JSON.stringify(req.body ?? null)}`).digest('hex');
    const previous = await store.find(principal.keyId, key);
    if (previous) {
      if (previous.requestHash !== requestHash) {
        throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused with another request', `the key ${key} was used for a different request`);
      }
      res.set('Idempotent-Replayed', 'true').status(previous.status).json(previous.response);
      return;
    }
    // A decision sent twice at once under one key must not race itself: both reach the workflow as
    // one update id, which Temporal and the workflow apply once and answer alike.
    res.locals[UPDATE_ID_LOCAL] = 'idempotency-' + createHash('sha256').update(`${principal.keyId}\n${key}\n${requestHash}`).digest('hex');
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // What was done is the answer, saved or not: a decision that applied must never read as a 503.
        // A repeat under this key is still applied once (the update id above), only recomputed.
        store.save(principal.keyId, key, { requestHash, status: res.statusCode, response: body }).then(
          () => json(body),
          (err: unknown) => {
            req.log?.warn({ requestId: res.locals.requestId, reason: err instanceof Error ? err.message : String(err) }, 'idempotency record not saved; answering the result anyway');
            json(body);
          },
        );
        return res;
      }
      return json(body);
    };
    next();
  };
}
