import type { Express, RequestHandler, Response } from 'express';
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import type { Decided } from '../domain/decisions';
import type { FollowUpState } from '../domain/follow-up';
import type { IncidentState } from '../domain/incident';
import type { Pool } from 'pg';
import type { HistorySource } from '../audit/history-source';
import type { ReplayOutcome, ReplayRequests } from '../audit/replay-requests';
import { buildTimeline, timelinePage } from '../audit/timeline';
import type { AnchoredAudit } from '../audit/anchored-audit';
import type { ApiKeyStore } from '../db/api-key-store';
import type { AuditLog } from '../db/audit-log';
import { custodyOf } from '../db/evidence-register';
import { HistoryArchive } from '../db/history-archive';
import type { IdempotencyStore } from '../db/idempotency-store';
import type { IncidentRepository } from '../db/incident-repository';
import { ObservableRegister } from '../db/observable-register';
import type { ReportRepository } from '../db/report-repository';
import type { Roster } from '../db/roster';
import { PlaybookVersionConflict, type PlaybookStore } from '../db/playbook-store';
import { parsePlaybookText } from '../domain/playbook';
import { playbookDigest } from '../domain/playbook-digest';
import { summaryMarkdown } from '../reports/summary';
import { toFirebreakAlert } from '../domain/alertmanager';
import { days } from '../domain/duration';
import { chainFor } from '../domain/policy';
import { SEVERITIES } from '../domain/severity';
import type { RegulatoryConfig } from '../domain/policy-schema';
import { CalendarGapError } from '../domain/business-days';
import { clocksFor } from '../domain/regulatory-deadlines';
import { materialityRegimes, startsOnMateriality } from '../domain/regulatory';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  addObservableUpdate,
  addTaskUpdate,
  applyPlaybookUpdate,
  approveContainmentUpdate,
  commentTaskUpdate,
  completeTaskUpdate,
  completeFollowUpUpdate,
  commentFollowUpUpdate,
  reassignFollowUpUpdate,
  skipFollowUpUpdate,
  reassignTaskUpdate,
  skipTaskUpdate,
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
import type { PinnedPlaybook } from '../domain/playbook-run';
import { TaskRegister } from '../db/task-register';
import { PlaybookResolver, type Unrunnable } from './playbook-resolver';
import { allow, principalOf, reporterOf } from './auth';
import { AdminAudit, ADMINISTRATION_CHAIN } from '../db/admin-audit';
import { jsonBody, unstorableProblem } from './body';
import type { DeniedRequests } from './denials';
import { decodeCursor, decodeDeadlineCursor, decodeTaskCursor, encodeCursor, encodeDeadlineCursor, encodeTaskCursor } from './cursor';
import { decodeAuditCursor, decodeTimelineCursor, encodeAuditCursor, encodeTimelineCursor } from './audit-cursors';
import { idempotent, idempotentUpdateId } from './idempotency';
import { STATE_SOURCE_HEADER, type IncidentDecisions } from './incident-decisions';
import { assertMayReport, type Intake } from './intake';
import type { LiveEvents } from './live-events';
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
  playbooks: PlaybookStore;
  reports: ReportRepository;
  /** Regimes and holidays regulatory deadlines are computed with. */
  regulatory: RegulatoryConfig;
  auditLog: AuditLog;
  /** The audit log a page at a time, verified against the workflow's head and the latest signed checkpoint. */
  anchoredAudit: AnchoredAudit;
  histories: HistorySource;
  pool: Pool;
  /** Replays on their own queue, shared per incident, answered with 202 and a place to poll when slow. */
  replays: ReplayRequests;
  decisions: IncidentDecisions;
  incidents: IncidentRepository;
  keys: ApiKeyStore;
  idempotency: IdempotencyStore;
  /** A refused request about an existing incident goes into its audit chain, counted per key, incident and minute. */
  deniedRequests: DeniedRequests;
  metrics: ApiMetrics;
  ready: () => Promise<void>;
  openapi: object;
  /** GET /v1/events; absent (an app without a change feed): 404. */
  liveEvents?: LiveEvents;
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
  const observables = new ObservableRegister(deps.pool);
  const tasks = new TaskRegister(deps.pool);
  const playbooks = new PlaybookResolver(deps.playbooks);
  /** A task decision: the body, about the task the path names. */
  const taskDecision =
    <T extends { taskId: string }>(update: UpdateDefinition<IncidentState, [Decided<T>]>) =>
    async ({ params, body }: { params: { id: string; taskId: string }; body: Omit<T, 'taskId'> }, res: Response, req: Parameters<RequestHandler>[0]) => {
      res.json(await decide(update, { ...body, taskId: params.taskId } as T)(params.id, req));
    };
  /** A follow-up decision: the body, about the follow-up the path names, sent to the follow-ups' workflow. */
  const followUpDecision =
    <T extends { taskId: string }>(update: UpdateDefinition<FollowUpState, [Decided<T>]>) =>
    async ({ params, body }: { params: { id: string; taskId: string }; body: Omit<T, 'taskId'> }, res: Response, req: Parameters<RequestHandler>[0]) => {
      res.json(await decisions.decideFollowUp(params.id, update, { ...body, taskId: params.taskId } as T, principalOf(req), idempotentUpdateId(res)));
    };
  const adminAudit = new AdminAudit(deps.auditLog);
  const countIntake = (r: { deduplicated: boolean }) => metrics.alerts.inc({ outcome: r.deduplicated ? 'joined_or_replayed' : 'opened_incident' });

  return {
    async reportAlert({ body }, res, req) {
      const reporter = reporterOf(req);
      assertMayReport(reporter, [{ alert: body }]);
      const result = await intake.receive(body, reporter);
      countIntake(result);
      res.status(202).json(result);
    },
    async alertmanagerWebhook({ body }, res, req) {
      const reporter = reporterOf(req);
      const converted = body.alerts.map((am) => toFirebreakAlert(am));
      // Every alert of the batch is checked before any is recorded.
      assertMayReport(reporter, converted.map(({ alert }, i) => ({ alert, at: `alerts.${i}` })));
      const results = [];
      for (const { alert, status } of converted) {
        const result = await intake.receive(alert, reporter, status);
        countIntake(result);
        results.push({ ...result, status });
      }
      res.status(202).json({ results });
    },
    async declareIncident({ body }, res, req) {
      const result = await intake.receive(body, reporterOf(req));
      countIntake(result);
      res.status(202).json(result);
    },
    async listIncidents({ query }, res) {
      const { cursor, include, ...filter } = query;
      if (filter.order === 'deadline') {
        const after = cursor ? decodeDeadlineCursor(cursor) : undefined;
        const page = await deps.incidents.list({ ...filter, includeState: include === 'state', ...(after ? { afterDeadline: after, asOf: after.asOf } : {}) });
        res.json({ items: page.items, nextCursor: page.next && 'asOf' in page.next ? encodeDeadlineCursor(page.next) : null });
        return;
      }
      const page = await deps.incidents.list({ ...filter, includeState: include === 'state', after: cursor ? decodeCursor(cursor) : undefined });
      res.json({ items: page.items, nextCursor: page.next && 'openedAt' in page.next ? encodeCursor(page.next) : null });
    },
    async getIncident({ params }, res) {
      const { state, source } = await decisions.state(params.id);
      res.setHeader(STATE_SOURCE_HEADER, source);
      res.json(state);
    },
    acknowledge: decision(acknowledgeUpdate),
    async assess({ params, body }, res, req) {
      const { playbook: named, ...assessment } = body;
      let playbook: PinnedPlaybook | undefined;
      if (named) {
        const found = await playbooks.named(named.name, named.version, 'named');
        if ('missing' in found) throw unknownPlaybook(named, `playbook.${found.missing}`);
        playbook = runnable(found);
      } else if (!assessment.dismiss) {
        // Matched on what the incident is as this assessment confirms it, and on the assets it has now.
        const { state } = await decisions.state(params.id);
        const matched = await playbooks.matching({ category: assessment.category, severity: assessment.severity, assetKinds: [...new Set(state.assets.map((a) => a.kind))] });
        // Nothing matched: the strategy is a playbook too (a stored one of its name shadows the built-in).
        const chosen = matched ?? (await playbooks.named(assessment.strategy, undefined, 'strategy'));
        if ('missing' in chosen) throw new Error(`the built-in playbook ${assessment.strategy} is missing`);
        playbook = runnable(chosen);
      }
      res.json(await decide(assessUpdate, { ...assessment, ...(playbook ? { playbook } : {}) })(params.id, req));
    },
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
      if (startsOnMateriality(definition)) {
        throw new HttpProblem(400, 'validation-failed', 'The request is not valid', `regime: ${body.regime} counts from the materiality determination; record it at /materiality`, {
          errors: [{ field: 'regime', message: 'counts from the materiality determination' }],
        });
      }
      const clocks = clocksOr400('startedAt', () => clocksFor(body.regime, definition, new Date(body.startedAt), deps.regulatory.holidays));
      res.json(await decide(declareRegimeUpdate, { ...body, clocks })(params.id, req));
    },
    async determineMateriality({ params, body }, res, req) {
      const clocks = body.material
        ? clocksOr400('determinedAt', () =>
            materialityRegimes(deps.regulatory.regimes).flatMap(([id, r]) => clocksFor(id, r, new Date(body.determinedAt), deps.regulatory.holidays)),
          )
        : [];
      res.json(await decide(determineMaterialityUpdate, { ...body, clocks })(params.id, req));
    },
    async recordFiling({ params, body }, res, req) {
      res.json(await decide(recordFilingUpdate, { ...body, filedAt: body.filedAt ?? new Date().toISOString() })(params.id, req));
    },
    async engageExternalAssistance({ params, body }, res, req) {
      res.json(await decide(engageExternalAssistanceUpdate, { ...body, engagedAt: body.engagedAt ?? new Date().toISOString() })(params.id, req));
    },
    addObservable: decision(addObservableUpdate),
    async incidentTasks({ params }, res) {
      const { state, source } = await decisions.state(params.id);
      res.setHeader(STATE_SOURCE_HEADER, source);
      res.json({ incidentId: params.id, items: state.tasks ?? [] });
    },
    addTask: decision(addTaskUpdate),
    completeTask: taskDecision(completeTaskUpdate),
    reassignTask: taskDecision(reassignTaskUpdate),
    skipTask: taskDecision(skipTaskUpdate),
    commentTask: taskDecision(commentTaskUpdate),
    async applyPlaybook({ params, body }, res, req) {
      const playbook = await playbooks.named(body.name, body.version, 'applied');
      if ('missing' in playbook) throw unknownPlaybook(body, playbook.missing);
      res.json(await decide(applyPlaybookUpdate, { playbook: runnable(playbook) })(params.id, req));
    },
    async incidentFollowUps({ params }, res) {
      const items = await tasks.followUps(params.id);
      if (items.length === 0 && !(await deps.incidents.exists(params.id))) throw problems.notFound(`no incident ${params.id}`);
      res.json({ incidentId: params.id, items });
    },
    completeFollowUp: followUpDecision(completeFollowUpUpdate),
    reassignFollowUp: followUpDecision(reassignFollowUpUpdate),
    skipFollowUp: followUpDecision(skipFollowUpUpdate),
    commentFollowUp: followUpDecision(commentFollowUpUpdate),
    async listTasks({ query }, res) {
      const { cursor, ...filter } = query;
      const page = await tasks.list({ ...filter, after: cursor ? decodeTaskCursor(cursor) : undefined });
      res.json({ items: page.items, nextCursor: page.next ? encodeTaskCursor(page.next) : null });
    },
    async incidentObservables({ params }, res) {
      const items = await observables.forIncident(params.id);
      if (items.length === 0 && !(await deps.incidents.exists(params.id))) throw problems.notFound(`no incident ${params.id}`);
      res.json({ incidentId: params.id, items: items.map(({ incidentId: _omit, ...sighting }) => sighting) });
    },
    async searchObservables({ query }, res) {
      const items = await observables.incidentsSeeing(query.kind, query.value, query.limit);
      res.json({ kind: query.kind, value: query.value, items: items.map(({ kind: _k, value: _v, ...sighting }) => sighting) });
    },
    async timeline({ params, query }, res) {
      const after = query.cursor ? decodeTimelineCursor(query.cursor) : undefined;
      const history = await deps.histories.of(params.id);
      if (!history) throw problems.notFound(`no incident ${params.id}`);
      const [entries, custody] = await Promise.all([deps.auditLog.entries(params.id), custodyOf(deps.pool, params.id)]);
      const page = timelinePage(buildTimeline(history.runs, entries, custody), { after, limit: query.limit });
      res.json({ incidentId: params.id, source: history.source, items: page.items, verification: page.verification, nextCursor: page.next ? encodeTimelineCursor(page.next) : null });
    },
    async history({ params }, res) {
      const history = await deps.histories.of(params.id);
      if (!history) throw problems.notFound(`no incident ${params.id}`);
      res.json(history);
    },
    async audit({ params, query }, res) {
      const after = query.cursor ? decodeAuditCursor(query.cursor) : undefined;
      // The head the incident's workflow holds, from Temporal itself: the read model's copy lives in
      // the same database as the log, so it anchors nothing.
      const workflowHead = await deps.decisions.state(params.id).then(({ state, source }) => (source === 'workflow' ? state.auditHead : undefined)).catch(() => undefined);
      const [page, custody, archive] = await Promise.all([
        deps.anchoredAudit.page(params.id, { after, limit: query.limit, workflowHead }),
        custodyOf(deps.pool, params.id),
        new HistoryArchive(deps.pool).verified(params.id),
      ]);
      const anchored = page.anchors.workflow || page.anchors.checkpoint;
      if (page.entries.length === 0 && !after && !anchored && !(await deps.incidents.exists(params.id))) throw problems.notFound(`no incident ${params.id}`);
      res.json({
        incidentId: params.id,
        nextCursor: page.next ? encodeAuditCursor(page.next) : null,
        anchors: page.anchors,
        entries: page.entries.map(({ incidentId: _omit, ...entry }) => entry),
        verification: page.verification,
        custody: custody.map((c) => ({ artifactId: c.artifactId, artifactType: c.artifactType, asset: c.asset, links: c.links.length, verification: c.verification })),
        archive,
      });
    },
    async replay({ params }, res) {
      if (!(await deps.histories.of(params.id))) throw problems.notFound(`no incident ${params.id}`);
      answerReplay(res, params.id, await deps.replays.request(params.id));
    },
    async replayStatus({ params }, res) {
      const outcome = await deps.replays.status(params.id, params.replayId);
      if (!outcome) throw problems.notFound(`no replay ${params.replayId} of incident ${params.id}`);
      answerReplay(res, params.id, outcome);
    },
    async summaryReport({ query }, res) {
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - days(7));
      const report = await deps.reports.summary(from, to);
      if (query.format === 'markdown') res.type('text/markdown; charset=utf-8').send(summaryMarkdown(report));
      else res.json(report);
    },
    async createPlaybook({ body }, res, req) {
      const parsed = parsePlaybookText(body.source, body.format);
      if (!parsed.ok) {
        const errors = parsed.issues.map((i) => ({ field: i.path, message: i.message }));
        throw new HttpProblem(400, 'validation-failed', 'The playbook is not valid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
      }
      const { playbook } = parsed;
      try {
        const { created, version } = await deps.playbooks.create({
          name: playbook.name,
          version: playbook.version,
          digest: playbookDigest(playbook),
          title: playbook.title,
          playbook,
          format: body.format,
          source: body.source,
          createdBy: principalOf(req).name,
        });
        res.json({ created, ...version });
      } catch (err) {
        if (err instanceof PlaybookVersionConflict) throw new HttpProblem(409, 'version-conflict', 'The playbook version conflicts with a stored one', err.message);
        throw err;
      }
    },
    getPolicy(_input, res) {
      // The very table intake starts workflows with, every chain spelled out (older tables leave it to the default).
      const policy = deps.intake.policy;
      res.json({ severities: Object.fromEntries(SEVERITIES.map((s) => [s, { ...policy[s], escalation: chainFor(policy[s]) }])) });
    },
    async listPlaybooks(_input, res) {
      res.json({ items: await deps.playbooks.list() });
    },
    async getPlaybookVersion({ params }, res) {
      const found = await deps.playbooks.get(params.name, params.version);
      if (!found) throw problems.notFound(`no playbook ${params.name} version ${params.version}`);
      res.json(found);
    },
    async createKey({ body }, res, req) {
      const { name, role, ...options } = body;
      res.status(201).json(await deps.keys.create(name, role, role === 'integration' ? { correlateAcrossSources: false, ...options } : options, principalOf(req)));
    },
    async listKeys(_input, res) {
      res.json({ items: await deps.keys.list() });
    },
    async revokeKey({ params }, res, req) {
      const outcome = await deps.keys.revoke(params.keyId, principalOf(req));
      if (!outcome.revoked && outcome.why === 'unknown') throw problems.notFound(`no active key ${params.keyId}`);
      if (!outcome.revoked) {
        throw new HttpProblem(409, 'last-admin-key', 'The last admin key cannot be revoked', `key ${params.keyId} is the last admin key that works: issue another admin key first, then revoke this one`);
      }
      res.status(204).end();
    },
    async administrationAudit(_input, res) {
      const { entries, verification } = await adminAudit.verified();
      res.json({ chain: ADMINISTRATION_CHAIN, entries: entries.map(({ incidentId: _chain, ...entry }) => entry), verification });
    },
    async listRoster(_input, res) {
      res.json({ items: await deps.roster.list() });
    },
    async setRoster({ params, body }, res, req) {
      res.json(await deps.roster.set(params.target, body.people, principalOf(req)));
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
    events(_input, res, req) {
      if (!deps.liveEvents) throw problems.notFound('this API process has no event stream');
      deps.liveEvents.stream(req, res);
    },
  };
}

