import { z } from 'zod';
import { ROUTES, type RouteSpec } from './route-table';
import { ProblemSchema } from './schemas';

const PROBLEMS: Record<number, string> = {
  400: 'Malformed or invalid request; `errors` names each field',
  401: 'Missing, malformed or revoked API key',
  403: 'The key’s role may not call this endpoint',
  404: 'No such incident, key or route',
  409: 'The decision does not fit the incident’s phase',
  413: 'Body too large',
  415: 'Body is not application/json',
  422: 'Idempotency-Key reused with a different request',
  429: 'Rate limit exceeded; see Retry-After',
  503: 'Temporal or PostgreSQL unreachable; see Retry-After',
};

/** JSON Schema of a zod schema as OpenAPI 3.1 takes it (input side: what a client sends). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): object {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' });
}

function parameters(spec: RouteSpec): object[] {
  const path = Object.entries(spec.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') }));
  const query = spec.query ? queryParameters(spec.query) : [];
  return [...path, ...query, ...(spec.idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } }] : [])];
}

function queryParameters(query: z.ZodType): object[] {
  const schema = jsonSchema(query, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s }));
}

function problemResponses(spec: RouteSpec): Record<string, object> {
  const codes = spec.roles === 'public' ? (spec.path === '/readyz' ? [503] : []) : [400, 401, 403, 404, 409, 413, 415, 422, 429, 503];
  return Object.fromEntries(
    codes.map((code) => [String(code), { description: PROBLEMS[code], content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }]),
  );
}

/** The OpenAPI 3.1 document, generated from the route table and the zod schemas that validate requests. */
export function buildOpenApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const [operationId, spec] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    const path = spec.path.replace(/:(\w+)/g, '{$1}');
    const success = spec.success;
    paths[path] ??= {};
    paths[path][spec.method] = {
      operationId,
      summary: spec.summary,
      ...(spec.roles === 'public' ? { security: [] } : { 'x-roles': spec.roles }),
      parameters: parameters(spec),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } } } : {}),
      responses: {
        [String(success.status)]: {
          description: success.description,
          ...(success.schema || success.contentType
            ? { content: { [success.contentType ?? 'application/json']: { schema: success.schema ? jsonSchema(success.schema, 'output') : { type: 'string' } } } }
            : {}),
        },
        ...problemResponses(spec),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Firebreak API', version, description: 'Security incidents as durable Temporal workflows (ISO/IEC 27035).' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: fbk_<id>_<secret>' } },
      schemas: { Problem: jsonSchema(ProblemSchema, 'output') },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
