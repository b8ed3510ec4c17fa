import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Finds the route pattern of a method and path, for requests that never reach their route. */
export type RoutePatternOf = (method: string, path: string) => string | undefined;

/**
 * Matches requests against route patterns (`/v1/incidents/:id`) as Express does: a parameter is
 * one path segment, a trailing slash is allowed, case does not matter, HEAD is a GET.
 */
export function routePatterns(routes: ReadonlyArray<{ method: string; path: string }>): RoutePatternOf {
  const matchers = routes.map((r) => ({
    method: r.method.toUpperCase(),
    path: r.path,
    regex: new RegExp(`^${r.path.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`, 'i'),
  }));
  return (method, path) => {
    const m = method === 'HEAD' ? 'GET' : method;
    return matchers.find((r) => r.method === m && r.regex.test(path))?.path;
  };
}

/** Prometheus metrics of one API process, on their own registry. */
export class ApiMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'firebreak_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly requestSeconds = new Histogram({
    name: 'firebreak_http_request_duration_seconds',
    help: 'HTTP request duration by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly alerts = new Counter({
    name: 'firebreak_alerts_total',
    help: 'Alerts taken in, by outcome: opened an incident, joined one, or a replay of an alert already recorded',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly decisionSeconds = new Histogram({
    name: 'firebreak_decision_duration_seconds',
    help: 'Time from a decision request to the workflow’s answer, by decision and outcome',
    labelNames: ['decision', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Counts every response under its route pattern (never the raw path, which would explode the
   * labels). A request refused before its route ran (401 and 429 come from middleware in front of
   * every route) is counted under the pattern its path matches; only a path of no route is `unmatched`.
   */
  middleware(patternOf: RoutePatternOf = () => undefined): RequestHandler {
    return (req, res, next) => {
      const end = this.requestSeconds.startTimer();
      res.on('finish', () => {
        const route = (req.route?.path as string | undefined) ?? patternOf(req.method, req.originalUrl.split('?')[0]!) ?? 'unmatched';
        this.requests.inc({ route, method: req.method, status: String(res.statusCode) });
        end({ route, method: req.method });
      });
      next();
    };
  }
}
