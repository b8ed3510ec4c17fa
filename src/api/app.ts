import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { MAX_BODY_BYTES } from './body';
import type { Logger } from 'pino';
import { loggedRequest } from '../logger';
import { pinoHttp } from 'pino-http';
import type { ApiKeyStore } from '../db/api-key-store';
import type { IdempotencyStore } from '../db/idempotency-store';
import type { IncidentRepository } from '../db/incident-repository';
import type { PayloadCodec } from '@temporalio/common';
import { authenticate } from './auth';
import { consoleSite } from './console-site';
import { codecEndpoint } from './codec-endpoint';
import { oidcLoginRoutes, oidcNotConfigured, type OidcSettings } from './oidc-login';
import type { SessionStore } from '../db/session-store';
import { requireMetricsToken } from './metrics-token';
import { unavailableDependency } from './dependency-errors';
import type { IncidentDecisions } from './incident-decisions';
import type { Intake } from './intake';
import { routePatterns, type ApiMetrics } from './metrics';
import { ROUTES } from './route-table';
import { buildOpenApiDocument, packageVersion } from './openapi';
import { HttpProblem, problems } from './problem';
import { RateLimiters, type RateLimits } from './rate-limit';
import { methodNotAllowed, registerRoutes, type RouteDependencies } from './routes';

export interface AppDependencies extends Omit<RouteDependencies, 'openapi'> {
  logger: Logger;
  keys: ApiKeyStore;
  intake: Intake;
  decisions: IncidentDecisions;
  incidents: IncidentRepository;
  idempotency: IdempotencyStore;
  metrics: ApiMetrics;
  /** Resolves when Temporal and PostgreSQL answer; rejects naming the one that does not. */
  ready: () => Promise<void>;
  rateLimits?: RateLimits;
  /** Shared per key and per address through PostgreSQL; built from `rateLimits` on `pool` when absent. */
  rateLimiters?: RateLimiters;
  /** Express's `trust proxy`: hops, or the proxies' addresses (FIREBREAK_TRUST_PROXY); absent: the socket's address is the client's. */
  trustProxy?: number | string;
  /** Serves /codec/decode and /codec/encode to auditors when set (FIREBREAK_PAYLOAD_KEYS). */
  payloadCodec?: PayloadCodec;
  /** Temporal UI origins allowed to call the codec endpoint from a browser. */
  codecCorsOrigins?: readonly string[];
  /** Bearer token the Prometheus scrape must send (METRICS_TOKEN); absent: /metrics is open. */
  metricsToken?: string;
  /** Console sign-in through OpenID Connect (/auth/*) and session cookies on /v1; absent: API keys only. */
  oidc?: { settings: OidcSettings; sessions: SessionStore };
  /** Where the built console is; absent: dist/console under the project. */
  consoleDir?: string;
}

/** Liveness, readiness and the Prometheus scrape: polled by machines, not made by people. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: HttpProblem;
    if (err instanceof HttpProblem) {
      problem = err;
    } else if (err?.type === 'entity.parse.failed') {
      problem = new HttpProblem(400, 'malformed-json', 'The body is not valid JSON', 'send a JSON object');
    } else if (err?.type === 'entity.too.large') {
      problem = new HttpProblem(413, 'body-too-large', 'The body is too large', `the limit is ${MAX_BODY_BYTES} bytes`);
    } else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') {
      problem = new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send UTF-8 JSON without a content encoding');
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      problem = new HttpProblem(err.status, 'bad-request', 'Bad request', 'the request could not be read');
    } else {
      const dependency = unavailableDependency(err);
      problem = dependency ? problems.unavailable(dependency) : problems.internal();
      // An outage is expected and already watched: one short line per refusal, not a stack trace.
      if (dependency) logger.warn({ requestId: res.locals.requestId, dependency, reason: err instanceof Error ? err.message : String(err) }, 'dependency unavailable');
      else logger.error({ err, requestId: res.locals.requestId }, 'request failed');
    }
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(problem.extras.headers ?? {})) res.set(name, value);
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toJSON(req.originalUrl)));
  };
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const header = req.headers['x-request-id'];
        const id = (typeof header === 'string' && /^[\x21-\x7e]{1,100}$/.test(header) ? header : undefined) ?? randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Bearer keys never reach the log: only allow-listed request headers are logged at all.
      serializers: { req: loggedRequest },
      redact: ['req.headers.authorization'],
      // A 503 is an outage, already logged once as a warning: the status says the rest, no stack.
      // Probes and scrapes come every few seconds: an answer to one is debug, unless it is a failure.
      customLogLevel: (req, res, err) =>
        res.statusCode === 503 ? 'warn' : err || res.statusCode >= 500 ? 'error' : PROBE_PATHS.has(((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0]!) ? 'debug' : 'info',
      customErrorObject: (_req, res, _err, val) => (res.statusCode === 503 ? { ...val, err: undefined } : val),
    }),
  );
  app.use((req, res, next) => {
    res.locals.requestId = req.id;
    next();
  });
  app.use(deps.metrics.middleware(routePatterns(Object.values(ROUTES))));
  // The console: static files under a strict CSP; it talks to the API below like any client.
  app.use('/console', consoleSite(deps.consoleDir));
  // The key first: an unauthenticated request learns nothing but 401, whatever it carries.
  // Routes that take a body read it themselves (see jsonBody), after the role check.
  // Before the key: a limit per client address, so a flood of bad keys cannot reach the lookup.
  // A 401 counts against its address, and is audited when its token names a known key.
  const limits = deps.rateLimiters ?? new RateLimiters(deps.pool, deps.rateLimits);
  // Sign-in for people: outside /v1 and its key check, within the per-address limit.
  app.use('/auth', limits.limitPerAddress, deps.oidc ? oidcLoginRoutes({ ...deps.oidc, logger: deps.logger }) : oidcNotConfigured());
  const sessionAuth = deps.oidc ? { sessions: deps.oidc.sessions, publicOrigin: deps.oidc.settings.publicOrigin } : undefined;
  app.use('/v1', limits.limitPerAddress, authenticate(deps.keys, sessionAuth), limits.countFailedAuthentication, deps.deniedRequests.unauthenticated, limits.limitPerKey);
  if (deps.metricsToken) app.use('/metrics', requireMetricsToken(deps.metricsToken));
  if (deps.payloadCodec) app.use('/codec', codecEndpoint({ keys: deps.keys, codec: deps.payloadCodec, corsOrigins: deps.codecCorsOrigins ?? [] }));

  registerRoutes(app, { ...deps, openapi: buildOpenApiDocument(packageVersion(), { regulatory: deps.regulatory }) });

  app.use(methodNotAllowed());
  app.use((req, _res, next) => next(problems.notFound(`no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
