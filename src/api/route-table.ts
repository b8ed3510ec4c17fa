import { z } from 'zod';
import { AlertSchema } from '../domain/alert-schema';
import { AlertmanagerPayloadSchema } from '../domain/alertmanager';
import { ObservableSchema } from '../domain/observable';
import {
  AcknowledgeSchema,
  ClosureSchema,
  ContainmentApprovalSchema,
  EscalationSchema,
  ExternalAssistanceSchema,
  FilingSchema,
  MaterialitySchema,
  RegimeSchema,
  NoteSchema,
  ReviewSchema,
  RoleAssignmentSchema,
  RoleParamSchema,
} from '../domain/decision-schemas';
import type { RegulatoryConfig } from '../domain/policy-schema';
import type { Role } from '../domain/principal';
import {
  AdministrationAuditSchema,
  AlertmanagerResultSchema,
  AuditQuerySchema,
  AuditReportSchema,
  HistoryExportSchema,
  ReplayIdSchema,
  ReplayReportSchema,
  ReplayRunningSchema,
  TimelineQuerySchema,
  TimelineSchema,
  IncidentListQuerySchema,
  IncidentListSchema,
  IncidentObservablesSchema,
  ObservableQuerySchema,
  ObservableSearchSchema,
  IncidentStateSchema,
  IntakeResultSchema,
  IssuedKeySchema,
  KeyListSchema,
  NewKeySchema,
  RosterSchema,
  RosterUpdateSchema,
  SummaryQuerySchema,
  SummaryReportSchema,
  PlaybookListSchema,
  PlaybookParamsSchema,
  PlaybookUploadSchema,
  PlaybookVersionSchema,
  StoredPlaybookSchema,
  AdHocTaskSchema,
  AssessmentRequestSchema,
  IncidentTasksSchema,
  PlaybookApplicationSchema,
  TaskCommentSchema,
  TaskCompletionSchema,
  TaskListQuerySchema,
  TaskListSchema,
  TaskParamsSchema,
  TaskReassignmentSchema,
  TaskSkipSchema,
  FollowUpStateSchema,
  IncidentFollowUpsSchema,
  PolicySchema,
} from './schemas';
import { DECISION_ROLES } from '../domain/decision-roles';
import { ESCALATION_TARGETS } from '../domain/escalation';
import { startsOnMateriality } from '../domain/regulatory';

/** What the deployment is configured with, where a route's contract depends on it. */
export interface RouteContext {
  regulatory: RegulatoryConfig;
}

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path; `:name` segments are path parameters. */
  path: string;
  /** Who may call it, or `public` for unauthenticated operational endpoints. */
  roles: readonly Role[] | 'public';
  summary: string;
  params?: Record<string, z.ZodType>;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The body as this deployment's configuration narrows it; the app validates and the document declares this one. */
  configuredBody?: (ctx: RouteContext) => z.ZodType;
  /** Honours the Idempotency-Key header. */
  idempotent?: boolean;
  /** A decision a workflow judges (the incident's, or its follow-ups'): 409 when it does not fit. */
  decision?: boolean;
  /** What a 409 means on a route that is not a decision. */
  conflict?: string;
  success: {
    status: number;
    description: string;
    schema?: z.ZodType;
    contentType?: string;
    /** Other representations of the same answer, by media type (a schema, or text when none). */
    alternatives?: Record<string, z.ZodType | undefined>;
  };
  /** A 202 answer: the work goes on, and Location says where to ask (with Retry-After in seconds). */
  accepted?: { description: string; schema: z.ZodType };
}

/** The configured regimes whose clocks start from an event; the ones counting from materiality start at /materiality. */
function eventRegime(regulatory: RegulatoryConfig): z.ZodType<string> {
  const ids = Object.entries(regulatory.regimes)
    .filter(([, regime]) => !startsOnMateriality(regime))
    .map(([id]) => id)
    .sort();
  return z.enum(ids as [string, ...string[]], {
    message: `unknown regime, or one counted from the materiality determination (record that at /materiality); known: ${ids.join(', ')}`,
  });
}

