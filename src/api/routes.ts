import type { Express, RequestHandler, Response } from 'express';
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import type { Decided } from '../domain/decisions';
import type { IncidentState } from '../domain/incident';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { ReplayReport } from '../activities/types';
import type { HistorySource } from '../audit/history-source';
import { buildTimeline } from '../audit/timeline';
import type { ApiKeyStore } from '../db/api-key-store';
import type { AuditLog } from '../db/audit-log';
import { custodyOf } from '../db/evidence-register';
import type { IdempotencyStore } from '../db/idempotency-store';
import type { IncidentRepository } from '../db/incident-repository';
import type { ReportRepository } from '../db/report-repository';
import type { Roster } from '../db/roster';
import { summaryMarkdown } from '../reports/summary';
import { toFirebreakAlert } from '../domain/alertmanager';
import { days } from '../domain/duration';
import type { RegulatoryConfig } from '../domain/policy-schema';
import { clocksFor } from '../domain/regulatory-deadlines';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  approveContainmentUpdate,
  assessUpdate,
  assignRoleUpdate,
  closeUpdate,
  declareRegimeUpdate,
  determineMaterialityUpdate,
  engageExternalAssistanceUpdate,
  escalateUpdate,
  recordFilingUpdate,
  recordReviewUpdate,
} from '../workflows/messages';
import type { Principal } from '../domain/principal';
import { allow, principalOf } from './auth';
import { jsonBody, unstorableProblem } from './body';
import { decodeCursor, encodeCursor } from './cursor';
import { idempotent, idempotentUpdateId } from './idempotency';
import { STATE_SOURCE_HEADER, type IncidentDecisions } from './incident-decisions';
import type { Intake } from './intake';
import type { ApiMetrics } from './metrics';
import { HttpProblem, problems, validationProblem } from './problem';
import { bodySchema, ROUTES, type OperationId, type RouteContext, type RouteSpec } from './route-table';

type Spec<T extends OperationId> = (typeof ROUTES)[T];
type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;
/** What a route's handler gets: its path parameters, query and body, already validated. */
export interface RouteInput<T extends OperationId> {
  params: Spec<T> extends { params: infer P } ? { [K in keyof P]: Infer<P[K]> } : Record<string, never>;
  query: Spec<T> extends { query: infer Q } ? Infer<Q> : undefined;
  body: Spec<T> extends { body: infer B } ? Infer<B> : undefined;
}

function validateRequest(spec: RouteSpec, ctx: RouteContext): RequestHandler {
  const bodyShape = bodySchema(spec, ctx);
  return (req, res, next) => {
    const params: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(spec.params ?? {})) {
      const parsed = schema.safeParse(req.params[name]);
      // A malformed id names nothing that could exist: 404, with the parameter named.
      if (!parsed.success) throw new HttpProblem(404, 'not-found', 'Not found', `no such ${name}: ${String(req.params[name]).slice(0, 100)}`, { errors: [{ field: name, message: parsed.error.issues[0]?.message ?? 'invalid' }] });
      params[name] = parsed.data;
    }
    let query: unknown;
    if (spec.query) {
      const parsed = spec.query.safeParse(req.query);
      if (!parsed.success) throw validationProblem(parsed.error, 'query');
      query = parsed.data;
    }
    let body: unknown;
    if (bodyShape) {
      const parsed = bodyShape.safeParse(req.body);
      if (!parsed.success) throw validationProblem(parsed.error, 'body');
      const unstorable = unstorableProblem(parsed.data);
      if (unstorable) throw unstorable;
      body = parsed.data;
    }
    res.locals.input = { params, query, body };
    next();
  };
}

const inputOf = <T extends OperationId>(res: Response): RouteInput<T> => res.locals.input as RouteInput<T>;

export interface RouteDependencies {
  intake: Intake;
  roster: Roster;
  reports: ReportRepository;
  /** Regimes and holidays regulatory deadlines are computed with. */
  regulatory: RegulatoryConfig;
  auditLog: AuditLog;
  histories: HistorySource;
  pool: Pool;
  /** Runs the replay workflow on a worker (which has the workflow code) and returns its report. */
  replay: (incidentId: string) => Promise<ReplayReport>;
  decisions: IncidentDecisions;
  incidents: IncidentRepository;
  keys: ApiKeyStore;
  idempotency: IdempotencyStore;
  metrics: ApiMetrics;
  ready: () => Promise<void>;
  openapi: object;
}

type Handlers = { [T in OperationId]: (input: RouteInput<T>, res: Response, req: Parameters<RequestHandler>[0]) => Promise<void> | void };

