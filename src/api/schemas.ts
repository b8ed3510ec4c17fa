import { z } from 'zod';
import { HISTORY_ORIGINS } from '../audit/history-source';
import { PHASES } from '../domain/incident';
import { instantFilter } from '../domain/instant';
import { ROLES } from '../domain/principal';
import { SEVERITIES } from '../domain/severity';
import { boundedText, identifier } from '../domain/text';

/** Schemas only the HTTP layer needs: list queries, admin bodies, and the shapes of answers. */

export const MAX_PAGE_SIZE = 200;

export const IncidentListQuerySchema = z.strictObject({
  status: z.enum(PHASES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  source: identifier(100).optional(),
  commander: boundedText(200).optional(),
  openedAfter: instantFilter.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, 'not a cursor from a previous page').optional(),
});
export type IncidentListQuery = z.infer<typeof IncidentListQuerySchema>;

export const NewKeySchema = z.strictObject({ name: boundedText(200), role: z.enum(ROLES) });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');

export const IntakeResultSchema = z
  .object({ incidentId: z.string(), alertId: z.string(), deduplicated: z.boolean() })
  ;

export const AlertmanagerResultSchema = z
  .object({ results: z.array(IntakeResultSchema.extend({ status: z.enum(['firing', 'resolved']) })) })
  ;

/** The live state is large and grows with the lifecycle; the spec names its stable core. */
export const IncidentStateSchema = z
  .looseObject({
    incidentId: z.string(),
    title: z.string(),
    source: z.string(),
    severity: z.enum(SEVERITIES),
    phase: z.enum(PHASES),
    openedAt: z.string(),
    phaseEnteredAt: z.record(z.string(), z.string()),
    alertCount: z.number().int(),
    escalationLevel: z.number().int(),
    version: z.number().int(),
  })
  ;

export const IncidentSummarySchema = z
  .object({
    incidentId: z.string(),
    title: z.string(),
    source: z.string(),
    severity: z.enum(SEVERITIES),
    phase: z.enum(PHASES),
    escalationLevel: z.number().int(),
    commander: z.string().nullable(),
    alertCount: z.number().int(),
    openedAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    containedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
  })
  ;

export const IncidentListSchema = z
  .object({ items: z.array(IncidentSummarySchema), nextCursor: z.string().nullable() })
  ;

export const IssuedKeySchema = z
  .object({ keyId: z.string(), name: z.string(), role: z.enum(ROLES), token: z.string() })
  .describe('The token is shown once; only its hash is stored.');

export const KeyListSchema = z
  .object({
    items: z.array(z.object({ keyId: z.string(), name: z.string(), role: z.enum(ROLES), createdAt: z.string(), revokedAt: z.string().nullable() })),
  })
  ;

export const TimelineSchema = z.object({
  incidentId: z.string(),
  source: z.enum(HISTORY_ORIGINS),
  items: z.array(
    z.object({
      at: z.string(),
      kind: z.string(),
      action: z.string(),
      actor: z.string().optional(),
      outcome: z.string(),
      details: z.unknown().optional(),
      source: z.enum(['history', 'audit-log', 'custody']),
      runId: z.string().optional(),
      eventId: z.number().int().optional(),
      auditSeq: z.number().int().optional(),
    }),
  ),
});

export const HistoryExportSchema = z.object({
  workflowId: z.string(),
  source: z.enum(HISTORY_ORIGINS),
  runs: z.array(z.object({ runId: z.string(), history: z.looseObject({ events: z.array(z.looseObject({})) }) })),
});

const Verdict = z.object({ valid: z.boolean(), entries: z.number().int(), brokenAt: z.number().int().optional(), reason: z.string().optional() });

export const AuditReportSchema = z.object({
  incidentId: z.string(),
  entries: z.array(
    z.object({
      seq: z.number().int(),
      entryKey: z.string(),
      at: z.string(),
      actor: z.string(),
      actorRole: z.string(),
      action: z.string(),
      outcome: z.string(),
      details: z.record(z.string(), z.unknown()),
      prevHash: z.string(),
      hash: z.string(),
    }),
  ),
  verification: Verdict,
  custody: z.array(z.object({ artifactId: z.string(), artifactType: z.string(), asset: z.string(), links: z.number().int(), verification: Verdict })),
});

export const ReplayReportSchema = z.object({
  incidentId: z.string(),
  source: z.enum(HISTORY_ORIGINS),
  runs: z.array(
    z.object({
      runId: z.string(),
      replayed: z.boolean(),
      divergence: z.object({ eventId: z.number().int().optional(), kind: z.string(), reason: z.string() }).optional(),
    }),
  ),
});

export const RosterUpdateSchema = z.strictObject({ people: z.array(boundedText(200)).min(1).max(50) });

export const RosterSchema = z.object({
  items: z.array(z.object({ target: z.string(), people: z.array(z.string()), updatedBy: z.string(), updatedAt: z.string() })),
});

export const SummaryQuerySchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    format: z.enum(['json', 'markdown']).default('json'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['from'] });

const Percentiles = z.object({ count: z.number().int(), median: z.number().nullable(), p90: z.number().nullable() });
const Counts = z.record(z.string(), z.number().int());

export const SummaryReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  opened: z.object({ total: z.number().int(), bySeverity: Counts, byCategory: Counts }),
  closed: z.object({ total: z.number().int(), bySeverity: Counts }),
  dismissed: z.object({ total: z.number().int(), bySeverity: Counts }),
  mtta: z.record(z.string(), Percentiles),
  mttc: z.record(z.string(), Percentiles),
  mttr: z.record(z.string(), Percentiles),
  slaBreaches: z.object({ total: z.number().int(), byPhase: Counts, byDeadline: Counts }),
  regulatory: z.record(z.string(), z.object({ met: z.number().int(), late: z.number().int(), missed: z.number().int(), due: z.number().int() })),
  actionItems: z.array(z.object({ incidentId: z.string(), title: z.string(), owner: z.string(), dueAt: z.string() })),
});