/** The body a route validates and documents: its configured one where it has one. */
export function bodySchema(spec: RouteSpec, ctx: RouteContext): z.ZodType | undefined {
  return spec.configuredBody?.(ctx) ?? spec.body;
}

/** Who reads incidents. Not admins: issuing keys is not a reason to read breach details. */
export const READERS = ['responder', 'manager', 'auditor'] as const;
/** Playbooks are plans, not incident data: the admins who store them read them too. */
const PLAYBOOK_READERS = [...READERS, 'admin'] as const;

const IncidentId = z.string().regex(/^[0-9a-f]{16}$/).describe('16 lowercase hex characters');
const KeyId = z.string().regex(/^[0-9a-f]{16}$/);
const incidentParams = { id: IncidentId };
const taskParams = { ...incidentParams, ...TaskParamsSchema };
const newState = (description: string) => ({ status: 200, description, schema: IncidentStateSchema });
const newFollowUps = (description: string) => ({ status: 200, description, schema: FollowUpStateSchema });
const FOLLOW_UP_CONFLICT =
  'The decision does not fit the follow-up (the reason says why), or no follow-ups of the incident are running: every one is settled, or its review named none';

/**
 * Every route of the API in one table: the app registers its handlers from it and the OpenAPI
 * document is generated from it, so the two cannot drift apart.
 */