function handlers(deps: RouteDependencies): Handlers {
  const { decisions, intake, metrics } = deps;
  const decide = <T>(update: UpdateDefinition<IncidentState, [Decided<T>]>, decision: T) => (id: string, req: Parameters<RequestHandler>[0]) =>
    decisions.decide(id, update, decision, principalOf(req), req.res ? idempotentUpdateId(req.res) : undefined);
  /** A decision endpoint whose body is the decision itself. */
  const decision =
    <T>(update: UpdateDefinition<IncidentState, [Decided<T>]>) =>
    async ({ params, body }: { params: { id: string }; body: T }, res: Response, req: Parameters<RequestHandler>[0]) => {
      res.json(await decide(update, body)(params.id, req));
    };
  const countIntake = (r: { deduplicated: boolean }) => metrics.alerts.inc({ outcome: r.deduplicated ? 'joined_or_replayed' : 'opened_incident' });

  return {
    async reportAlert({ body }, res) {
      const result = await intake.receive(body);
      countIntake(result);
      res.status(202).json(result);
    },
    async alertmanagerWebhook({ body }, res) {
      const results = [];
      for (const am of body.alerts) {
        const { alert, status } = toFirebreakAlert(am);
        const result = await intake.receive(alert, status);
        countIntake(result);
        results.push({ ...result, status });
      }
      res.status(202).json({ results });
    },
    async declareIncident({ body }, res) {
      const result = await intake.receive(body);
      countIntake(result);
      res.status(202).json(result);
    },
    async listIncidents({ query }, res) {
      const { cursor, ...filter } = query;
      const page = await deps.incidents.list({ ...filter, after: cursor ? decodeCursor(cursor) : undefined });
      res.json({ items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null });
    },
    async getIncident({ params }, res) {
      const { state, source } = await decisions.state(params.id);
      res.setHeader(STATE_SOURCE_HEADER, source);
      res.json(state);
    },
    acknowledge: decision(acknowledgeUpdate),
    assess: decision(assessUpdate),
    approveContainment: decision(approveContainmentUpdate),
    async assignRole({ params, body }, res, req) {
      res.json(await decide(assignRoleUpdate, { role: params.role, person: body.person })(params.id, req));
    },
    escalate: decision(escalateUpdate),
    addNote: decision(addNoteUpdate),
    recordReview: decision(recordReviewUpdate),
    close: decision(closeUpdate),
    async declareRegime({ params, body }, res, req) {
      const definition = deps.regulatory.regimes[body.regime];
      if (!definition) {
        throw new HttpProblem(400, 'validation-failed', 'The request is not valid', `regime: unknown regime ${body.regime}`, {
          errors: [{ field: 'regime', message: `unknown regime; known: ${Object.keys(deps.regulatory.regimes).join(', ')}` }],
        });
      }
      if (definition.startsFrom === 'materiality') {
        throw new HttpProblem(400, 'validation-failed', 'The request is not valid', `regime: ${body.regime} counts from the materiality determination; record it at /materiality`, {
          errors: [{ field: 'regime', message: 'counts from the materiality determination' }],
        });
      }
      const clocks = clocksFor(body.regime, definition, new Date(body.startedAt), deps.regulatory.holidays);
      res.json(await decide(declareRegimeUpdate, { ...body, clocks })(params.id, req));
    },
    async determineMateriality({ params, body }, res, req) {
      const clocks = body.material
        ? Object.entries(deps.regulatory.regimes)
            .filter(([, r]) => r.startsFrom === 'materiality')
            .flatMap(([id, r]) => clocksFor(id, r, new Date(body.determinedAt), deps.regulatory.holidays))
        : [];
      res.json(await decide(determineMaterialityUpdate, { ...body, clocks })(params.id, req));
    },
    async recordFiling({ params, body }, res, req) {
      res.json(await decide(recordFilingUpdate, { ...body, filedAt: body.filedAt ?? new Date().toISOString() })(params.id, req));
    },
    async engageExternalAssistance({ params, body }, res, req) {
      res.json(await decide(engageExternalAssistanceUpdate, { ...body, engagedAt: body.engagedAt ?? new Date().toISOString() })(params.id, req));
    },
    async timeline({ params }, res) {
      const history = await deps.histories.of(params.id);
      if (!history) throw problems.notFound(`no incident ${params.id}`);
      const [entries, custody] = await Promise.all([deps.auditLog.entries(params.id), custodyOf(deps.pool, params.id)]);
      res.json({ incidentId: params.id, source: history.source, items: buildTimeline(history.runs, entries, custody) });
    },
    async history({ params }, res) {
      const history = await deps.histories.of(params.id);
      if (!history) throw problems.notFound(`no incident ${params.id}`);
      res.json(history);
    },
    async audit({ params }, res) {
      const [{ entries, verification }, custody] = await Promise.all([deps.auditLog.verified(params.id), custodyOf(deps.pool, params.id)]);
      if (entries.length === 0 && !(await deps.incidents.exists(params.id))) throw problems.notFound(`no incident ${params.id}`);
      res.json({
        incidentId: params.id,
        entries: entries.map(({ incidentId: _omit, ...entry }) => entry),
        verification,
        custody: custody.map((c) => ({ artifactId: c.artifactId, artifactType: c.artifactType, asset: c.asset, links: c.links.length, verification: c.verification })),
      });
    },
    async replay({ params }, res) {
      if (!(await deps.histories.of(params.id))) throw problems.notFound(`no incident ${params.id}`);
      res.json(await deps.replay(params.id));
    },
    async summaryReport({ query }, res) {
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - days(7));
      const report = await deps.reports.summary(from, to);
      if (query.format === 'markdown') res.type('text/markdown; charset=utf-8').send(summaryMarkdown(report));
      else res.json(report);
    },
    async createKey({ body }, res) {
      res.status(201).json(await deps.keys.create(body.name, body.role));
    },
    async listKeys(_input, res) {
      res.json({ items: await deps.keys.list() });
    },
    async revokeKey({ params }, res) {
      if (!(await deps.keys.revoke(params.keyId))) throw problems.notFound(`no active key ${params.keyId}`);
      res.status(204).end();
    },
    async listRoster(_input, res) {
      res.json({ items: await deps.roster.list() });
    },
    async setRoster({ params, body }, res, req) {
      res.json(await deps.roster.set(params.target, body.people, principalOf(req).name));
    },
    health(_input, res) {
      res.json({ status: 'ok' });
    },
    async ready(_input, res) {
      try {
        await deps.ready();
      } catch (err) {
        throw problems.unavailable(err instanceof Error ? err.message : 'a dependency');
      }
      res.json({ status: 'ready' });
    },
    async metrics(_input, res) {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
    openapi(_input, res) {
      res.json(deps.openapi);
    },
  };
}

