import { z } from 'zod';
import { AlertSchema } from '../domain/alert-schema';
import { AlertmanagerPayloadSchema } from '../domain/alertmanager';
import {
  AcknowledgeSchema,
  AssessmentSchema,
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
  AlertmanagerResultSchema,
  AuditReportSchema,
  HistoryExportSchema,
  ReplayReportSchema,
  TimelineSchema,
  IncidentListQuerySchema,
  IncidentListSchema,
  IncidentStateSchema,
  IntakeResultSchema,
  IssuedKeySchema,
  KeyListSchema,
  NewKeySchema,
  RosterSchema,
  RosterUpdateSchema,
  SummaryQuerySchema,
  SummaryReportSchema,
} from './schemas';
import { ESCALATION_CHAIN } from '../domain/policy';

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
  /** A decision the incident's workflow judges: 409 when it does not fit the incident's phase. */
  decision?: boolean;
  success: {
    status: number;
    description: string;
    schema?: z.ZodType;
    contentType?: string;
    /** Other representations of the same answer, by media type (a schema, or text when none). */
    alternatives?: Record<string, z.ZodType | undefined>;
  };
}

/** The configured regimes whose clocks start from an event; the ones counting from materiality start at /materiality. */
function eventRegime(regulatory: RegulatoryConfig): z.ZodType<string> {
  const ids = Object.entries(regulatory.regimes)
    .filter(([, regime]) => regime.startsFrom !== 'materiality')
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

const READERS = ['responder', 'manager', 'auditor', 'admin'] as const;
const DECIDERS = ['responder', 'manager'] as const;

const IncidentId = z.string().regex(/^[0-9a-f]{16}$/).describe('16 lowercase hex characters');
const KeyId = z.string().regex(/^[0-9a-f]{16}$/);
const incidentParams = { id: IncidentId };
const newState = (description: string) => ({ status: 200, description, schema: IncidentStateSchema });

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
    method: 'get', path: '/v1/incidents', roles: READERS, summary: 'List incidents from the read model, newest first',
    query: IncidentListQuerySchema, success: { status: 200, description: 'A page of incidents', schema: IncidentListSchema },
  },
  getIncident: {
    method: 'get', path: '/v1/incidents/:id', roles: READERS, summary: 'The live state of an incident; the read model once its run is gone or while Temporal or every worker is down (header Firebreak-State-Source: workflow or read-model)',
    params: incidentParams, success: newState('The incident'),
  },
  acknowledge: {
    method: 'post', path: '/v1/incidents/:id/acknowledge', roles: DECIDERS, summary: 'Acknowledge a detected incident',
    params: incidentParams, body: AcknowledgeSchema, decision: true, idempotent: true, success: newState('Acknowledged; the incident is in triage'),
  },
  assess: {
    method: 'post', path: '/v1/incidents/:id/assessment', roles: ['manager'], summary: 'Confirm severity and category, pick the strategy, or dismiss',
    params: incidentParams, body: AssessmentSchema, decision: true, idempotent: true, success: newState('Assessed'),
  },
  approveContainment: {
    method: 'post', path: '/v1/incidents/:id/containment/approval', roles: ['manager'], summary: 'Approve or refuse destructive containment',
    params: incidentParams, body: ContainmentApprovalSchema, decision: true, idempotent: true, success: newState('Decided'),
  },
  assignRole: {
    method: 'put', path: '/v1/incidents/:id/roles/:role', roles: ['manager'], summary: 'Assign a person to an incident role',
    params: { ...incidentParams, role: RoleParamSchema }, body: RoleAssignmentSchema, decision: true, idempotent: true, success: newState('Assigned'),
  },
  escalate: {
    method: 'post', path: '/v1/incidents/:id/escalations', roles: DECIDERS, summary: 'Escalate one level up the chain',
    params: incidentParams, body: EscalationSchema, decision: true, idempotent: true, success: newState('Escalated'),
  },
  addNote: {
    method: 'post', path: '/v1/incidents/:id/notes', roles: DECIDERS, summary: 'Add a note',
    params: incidentParams, body: NoteSchema, decision: true, idempotent: true, success: newState('Noted'),
  },
  recordReview: {
    method: 'post', path: '/v1/incidents/:id/review', roles: ['manager'], summary: 'Record the post-incident review outcome',
    params: incidentParams, body: ReviewSchema, decision: true, idempotent: true, success: newState('Recorded'),
  },
  close: {
    method: 'post', path: '/v1/incidents/:id/close', roles: ['manager'], summary: 'Close an incident in review',
    params: incidentParams, body: ClosureSchema, decision: true, idempotent: true, success: newState('Closed'),
  },
  declareRegime: {
    method: 'post', path: '/v1/incidents/:id/regimes', roles: ['manager'], summary: 'Start a regulator’s clocks (GDPR, NIS2, HIPAA, custom), counted from the event it counts from',
    params: incidentParams, body: RegimeSchema, configuredBody: ({ regulatory }) => RegimeSchema.extend({ regime: eventRegime(regulatory) }),
    decision: true, idempotent: true, success: newState('Clocks running'),
  },
  determineMateriality: {
    method: 'post', path: '/v1/incidents/:id/materiality', roles: ['manager'], summary: 'Record the materiality determination; when material, the SEC 8-K clock starts from it',
    params: incidentParams, body: MaterialitySchema, decision: true, idempotent: true, success: newState('Determined'),
  },
  recordFiling: {
    method: 'post', path: '/v1/incidents/:id/filings', roles: ['manager'], summary: 'Record a regulatory filing (late GDPR filings must carry their reasons)',
    params: incidentParams, body: FilingSchema, decision: true, idempotent: true, success: newState('Filed'),
  },
  engageExternalAssistance: {
    method: 'post', path: '/v1/incidents/:id/external-assistance', roles: ['manager'], summary: 'Record external help engaged (provider, contract or insurance policy reference)',
    params: incidentParams, body: ExternalAssistanceSchema, decision: true, idempotent: true, success: newState('Recorded'),
  },
  timeline: {
    method: 'get', path: '/v1/incidents/:id/timeline', roles: ['auditor', 'manager'], summary: 'Who did what when: history, rejected and denied requests, evidence hand-overs',
    params: incidentParams, success: { status: 200, description: 'The timeline, oldest first', schema: TimelineSchema },
  },
  history: {
    method: 'get', path: '/v1/incidents/:id/history', roles: ['auditor'], summary: 'The raw event history of every run, as `temporal workflow show --output json` prints it',
    params: incidentParams, success: { status: 200, description: 'One document per run, in order', schema: HistoryExportSchema },
  },
  audit: {
    method: 'get', path: '/v1/incidents/:id/audit', roles: ['auditor'], summary: 'Audit log entries with their hash chain, verified; custody chains too',
    params: incidentParams, success: { status: 200, description: 'Entries and verification', schema: AuditReportSchema },
  },
  replay: {
    method: 'post', path: '/v1/incidents/:id/replay', roles: ['auditor'], summary: 'Replay the stored history against the current workflow code',
    params: incidentParams, body: AcknowledgeSchema, success: { status: 200, description: 'Per run: replayed cleanly, or the first divergence', schema: ReplayReportSchema },
  },
  summaryReport: {
    method: 'get', path: '/v1/reports/summary', roles: ['auditor', 'manager'], summary: 'Counts, MTTA / MTTC / MTTR (median, p90) by severity, SLA breaches, regulatory deadlines, action items (default: the last 7 days)',
    query: SummaryQuerySchema, success: { status: 200, description: 'The report (JSON, or Markdown with format=markdown)', schema: SummaryReportSchema, alternatives: { 'text/markdown': undefined } },
  },
  createKey: {
    method: 'post', path: '/v1/admin/keys', roles: ['admin'], summary: 'Issue an API key (shown once)',
    body: NewKeySchema, success: { status: 201, description: 'Issued', schema: IssuedKeySchema },
  },
  listKeys: {
    method: 'get', path: '/v1/admin/keys', roles: ['admin'], summary: 'List API keys (never their secrets)',
    success: { status: 200, description: 'Keys', schema: KeyListSchema },
  },
  revokeKey: {
    method: 'delete', path: '/v1/admin/keys/:keyId', roles: ['admin'], summary: 'Revoke an API key',
    params: { keyId: KeyId }, success: { status: 204, description: 'Revoked' },
  },
  listRoster: {
    method: 'get', path: '/v1/admin/roster', roles: ['admin'], summary: 'Who each escalation level pages',
    success: { status: 200, description: 'The roster', schema: RosterSchema },
  },
  setRoster: {
    method: 'put', path: '/v1/admin/roster/:target', roles: ['admin'], summary: 'Set the people or teams behind one escalation level (running incidents page them from now on)',
    params: { target: z.enum(ESCALATION_CHAIN) }, body: RosterUpdateSchema, success: { status: 200, description: 'Updated', schema: RosterSchema.shape.items.element },
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