export const ROUTES = {
  reportAlert: {
    method: 'post', path: '/v1/alerts', roles: ['integration'], summary: 'Report an alert; duplicates join the open incident of their dedup key',
    body: AlertSchema, idempotent: true, success: { status: 202, description: 'Recorded and handed to the incident', schema: IntakeResultSchema },
  },
  alertmanagerWebhook: {
    method: 'post', path: '/v1/integrations/alertmanager', roles: ['integration'], summary: 'Prometheus Alertmanager webhook (version 4); each fingerprint is a dedup key',
    body: AlertmanagerPayloadSchema, idempotent: true, success: { status: 202, description: 'Every alert recorded', schema: AlertmanagerResultSchema },
  },
  declareIncident: {
    method: 'post', path: '/v1/incidents', roles: ['manager'], summary: 'Declare an incident by hand (same body as an alert)',
    body: AlertSchema, idempotent: true, success: { status: 202, description: 'Recorded and handed to the incident', schema: IntakeResultSchema },
  },
  listIncidents: {
    method: 'get', path: '/v1/incidents', roles: READERS, summary: 'List incidents from the read model: newest first, or (order=deadline) the queue: overdue first, then the soonest escalation; open=true, overdue=true and include=state serve a queue in one request',
    query: IncidentListQuerySchema, success: { status: 200, description: 'A page of incidents', schema: IncidentListSchema },
  },
  getIncident: {
    method: 'get', path: '/v1/incidents/:id', roles: READERS, summary: 'The live state of an incident; the read model once its run is gone or while Temporal or every worker is down (header Firebreak-State-Source: workflow or read-model)',
    params: incidentParams, success: newState('The incident'),
  },
  acknowledge: {
    method: 'post', path: '/v1/incidents/:id/acknowledge', roles: DECISION_ROLES.acknowledge, summary: 'Acknowledge a detected incident',
    params: incidentParams, body: AcknowledgeSchema, decision: true, idempotent: true, success: newState('Acknowledged; the incident is in triage'),
  },
  assess: {
    method: 'post', path: '/v1/incidents/:id/assessment', roles: DECISION_ROLES.assess, summary: 'Confirm severity and category, pick the strategy, or dismiss; pins the playbook the response runs (named, or chosen by matching rules)',
    params: incidentParams, body: AssessmentRequestSchema, decision: true, idempotent: true, success: newState('Assessed'),
  },
  approveContainment: {
    method: 'post', path: '/v1/incidents/:id/containment/approval', roles: DECISION_ROLES.approveContainment, summary: 'Approve or refuse destructive containment',
    params: incidentParams, body: ContainmentApprovalSchema, decision: true, idempotent: true, success: newState('Decided'),
  },
  assignRole: {
    method: 'put', path: '/v1/incidents/:id/roles/:role', roles: DECISION_ROLES.assignRole, summary: 'Assign a person to an incident role',
    params: { ...incidentParams, role: RoleParamSchema }, body: RoleAssignmentSchema, decision: true, idempotent: true, success: newState('Assigned'),
  },
  escalate: {
    method: 'post', path: '/v1/incidents/:id/escalations', roles: DECISION_ROLES.escalate, summary: 'Escalate one level up the chain',
    params: incidentParams, body: EscalationSchema, decision: true, idempotent: true, success: newState('Escalated'),
  },
  addNote: {
    method: 'post', path: '/v1/incidents/:id/notes', roles: DECISION_ROLES.addNote, summary: 'Add a note',
    params: incidentParams, body: NoteSchema, decision: true, idempotent: true, success: newState('Noted'),
  },
  recordReview: {
    method: 'post', path: '/v1/incidents/:id/review', roles: DECISION_ROLES.recordReview, summary: 'Record the post-incident review outcome',
    params: incidentParams, body: ReviewSchema, decision: true, idempotent: true, success: newState('Recorded'),
  },
  close: {
    method: 'post', path: '/v1/incidents/:id/close', roles: DECISION_ROLES.close, summary: 'Close an incident in review',
    params: incidentParams, body: ClosureSchema, decision: true, idempotent: true, success: newState('Closed'),
  },
  declareRegime: {
    method: 'post', path: '/v1/incidents/:id/regimes', roles: DECISION_ROLES.declareRegime, summary: 'Start a regulator’s clocks (GDPR, NIS2, HIPAA, custom), counted from the event it counts from',
    params: incidentParams, body: RegimeSchema, configuredBody: ({ regulatory }) => RegimeSchema.extend({ regime: eventRegime(regulatory) }),
    decision: true, idempotent: true, success: newState('Clocks running'),
  },
  determineMateriality: {
    method: 'post', path: '/v1/incidents/:id/materiality', roles: DECISION_ROLES.determineMateriality, summary: 'Record the materiality determination; when material, the SEC 8-K clock starts from it',
    params: incidentParams, body: MaterialitySchema, decision: true, idempotent: true, success: newState('Determined'),
  },
  recordFiling: {
    method: 'post', path: '/v1/incidents/:id/filings', roles: DECISION_ROLES.recordFiling, summary: 'Record a regulatory filing (late GDPR filings must carry their reasons)',
    params: incidentParams, body: FilingSchema, decision: true, idempotent: true, success: newState('Filed'),
  },
  engageExternalAssistance: {
    method: 'post', path: '/v1/incidents/:id/external-assistance', roles: DECISION_ROLES.engageExternalAssistance, summary: 'Record external help engaged (provider, contract or insurance policy reference)',
    params: incidentParams, body: ExternalAssistanceSchema, decision: true, idempotent: true, success: newState('Recorded'),
  },
  addObservable: {
    method: 'post', path: '/v1/incidents/:id/observables', roles: DECISION_ROLES.addObservable, summary: 'Add an observable (normalised per kind, defanged input accepted, TLP amber unless given)',
    params: incidentParams, body: ObservableSchema, decision: true, idempotent: true, success: newState('Added'),
  },
  incidentTasks: {
    method: 'get', path: '/v1/incidents/:id/tasks', roles: READERS, summary: 'The incident’s tasks and approval gates, from its live state (header Firebreak-State-Source as for the incident)',
    params: incidentParams, success: { status: 200, description: 'The tasks, in the order they opened', schema: IncidentTasksSchema },
  },
  addTask: {
    method: 'post', path: '/v1/incidents/:id/tasks', roles: DECISION_ROLES.addTask, summary: 'Add a task by hand (id adhoc-<n>), with its owner, due time and reminders',
    params: incidentParams, body: AdHocTaskSchema, decision: true, idempotent: true, success: newState('Added'),
  },
  completeTask: {
    method: 'post', path: '/v1/incidents/:id/tasks/:taskId/complete', roles: DECISION_ROLES.completeTask, summary: 'Complete a task with its outcome, or decide an approval gate (its assignee, its owner role or incident role, or a manager)',
    params: taskParams, body: TaskCompletionSchema, decision: true, idempotent: true, success: newState('Completed (an approval needing a second approver stays open)'),
  },
  reassignTask: {
    method: 'post', path: '/v1/incidents/:id/tasks/:taskId/reassign', roles: DECISION_ROLES.reassignTask, summary: 'Assign an open task to another person',
    params: taskParams, body: TaskReassignmentSchema, decision: true, idempotent: true, success: newState('Reassigned'),
  },
  skipTask: {
    method: 'post', path: '/v1/incidents/:id/tasks/:taskId/skip', roles: DECISION_ROLES.skipTask, summary: 'Skip an open task or step, with the reason (audited)',
    params: taskParams, body: TaskSkipSchema, decision: true, idempotent: true, success: newState('Skipped'),
  },
  commentTask: {
    method: 'post', path: '/v1/incidents/:id/tasks/:taskId/comments', roles: DECISION_ROLES.commentTask, summary: 'Comment on a task (the last 50 are kept)',
    params: taskParams, body: TaskCommentSchema, decision: true, idempotent: true, success: newState('Commented'),
  },
  applyPlaybook: {
    method: 'post', path: '/v1/incidents/:id/playbook', roles: DECISION_ROLES.applyPlaybook, summary: 'Replace the running playbook with another (what is done stays done); 404 for an unknown name or version',
    params: incidentParams, body: PlaybookApplicationSchema, decision: true, idempotent: true, success: newState('Applied'),
  },
  incidentFollowUps: {
    method: 'get', path: '/v1/incidents/:id/follow-ups', roles: READERS, summary: 'A closed incident’s follow-ups: its review’s action items, tracked to done after the close (from the read model)',
    params: incidentParams, success: { status: 200, description: 'The follow-ups in the review’s order; none when the review named no action items', schema: IncidentFollowUpsSchema },
  },
  completeFollowUp: {
    method: 'post', path: '/v1/incidents/:id/follow-ups/:taskId/complete', roles: DECISION_ROLES.completeFollowUp, summary: 'Complete a follow-up with its outcome (its assignee, the commander at close, or a manager); audited on the incident',
    params: taskParams, body: TaskCompletionSchema, decision: true, conflict: FOLLOW_UP_CONFLICT, idempotent: true, success: newFollowUps('Completed'),
  },
  reassignFollowUp: {
    method: 'post', path: '/v1/incidents/:id/follow-ups/:taskId/reassign', roles: DECISION_ROLES.reassignFollowUp, summary: 'Assign an open follow-up to another person',
    params: taskParams, body: TaskReassignmentSchema, decision: true, conflict: FOLLOW_UP_CONFLICT, idempotent: true, success: newFollowUps('Reassigned'),
  },
  skipFollowUp: {
    method: 'post', path: '/v1/incidents/:id/follow-ups/:taskId/skip', roles: DECISION_ROLES.skipFollowUp, summary: 'Skip an open follow-up, with the reason (audited)',
    params: taskParams, body: TaskSkipSchema, decision: true, conflict: FOLLOW_UP_CONFLICT, idempotent: true, success: newFollowUps('Skipped'),
  },
  commentFollowUp: {
    method: 'post', path: '/v1/incidents/:id/follow-ups/:taskId/comments', roles: DECISION_ROLES.commentFollowUp, summary: 'Comment on a follow-up while any of the incident’s follow-ups is open (the last 50 are kept)',
    params: taskParams, body: TaskCommentSchema, decision: true, conflict: FOLLOW_UP_CONFLICT, idempotent: true, success: newFollowUps('Commented'),
  },
  listTasks: {
    method: 'get', path: '/v1/tasks', roles: READERS, summary: 'A to-do list across incidents from the read model, soonest due first',
    query: TaskListQuerySchema, success: { status: 200, description: 'A page of tasks', schema: TaskListSchema },
  },
  incidentObservables: {
    method: 'get', path: '/v1/incidents/:id/observables', roles: READERS, summary: 'Every observable the incident saw, from alerts and people, with first and last seen',
    params: incidentParams, success: { status: 200, description: 'The observables, first seen first', schema: IncidentObservablesSchema },
  },
  searchObservables: {
    method: 'get', path: '/v1/observables', roles: READERS, summary: 'Every incident that saw a value (the query is normalised as intake normalises it)',
    query: ObservableQuerySchema, success: { status: 200, description: 'The incidents, most recent sighting first', schema: ObservableSearchSchema },
  },
  events: {
    method: 'get', path: '/v1/events', roles: READERS,
    summary: 'Server-Sent Events for live views: an `incident` event (its id, state version and phase, never its contents) whenever an incident changes, whichever replica or worker changed it; `resync` when changes may have been missed; a comment every 15 s',
    success: { status: 200, description: 'An endless event stream', contentType: 'text/event-stream' },
  },
  timeline: {
    method: 'get', path: '/v1/incidents/:id/timeline', roles: ['auditor', 'manager'], summary: 'Who did what when: history, rejected and denied requests, evidence hand-overs',
    params: incidentParams, query: TimelineQuerySchema, success: { status: 200, description: 'A page of the timeline, oldest first', schema: TimelineSchema },
  },
  history: {
    method: 'get', path: '/v1/incidents/:id/history', roles: ['auditor'], summary: 'The raw event history of every run, as `temporal workflow show --output json` prints it',
    params: incidentParams, success: { status: 200, description: 'One document per run, in order', schema: HistoryExportSchema },
  },
  audit: {
    method: 'get', path: '/v1/incidents/:id/audit', roles: ['auditor'], summary: 'Audit log entries with their hash chain, verified; custody chains too',
    params: incidentParams, query: AuditQuerySchema, success: { status: 200, description: 'A page of entries, verified from the previous page and against the anchors', schema: AuditReportSchema },
  },
  replay: {
    method: 'post', path: '/v1/incidents/:id/replay', roles: ['auditor'], summary: 'Replay the stored history against the current workflow code (a request while one runs joins it)',
    params: incidentParams, body: AcknowledgeSchema, success: { status: 200, description: 'Per run: replayed cleanly, or the first divergence', schema: ReplayReportSchema },
    accepted: { description: 'Still replaying: poll the Location', schema: ReplayRunningSchema },
  },
  replayStatus: {
    method: 'get', path: '/v1/incidents/:id/replays/:replayId', roles: ['auditor'], summary: 'A replay started by POST …/replay: its verdict once it has one',
    params: { ...incidentParams, replayId: ReplayIdSchema }, success: { status: 200, description: 'Per run: replayed cleanly, or the first divergence', schema: ReplayReportSchema },
    accepted: { description: 'Still replaying: ask again after Retry-After', schema: ReplayRunningSchema },
  },
  summaryReport: {
    method: 'get', path: '/v1/reports/summary', roles: ['auditor', 'manager'], summary: 'Counts, MTTA / MTTC / MTTR (median, p90) by severity, SLA breaches, regulatory deadlines, action items, and follow-ups open, overdue, done and skipped (default: the last 7 days)',
    query: SummaryQuerySchema, success: { status: 200, description: 'The report (JSON, or Markdown with format=markdown)', schema: SummaryReportSchema, alternatives: { 'text/markdown': undefined } },
  },
  getPolicy: {
    method: 'get', path: '/v1/policy', roles: READERS, summary: 'The policy new incidents are opened with: per severity the deadlines and the escalation chain with its loops (an incident keeps the policy it was opened with)',
    success: { status: 200, description: 'The policy table by severity, durations in milliseconds', schema: PolicySchema },
  },
  createPlaybook: {
    method: 'post', path: '/v1/admin/playbooks', roles: ['admin'],
    summary: 'Store a new playbook version (JSON or YAML text); a version is never edited, a change is a higher version',
    body: PlaybookUploadSchema, conflict: 'The version is taken by other content, or is not above the latest',
    success: { status: 200, description: 'Stored (`created: false` when this very content was stored under this version before)', schema: StoredPlaybookSchema },
  },
  listPlaybooks: {
    method: 'get', path: '/v1/playbooks', roles: PLAYBOOK_READERS, summary: 'Every playbook with its versions',
    success: { status: 200, description: 'Playbooks by name', schema: PlaybookListSchema },
  },
  getPlaybookVersion: {
    method: 'get', path: '/v1/playbooks/:name/versions/:version', roles: PLAYBOOK_READERS, summary: 'One playbook version: the playbook, its digest and the text it was sent as',
    params: PlaybookParamsSchema.shape, success: { status: 200, description: 'The version', schema: PlaybookVersionSchema },
  },
  createKey: {
    method: 'post', path: '/v1/admin/keys', roles: ['admin'], summary: 'Issue an API key (shown once), with its expiry and, for an integration key, its sources and limits; audited',
    body: NewKeySchema, success: { status: 201, description: 'Issued', schema: IssuedKeySchema },
  },
  listKeys: {
    method: 'get', path: '/v1/admin/keys', roles: ['admin'], summary: 'List API keys with their constraints, expiry and last use (never their secrets)',
    success: { status: 200, description: 'Keys', schema: KeyListSchema },
  },
  revokeKey: {
    method: 'delete', path: '/v1/admin/keys/:keyId', roles: ['admin'], summary: 'Revoke an API key; audited',
    params: { keyId: KeyId }, conflict: 'The key is the last admin key that works: issue another admin key first',
    success: { status: 204, description: 'Revoked' },
  },
  listRoster: {
    method: 'get', path: '/v1/admin/roster', roles: ['admin'], summary: 'Who each escalation level pages',
    success: { status: 200, description: 'The roster', schema: RosterSchema },
  },
  setRoster: {
    method: 'put', path: '/v1/admin/roster/:target', roles: ['admin'], summary: 'Set the people or teams behind one escalation level (running incidents page them from now on); audited',
    params: { target: z.enum(ESCALATION_TARGETS) }, body: RosterUpdateSchema, success: { status: 200, description: 'Updated', schema: RosterSchema.shape.items.element },
  },
  administrationAudit: {
    method: 'get', path: '/v1/audit/administration', roles: ['auditor'], summary: 'The audit chain of administration: keys issued and revoked, roster changes, verified',
    success: { status: 200, description: 'Entries and verification', schema: AdministrationAuditSchema },
  },
  health: {
    method: 'get', path: '/healthz', roles: 'public', summary: 'Liveness',
    success: { status: 200, description: 'The process is up', schema: z.object({ status: z.literal('ok') }) },
  },
  ready: {
    method: 'get', path: '/readyz', roles: 'public', summary: 'Readiness: Temporal and PostgreSQL answer',
    success: { status: 200, description: 'Ready', schema: z.object({ status: z.literal('ready') }) },
  },
  metrics: {
    method: 'get', path: '/metrics', roles: 'public', summary: 'Prometheus metrics',
    success: { status: 200, description: 'Prometheus text format', contentType: 'text/plain' },
  },
  openapi: {
    method: 'get', path: '/openapi.json', roles: 'public', summary: 'This document',
    success: { status: 200, description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.string() }) },
  },
} as const satisfies Record<string, RouteSpec>;

export type OperationId = keyof typeof ROUTES;