/** Registers every route of the table with its roles, idempotency, validation and handler. */
export function registerRoutes(app: Express, deps: RouteDependencies): void {
  // A refused request about an existing incident goes into its audit log; it never reaches history.
  const recordDenied = async (req: Parameters<RequestHandler>[0], principal: Principal) => {
    const id = req.params.id;
    if (typeof id !== 'string' || !(await deps.incidents.exists(id))) return;
    await deps.auditLog.append(id, [
      {
        entryKey: `denied:${randomUUID()}`,
        at: new Date().toISOString(),
        actor: principal.name,
        actorRole: principal.role,
        action: `${req.method} ${req.route?.path ?? req.path}`,
        outcome: 'denied',
        details: { keyId: principal.keyId },
      },
    ]);
  };
  const table = handlers(deps) as Record<OperationId, (input: unknown, res: Response, req: Parameters<RequestHandler>[0]) => Promise<void> | void>;
  for (const [operationId, spec] of Object.entries(ROUTES) as [OperationId, RouteSpec][]) {
    const chain: RequestHandler[] = [];
    if (spec.roles !== 'public') chain.push(allow(spec.roles, spec.params && 'id' in spec.params ? recordDenied : undefined));
    if (spec.body) chain.push(...jsonBody);
    if (spec.idempotent) chain.push(idempotent(deps.idempotency));
    chain.push(validateRequest(spec, { regulatory: deps.regulatory }));
    const handle = table[operationId];
    chain.push(async (req, res) => {
      await handle(inputOf(res), res, req);
    });
    app[spec.method](spec.path, ...chain);
  }
}

/** Each path of the table with the methods it answers (HEAD wherever GET is; OPTIONS everywhere). */
export function allowedMethods(): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const spec of Object.values(ROUTES) as RouteSpec[]) {
    const methods = byPath.get(spec.path) ?? [];
    methods.push(spec.method.toUpperCase(), ...(spec.method === 'get' ? ['HEAD'] : []));
    byPath.set(spec.path, methods);
  }
  for (const methods of byPath.values()) methods.push('OPTIONS');
  return byPath;
}

/**
 * After the routes: a known resource asked with a method it does not have gets 405 naming the
 * ones it has (RFC 9110), and OPTIONS gets 204 with the same Allow header; anything else goes on to 404.
 */
export function methodNotAllowed(): RequestHandler {
  const resources = [...allowedMethods()].map(([path, methods]) => ({
    // Express's own matching: case-insensitive, a trailing slash allowed, a parameter is one segment.
    pattern: new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}/?$`, 'i'),
    allow: methods.join(', '),
    methods,
  }));
  return (req, res, next) => {
    const resource = resources.find((r) => r.pattern.test(req.path));
    if (!resource) return next();
    if (req.method === 'OPTIONS') {
      res.set('Allow', resource.allow).status(204).end();
      return;
    }
    next(problems.methodNotAllowed(req.method, resource.methods));
  };
}
