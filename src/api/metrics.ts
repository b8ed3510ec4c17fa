import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  /** Counts every response under its route pattern (never the raw path, which would explode the labels). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.requestSeconds.startTimer();
      res.on('finish', () => {
        const route = (req.route?.path as string | undefined) ?? 'unmatched';
        this.requests.inc({ route, method: req.method, status: String(res.statusCode) });
        end({ route, method: req.method });
      });
      next();
    };
  }
}
