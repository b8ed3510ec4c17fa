import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../paths';
import { IdempotencyKeySchema } from './idempotency';
import { bodySchema, ROUTES, type RouteContext, type RouteSpec } from './route-table';
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

/**
 * Schemas with an id (recursive ones, like a JSON value) that documents name: zod puts them in a
 * local `$defs`, whose `#/$defs/…` references would resolve against the whole OpenAPI document,
 * so they move to `components/schemas`. The ids are fixed names, so every build yields the same.
 */
const NAMED_SCHEMAS: Record<string, object> = {};

function hoist(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(hoist);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$defs') {
      for (const [name, def] of Object.entries(value as Record<string, unknown>)) NAMED_SCHEMAS[name] = hoist(def) as object;
    } else if (key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')) {
      out[key] = `#/components/schemas/${value.slice('#/$defs/'.length)}`;
    } else {
      out[key] = hoist(value);
    }
  }
  return out;
}

/** JSON Schema of a zod schema as OpenAPI 3.1 takes it (input side: what a client sends). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): object {
  return hoist(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' })) as object;
}

function parameters(spec: RouteSpec): object[] {
  const path = Object.entries(spec.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') }));
  const query = spec.query ? queryParameters(spec.query) : [];
  return [...path, ...query, ...(spec.idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: jsonSchema(IdempotencyKeySchema, 'input') }] : [])];
}

function queryParameters(query: z.ZodType): object[] {
  const schema = jsonSchema(query, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s }));
}

const retryAfter = { description: 'Seconds to wait before retrying', required: true, schema: { type: 'integer', minimum: 1 } };
const PROBLEM_HEADERS: Record<number, Record<string, object>> = {
  401: { 'WWW-Authenticate': { description: 'The Bearer challenge', required: true, schema: { type: 'string' } } },
  429: { 'Retry-After': retryAfter },
  503: { 'Retry-After': retryAfter },
};

/** The problems an operation can answer, derived from what its route does (the same facts the app is wired from). */
export function problemCodes(spec: RouteSpec): number[] {
  if (spec.roles === 'public') return spec.path === '/readyz' ? [503] : [];
  const codes = new Set([401, 403, 429, 503]); // key, role, limit; the key is looked up in PostgreSQL
  if (spec.body || spec.query || spec.idempotent) codes.add(400);
  if (spec.params) codes.add(404); // a malformed or unknown id
  if (spec.decision || spec.conflict) codes.add(409);
  if (spec.body) [413, 415].forEach((c) => codes.add(c));
  if (spec.idempotent) codes.add(422);
  return [...codes].sort();
}

function problemResponses(spec: RouteSpec): Record<string, object> {
  return Object.fromEntries(
    problemCodes(spec).map((code) => [
      String(code),
      {
        description: code === 409 && spec.conflict ? spec.conflict : PROBLEMS[code],
        ...(PROBLEM_HEADERS[code] ? { headers: PROBLEM_HEADERS[code] } : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );
}

function successContent(success: RouteSpec['success']): Record<string, object> {
  const schemaOf = (schema: z.ZodType | undefined) => ({ schema: schema ? jsonSchema(schema, 'output') : { type: 'string' } });
  return {
    [success.contentType ?? 'application/json']: schemaOf(success.schema),
    ...Object.fromEntries(Object.entries(success.alternatives ?? {}).map(([type, schema]) => [type, schemaOf(schema)])),
  };
}

function acceptedResponse(accepted: NonNullable<RouteSpec['accepted']>): object {
  return {
    description: accepted.description,
    headers: { Location: { description: 'Where to ask for the outcome', required: true, schema: { type: 'string' } }, 'Retry-After': retryAfter },
    content: { 'application/json': { schema: jsonSchema(accepted.schema, 'output') } },
  };
}

/** The OpenAPI 3.1 document, generated from the route table and the zod schemas that validate requests. */
/**
 * The version in package.json: the document's `info.version` must say which release answers,
 * however the process was started (npm sets npm_package_version, `node dist/…` does not).
 */
export function packageVersion(): string {
  const { version } = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  return version;
}

export function buildOpenApiDocument(version: string, ctx: RouteContext): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const [operationId, spec] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    const path = spec.path.replace(/:(\w+)/g, '{$1}');
    const success = spec.success;
    const body = bodySchema(spec, ctx);
    paths[path] ??= {};
    paths[path][spec.method] = {
      operationId,
      summary: spec.summary,
      ...(spec.roles === 'public' ? { security: [] } : { 'x-roles': spec.roles }),
      parameters: parameters(spec),
      ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(body, 'input') } } } } : {}),
      responses: {
        [String(success.status)]: {
          description: success.description,
          ...(success.schema || success.contentType ? { content: successContent(success) } : {}),
        },
        ...(spec.accepted ? { '202': acceptedResponse(spec.accepted) } : {}),
        ...problemResponses(spec),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Firebreak API', version, description: 'Security incidents as durable Temporal workflows (ISO/IEC 27035).' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: fbk_<id>_<secret>' } },
      schemas: { Problem: jsonSchema(ProblemSchema, 'output'), ...NAMED_SCHEMAS },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
