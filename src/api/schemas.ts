import { z } from 'zod';
import { PHASES } from '../domain/incident';
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
  openedAfter: z.iso.datetime({ offset: true }).optional(),
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
