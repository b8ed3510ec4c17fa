import { z } from 'zod';
import { INCIDENT_ROLES, RESOLUTIONS } from './decisions';
import { statedInstant } from './instant';
import { STRATEGIES } from './response-plan';
import { SEVERITIES } from './severity';
import { boundedText, identifier, oneLineText } from './text';

/** Request bodies of the decision endpoints (DESIGN.md, "HTTP API v1"). Unknown fields are rejected. */
export const AcknowledgeSchema = z.strictObject({});

export const AssessmentSchema = z.strictObject({
  severity: z.enum(SEVERITIES),
  category: identifier(100),
  strategy: z.enum(STRATEGIES),
  externalAssistance: z.boolean(),
  dismiss: z.strictObject({ reason: boundedText(2_000) }).optional(),
});

export const ContainmentApprovalSchema = z.strictObject({
  approved: z.boolean(),
  reason: boundedText(2_000).optional(),
  planDigest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'must be a response.pendingPlanDigest as the incident showed it')
    .optional()
    .describe('The containment plan decided on (the incident’s response.pendingPlanDigest): 409 when the plan has changed since'),
});

export const RoleParamSchema = z.enum(INCIDENT_ROLES);
export const RoleAssignmentSchema = z.strictObject({ person: oneLineText(200) });

export const EscalationSchema = z.strictObject({ reason: boundedText(2_000) });

export const NoteSchema = z.strictObject({ text: boundedText(10_000) });

export const ReviewSchema = z.strictObject({
  lessons: boundedText(20_000),
  actionItems: z
    .array(
      z.strictObject({
        title: oneLineText(300),
        owner: oneLineText(200),
        dueAt: statedInstant,
      }),
    )
    .max(100),
});

export const ClosureSchema = z.strictObject({
  resolution: z.enum(RESOLUTIONS),
  summary: boundedText(10_000),
});

const pastInstant = statedInstant
  .refine((v) => Date.parse(v) <= Date.now() + 5 * 60_000, { message: 'must not be in the future' })
  .meta({ description: 'RFC 3339, kept in UTC; between 1970 and now (five minutes ahead are allowed for clock skew)' });

/** How many people a breach affects; HIPAA's HHS and media notices depend on it. */
const AffectedCountsSchema = z
  .strictObject({
    total: z.number().int().min(0).max(10_000_000_000),
    maxInOneState: z.number().int().min(0).max(10_000_000_000).meta({ description: 'the most affected residents of any one state or jurisdiction' }),
  })
  .refine((a) => a.maxInOneState <= a.total, { path: ['maxInOneState'], message: 'must not exceed total' });

export const RegimeSchema = z.strictObject({
  regime: identifier(64),
  /** The event the regime counts from: awareness (GDPR, NIS2), discovery (HIPAA); may precede the incident. */
  startedAt: pastInstant,
  /** Required by regimes whose stages depend on it (hipaa_breach). */
  affected: AffectedCountsSchema.optional(),
});

export const MaterialitySchema = z.strictObject({
  material: z.boolean(),
  determinedAt: pastInstant,
  rationale: boundedText(5_000),
});

export const FilingSchema = z.strictObject({
  regime: identifier(64),
  stage: identifier(64),
  reference: oneLineText(500),
  filedAt: pastInstant.optional(),
  lateReason: boundedText(5_000).optional(),
});

export const ExternalAssistanceSchema = z.strictObject({
  provider: oneLineText(200),
  reference: oneLineText(200),
  engagedAt: pastInstant.optional(),
});
