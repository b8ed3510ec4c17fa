import type { Request } from 'express';
import type { z } from 'zod';
import { HttpProblem, validationProblem } from './problem';
import { INCIDENT_ID_PATTERN } from '../domain/identity';

export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const result = schema.safeParse(req.body);
  if (!result.success) throw validationProblem(result.error, 'body');
  return result.data;
}

export function incidentIdParam(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !INCIDENT_ID_PATTERN.test(id)) {
    throw new HttpProblem(404, 'not-found', 'Not found', 'incident ids are 16 lowercase hex characters', {
      errors: [{ field: 'id', message: 'not an incident id' }],
    });
  }
  return id;
}
