import type { ZodError } from 'zod';

export interface FieldError {
  /** Dotted path of the failing field, e.g. `assets.0.kind`; empty for the body itself. */
  field: string;
  message: string;
}

/** An RFC 9457 problem. `type` is stable: clients may switch on it. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extras: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
  }

  get type(): string {
    return `/problems/${this.slug}`;
  }

  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.extras.errors ? { errors: this.extras.errors } : {}),
    };
  }
}

export function validationProblem(error: ZodError, location: 'body' | 'query' | 'path' = 'body'): HttpProblem {
  const errors = error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // Name each unknown field itself, not the object that holds it.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: at.join('.'), message: issue.message }];
  });
  const detail = errors.map((e) => `${e.field || location}: ${e.message}`).join('; ');
  return new HttpProblem(400, 'validation-failed', 'The request is not valid', detail, { errors });
}

export const problems = {
  unauthenticated: (detail: string) =>
    new HttpProblem(401, 'unauthenticated', 'Authentication required', detail, {
      headers: { 'WWW-Authenticate': 'Bearer realm="firebreak", error="invalid_token"' },
    }),
  forbidden: (role: string, allowed: readonly string[]) =>
    new HttpProblem(403, 'forbidden', 'This key may not do that', `role ${role} may not call this endpoint; allowed: ${allowed.join(', ')}`),
  notFound: (what: string) => new HttpProblem(404, 'not-found', 'Not found', what),
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    new HttpProblem(405, 'method-not-allowed', 'Method not allowed', `${method} is not a method of this resource; allowed: ${allowed.join(', ')}`, {
      headers: { Allow: allowed.join(', ') },
    }),
  decisionRejected: (reason: string) => new HttpProblem(409, 'decision-rejected', 'The decision does not fit the incident', reason),
  unsupportedMediaType: () =>
    new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json'),
  unavailable: (dependency: string) =>
    new HttpProblem(503, 'dependency-unavailable', 'Service temporarily unavailable', `${dependency} is not reachable; try again`, {
      headers: { 'Retry-After': '5' },
    }),
  internal: () => new HttpProblem(500, 'internal', 'Internal error', 'the error was logged with this request id'),
};