/** Registers every route of the table with its roles, idempotency, validation and handler. */
export function registerRoutes(app: Express, deps: RouteDependencies): void {
  const table = handlers(deps) as Record<OperationId, (input: unknown, res: Response, req: Parameters<RequestHandler>[0]) => Promise<void> | void>;
  for (const [operationId, spec] of Object.entries(ROUTES) as [OperationId, RouteSpec][]) {
    const chain: RequestHandler[] = [];
    if (spec.roles !== 'public') chain.push(allow(spec.roles, spec.params && 'id' in spec.params ? deps.deniedRequests.forbidden : undefined));
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

/** How long a client should wait before asking about a replay still running, in seconds. */
const REPLAY_POLL_SECONDS = 2;

/** 200 with the verdict, or 202 with where to ask for it. */
function answerReplay(res: Response, incidentId: string, outcome: ReplayOutcome): void {
  if (outcome.status === 'done') {
    res.json(outcome.report);
    return;
  }
  res
    .status(202)
    .set('Location', `/v1/incidents/${incidentId}/replays/${outcome.replayId}`)
    .set('Retry-After', String(REPLAY_POLL_SECONDS))
    .json({ incidentId, replayId: outcome.replayId, status: 'running' });
}

/** A deadline the holiday calendar cannot count (a date before its data begins) is the caller's bad date, named. */
function clocksOr400<T>(field: string, compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    if (!(err instanceof CalendarGapError)) throw err;
    throw new HttpProblem(400, 'validation-failed', 'The request is not valid', `${field}: ${err.message}`, { errors: [{ field, message: err.message }] });
  }
}

/** 404 naming the field that named a playbook the store (and the built-ins) do not have. */
function unknownPlaybook(named: { name: string; version?: number | undefined }, field: string): HttpProblem {
  const what = named.version === undefined ? `no playbook ${named.name}` : `no playbook ${named.name} version ${named.version}`;
  return new HttpProblem(404, 'not-found', 'Not found', what, { errors: [{ field, message: what }] });
}

/** A stored playbook whose sub-playbooks do not flatten into a valid one is not pinned: 409 with each issue at its path. */
function runnable(resolved: PinnedPlaybook | { unrunnable: Unrunnable }): PinnedPlaybook {
  if (!('unrunnable' in resolved)) return resolved;
  const { name, version, issues } = resolved.unrunnable;
  const errors = issues.map((i) => ({ field: i.path, message: i.message }));
  throw new HttpProblem(409, 'playbook-unrunnable', 'The playbook cannot be run', `playbook ${name} version ${version}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
}
