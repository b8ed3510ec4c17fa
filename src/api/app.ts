import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ApiKeyStore } from '../db/api-key-store';
import { authenticate } from './auth';
import { unavailableDependency } from './dependency-errors';
import type { IncidentDecisions } from './incident-decisions';
import type { Intake } from './intake';
import { HttpProblem, problems } from './problem';
import { v1Routes } from './routes';

export interface AppDependencies {
  logger: Logger;
  keys: ApiKeyStore;
  intake: Intake;
  decisions: IncidentDecisions;
  /** Resolves when Temporal and PostgreSQL answer; rejects naming the one that does not. */
  ready: () => Promise<void>;
}

export const MAX_BODY_BYTES = 256 * 1024;

const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
  if (hasBody && !req.is('application/json')) throw problems.unsupportedMediaType();
  next();
};

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: HttpProblem;
    if (err instanceof HttpProblem) {
      problem = err;
    } else if (err?.type === 'entity.parse.failed') {
      problem = new HttpProblem(400, 'malformed-json', 'The body is not valid JSON', 'send a JSON object');
    } else if (err?.type === 'entity.too.large') {
      problem = new HttpProblem(413, 'body-too-large', 'The body is too large', `the limit is ${MAX_BODY_BYTES} bytes`);
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      problem = new HttpProblem(err.status, 'bad-request', 'Bad request', 'the request could not be read');
    } else {
      const dependency = unavailableDependency(err);
      problem = dependency ? problems.unavailable(dependency) : problems.internal();
      logger.error({ err, requestId: res.locals.requestId, dependency }, 'request failed');
    }
    for (const [name, value] of Object.entries(problem.extras.headers ?? {})) res.set(name, value);
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toJSON(req.originalUrl)));
  };
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const requestId = req.get('x-request-id')?.slice(0, 100) || randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.logger.info({ requestId, method: req.method, path: req.originalUrl, status: res.statusCode, ms }, 'request');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.ready();
      res.json({ status: 'ready' });
    } catch (err) {
      throw problems.unavailable(err instanceof Error ? err.message : 'a dependency');
    }
  });

  app.use('/v1', requireJson, express.json({ limit: MAX_BODY_BYTES, strict: true }), authenticate(deps.keys), v1Routes(deps));

  app.use((req, _res, next) => next(problems.notFound(`no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
