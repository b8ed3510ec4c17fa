import { z } from 'zod';
import { HISTORY_ORIGINS } from '../audit/history-source';
import { INCIDENT_ROLES } from '../domain/decisions';
import { AssessmentSchema } from '../domain/decision-schemas';
import { Duration } from '../domain/duration-schema';
import { ACTING_ROLES } from '../domain/playbook';
import { TASK_STATUSES } from '../domain/task';
import { PHASES } from '../domain/incident';
import { OPEN_PHASES } from '../domain/phase';
import { DEADLINE_KINDS } from '../domain/policy';
import { normaliseObservable, OBSERVABLE_KINDS, TLP_LEVELS } from '../domain/observable';
import { instantFilter } from '../domain/instant';
import { ROLES } from '../domain/principal';
import { SEVERITIES } from '../domain/severity';
import { ASSET_KINDS } from '../domain/asset';
import { ESCALATION_TARGETS } from '../domain/escalation';
import { boundedText, identifier, oneLineText, storableString } from '../domain/text';

/** Schemas only the HTTP layer needs: list queries, admin bodies, and the shapes of answers. */

export const MAX_PAGE_SIZE = 200;

const queryFlag = (description: string) =>
  z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe(description);

const CLOSED_PHASES = PHASES.filter((p) => !(OPEN_PHASES as readonly string[]).includes(p));

export const IncidentListQuerySchema = z
  .strictObject({
    status: z.enum(PHASES).optional(),
    open: queryFlag(`true: only incidents still open (${OPEN_PHASES.join(', ')}); with \`status\` of an open phase, that phase (a closed one is a 400 naming status)`),
    overdue: queryFlag('true: only open incidents overdue now: a deadline, stage SLA, open task or running regulatory clock past due or breached in this phase'),
    severity: z.enum(SEVERITIES).optional(),
    source: identifier(100).optional(),
    commander: oneLineText(200).optional(),
    openedAfter: instantFilter.optional(),
    order: z
      .enum(['opened', 'deadline'])
      .default('opened')
      .describe('opened (default): newest first. deadline: overdue first, then the soonest escalation (`escalatesAt`), incidents with none last; ties by incident id. A cursor pages only the order it came from'),
    include: z.enum(['state']).optional().describe('state: each item carries the incident\u2019s read-model state, as GET /v1/incidents/{id} answers it from the read model'),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
    cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, 'not a cursor from a previous page').optional(),
  })
  .superRefine((query, ctx) => {
    if (query.open && query.status !== undefined && (CLOSED_PHASES as readonly string[]).includes(query.status)) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: `open=true lists only open phases; ${query.status} is not one` });
    }
  });
export type IncidentListQuery = z.infer<typeof IncidentListQuerySchema>;

export const MAX_OBSERVABLE_MATCHES = 1_000;

/** `GET /v1/observables`: the value is normalised as intake normalises it, so any written form finds it. */
export const ObservableQuerySchema = z
  .strictObject({
    kind: z.enum(OBSERVABLE_KINDS),
    value: z.string().min(1).max(8_192),
    limit: z.coerce.number().int().min(1).max(MAX_OBSERVABLE_MATCHES).default(200),
  })
  .transform((query, ctx) => {
    const normal = normaliseObservable(query.kind, query.value);
    if (!normal.ok) {
      ctx.addIssue({ code: 'custom', message: normal.reason, path: ['value'], input: query.value });
      return z.NEVER;
    }
    return { ...query, value: normal.value };
  });

const observableSighting = {
  tlp: z.enum(TLP_LEVELS),
  alertId: z.string().nullable().describe('The alert that first brought it; null when a person added it first'),
  addedBy: z.string().nullable().describe('Who added it by hand, if anyone did'),
  firstSeen: z.string(),
  lastSeen: z.string(),
};

export const IncidentObservablesSchema = z.object({
  incidentId: z.string(),
  items: z.array(z.object({ kind: z.enum(OBSERVABLE_KINDS), value: z.string(), ...observableSighting })),
});

export const ObservableSearchSchema = z.object({
  kind: z.enum(OBSERVABLE_KINDS),
  value: z.string().describe('The value as normalised'),
  items: z.array(
    z.object({
      incidentId: z.string(),
      title: z.string().nullable(),
      phase: z.enum(PHASES).nullable(),
      severity: z.enum(SEVERITIES).nullable(),
      ...observableSighting,
    }),
  ),
});

const KEY_CONSTRAINT_FIELDS = ['sources', 'correlateAcrossSources', 'maxSeverity', 'assetKinds'] as const;

/** `POST /v1/admin/keys`: an integration key names the sources it reports for; only integration keys take constraints. */
export const NewKeySchema = z
  .strictObject({
    name: oneLineText(200),
    role: z.enum(ROLES),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('After this instant the key gets 401; none: it does not expire'),
    sources: z.array(identifier(100)).min(1).max(50).optional().describe('Integration keys: the alert sources it may report for (required)'),
    correlateAcrossSources: z.boolean().optional().describe('Integration keys: its dedup keys join incidents of any source (default false: scoped to the alert’s source)'),
    maxSeverity: z.enum(SEVERITIES).optional().describe('Integration keys: alerts above it are recorded at it'),
    assetKinds: z.array(z.enum(ASSET_KINDS)).min(1).max(ASSET_KINDS.length).optional().describe('Integration keys: the asset kinds its alerts may name'),
  })
  .superRefine((key, ctx) => {
    if (key.expiresAt !== undefined && Date.parse(key.expiresAt) <= Date.now()) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be in the future' });
    }
    if (key.role === 'integration' && key.sources === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'an integration key is bound to the sources it reports for: name them' });
    }
    if (key.role !== 'integration') {
      for (const field of KEY_CONSTRAINT_FIELDS) {
        if (key[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'only integration keys report alerts' });
      }
    }
  });

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
  .object({
    incidentId: z.string(),
    alertId: z.string(),
    deduplicated: z.boolean(),
    severityCapped: z
      .object({ sent: z.enum(SEVERITIES), recorded: z.enum(SEVERITIES) })
      .optional()
      .describe('The key’s severity cap lowered the severity the alert was recorded at'),
  })
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
    nextDeadline: z
      .object({ kind: z.enum(DEADLINE_KINDS), dueAt: z.string() })
      .nullable()
      .describe('The decision or stage the incident waits for and when missing it escalates; null when none'),
    overdue: z.boolean().describe('Something the open incident waits for is past due (at the listing\u2019s instant: the first page\u2019s, for every page of it)'),
    escalatesAt: z.string().nullable().describe('When the open incident next escalates if nothing is done: the soonest due time of its deadline, stage SLAs, open tasks and running regulatory clocks; order=deadline sorts by it'),
    version: z.number().int().describe('The state version the row was written from (the event stream names it)'),
    state: IncidentStateSchema.optional().describe('With include=state: the incident\u2019s read-model state'),
  })
  ;

export const IncidentListSchema = z
  .object({ items: z.array(IncidentSummarySchema), nextCursor: z.string().nullable() })
  ;

const KeyConstraintsSchema = z
  .object({
    sources: z.array(z.string()).nullable(),
    correlateAcrossSources: z.boolean(),
    maxSeverity: z.enum(SEVERITIES).nullable(),
    assetKinds: z.array(z.enum(ASSET_KINDS)).nullable(),
  })
  .describe('What the key may report; null: any');

export const IssuedKeySchema = z
  .object({ keyId: z.string(), name: z.string(), role: z.enum(ROLES), token: z.string(), constraints: KeyConstraintsSchema, expiresAt: z.string().nullable() })
  .describe('The token is shown once; only its hash is stored.');

export const KeyListSchema = z
  .object({
    items: z.array(
      z.object({
        keyId: z.string(),
        name: z.string(),
        role: z.enum(ROLES),
        constraints: KeyConstraintsSchema,
        createdAt: z.string(),
        createdBy: z.string().nullable(),
        expiresAt: z.string().nullable(),
        lastUsedAt: z.string().nullable().describe('When it last authenticated, to the minute'),
        revokedAt: z.string().nullable(),
      }),
    ),
  })
  ;

/** One entry of a hash chain (an incident's audit log, or administration's). */
const ChainEntrySchema = z.object({
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
});

export const AdministrationAuditSchema = z.object({
  chain: z.string().describe('The reserved chain id of administration'),
  entries: z.array(ChainEntrySchema),
  verification: z.looseObject({ valid: z.boolean(), entries: z.number().int() }),
});

/** The audit log and the timeline come a page at a time; a page is verified from where the previous one ended. */
export const AUDIT_PAGE_DEFAULT = 200;
export const AUDIT_PAGE_MAX = 1_000;
const auditPaging = {
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(AUDIT_PAGE_DEFAULT),
  cursor: z.string().max(400).regex(/^[A-Za-z0-9_-]+$/, 'not a cursor from a previous page').optional(),
};
export const AuditQuerySchema = z.strictObject(auditPaging);
export const TimelineQuerySchema = z.strictObject(auditPaging);

export const TimelineSchema = z.object({
  incidentId: z.string(),
  source: z.enum(HISTORY_ORIGINS),
  nextCursor: z.string().nullable().describe('The next page, or null after the last'),
  verification: z.object({
    valid: z.boolean(),
    problems: z.array(z.object({ kind: z.literal('timeline_changed'), position: z.number().int(), reason: z.string() })),
  }).describe('Whether the items before this page are still the ones the previous pages showed'),
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

const ChainHeadSchema = z.object({ seq: z.number().int(), hash: z.string() });
const AuditVerdictSchema = z.object({
  valid: z.boolean(),
  entries: z.number().int(),
  problems: z.array(
    z.looseObject({
      kind: z.enum(['altered_entry', 'missing_entry', 'duplicated_entry', 'broken_link', 'cut_tail', 'emptied_incident', 'recomputed_chain', 'checkpoint_invalid']),
      reason: z.string(),
    }),
  ),
  brokenAt: z.number().int().optional(),
  reason: z.string().optional(),
});

export const AuditReportSchema = z.object({
  incidentId: z.string(),
  nextCursor: z.string().nullable().describe('The next page, or null after the last; it carries the last hash of this page'),
  anchors: z.object({
    workflow: ChainHeadSchema.nullable().describe("The chain head the incident's workflow holds in Temporal"),
    checkpoint: ChainHeadSchema.extend({ checkpointSeq: z.number().int(), issuedAt: z.string(), keyId: z.string() }).nullable().describe('The head in the latest signed checkpoint holding the incident'),
  }),
  entries: z.array(ChainEntrySchema.extend({ globalSeq: z.number().int(), recordedAt: z.string().nullable() })),
  verification: AuditVerdictSchema,
  custody: z.array(z.object({ artifactId: z.string(), artifactType: z.string(), asset: z.string(), links: z.number().int(), verification: Verdict })),
  archive: z
    .object({ valid: z.boolean(), runs: z.number().int(), runIndex: z.number().int().optional(), runId: z.string().optional(), reason: z.string().optional() })
    .describe("The archived runs of a closed incident against the SHA-256 each one's archive_run entry holds; the first that differs, is missing or was never chained is named"),
});

export const ReplayReportSchema = z.object({
  incidentId: z.string(),
  source: z.enum(HISTORY_ORIGINS),
  replayedAt: z.string().optional().describe('When the verdict was reached; a closed incident is not replayed again, so later requests show the first time'),
  workflowCode: z.string().optional().describe('The workflow code the history was replayed against: the first 12 hex characters of its bundle’s SHA-256'),
  runs: z.array(
    z.object({
      runId: z.string(),
      replayed: z.boolean(),
      divergence: z.object({ eventId: z.number().int().optional(), kind: z.string(), reason: z.string() }).optional(),
      note: z.string().optional().describe('Why a clean verdict needed no replay'),
    }),
  ),
});

export const ReplayRunningSchema = z.object({
  incidentId: z.string(),
  replayId: z.string().describe('Names this replay; poll GET /v1/incidents/{id}/replays/{replayId} (the Location header)'),
  status: z.literal('running'),
});

export const ReplayIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  .describe('The replayId of a 202 answer');

export const RosterUpdateSchema = z.strictObject({ people: z.array(oneLineText(200)).min(1).max(50) });

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
  regulatory: z.record(z.string(), z.object({ met: z.number().int(), late: z.number().int(), recordedLate: z.number().int(), missed: z.number().int(), due: z.number().int() })),
  recordedLateFilings: z.array(z.object({ incidentId: z.string(), regime: z.string(), stage: z.string(), dueAt: z.string(), filedAt: z.string(), recordedAt: z.string() })),
  actionItems: z.array(z.object({ incidentId: z.string(), title: z.string(), owner: z.string(), dueAt: z.string() })),
  followUps: z
    .object({
      open: z.number().int().describe('Open at the end of the period, whichever incident they came from'),
      overdue: z.number().int().describe('Of those, due before the end of the period'),
      done: z.number().int().describe('Completed during the period'),
      skipped: z.number().int().describe('Skipped during the period'),
    })
    .describe('Review action items tracked after their incident closed'),
});

export const PlaybookUploadSchema = z.strictObject({
  format: z.enum(['json', 'yaml']).meta({ description: 'how `source` is written' }),
  source: z.string().min(1).max(1_000_000).meta({ description: 'the playbook as text; kept as sent' }),
});

export const PlaybookParamsSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a playbook name: lower-case letters, digits, - and _'),
  version: z.coerce.number().int().min(1).max(1_000_000),
});

export const PlaybookVersionSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  digest: z.string().meta({ description: 'sha256 of the playbook’s canonical JSON (RFC 8785)' }),
  title: z.string(),
  playbook: z.record(z.string(), z.unknown()),
  format: z.enum(['json', 'yaml']),
  source: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
});

export const StoredPlaybookSchema = PlaybookVersionSchema.extend({ created: z.boolean() });

export const PlaybookListSchema = z.object({
  items: z.array(z.object({ name: z.string(), title: z.string(), latestVersion: z.number().int(), versions: z.array(z.number().int()) })),
});

// --- tasks and pinned playbooks ------------------------------------------------------------------

const PlaybookName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a playbook name: lower-case letters, digits, - and _');
const PlaybookVersionNumber = z.number().int().min(1).max(1_000_000);

/** A playbook named by a person: a version, or the latest when none is given. */
export const PlaybookChoiceSchema = z.strictObject({
  name: PlaybookName,
  version: PlaybookVersionNumber.optional().meta({ description: 'the latest stored version when left out' }),
});

/** The assessment as sent: the decision, and optionally the playbook the response is to run. */
export const AssessmentRequestSchema = AssessmentSchema.extend({
  playbook: PlaybookChoiceSchema.optional().meta({
    description: 'The playbook to pin (a stored one, or the built-in contain_first / evidence_first). Left out: the stored playbooks’ matching rules choose one; when none matches, the strategy’s built-in plan runs.',
  }),
}).refine((a) => !(a.dismiss && a.playbook), { path: ['playbook'], message: 'a dismissed incident runs no playbook' });

export const TaskParamsSchema = {
  taskId: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/).describe('a playbook step’s id, adhoc-<n> for a task added by hand, or follow-up-<n> for a closed incident’s review action item'),
};

const OutcomeFieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a field name: letters, digits and _, starting with a letter');

export const TaskCompletionSchema = z.strictObject({
  outcome: z
    .record(OutcomeFieldName, z.union([storableString(10_000), z.number(), z.boolean()]))
    .refine((o) => Object.keys(o).length <= 50, { message: 'at most 50 fields' })
    .optional()
    .meta({ description: 'the task’s outcome fields, by name' }),
  approved: z.boolean().optional().meta({ description: 'approval gates only: approve or refuse' }),
  reason: boundedText(2_000).optional(),
});

export const TaskReassignmentSchema = z.strictObject({ assignee: oneLineText(200), reason: boundedText(2_000).optional() });

export const TaskSkipSchema = z.strictObject({ reason: boundedText(2_000).meta({ description: 'why the step is not done; kept in the audit log' }) });

export const TaskCommentSchema = z.strictObject({ text: boundedText(10_000) });

const TaskOwnerSchema = z.union([z.strictObject({ role: z.enum(ACTING_ROLES) }), z.strictObject({ incidentRole: z.enum(INCIDENT_ROLES) })], {
  error: `an owner is {"role": one of ${ACTING_ROLES.join(', ')}} or {"incidentRole": one of ${INCIDENT_ROLES.join(', ')}}`,
});

export const AdHocTaskSchema = z
  .strictObject({
    title: oneLineText(200),
    instructions: boundedText(20_000).optional().meta({ description: 'Markdown' }),
    owner: TaskOwnerSchema,
    assignee: oneLineText(200).optional(),
    due: Duration.meta({ description: 'from now: milliseconds, or "4h", "30m", "2d"' }),
    remindEvery: Duration.optional(),
    outcomeFields: z
      .array(z.strictObject({ name: OutcomeFieldName, type: z.enum(['string', 'boolean', 'number']), required: z.boolean().default(false) }))
      .max(50)
      .optional(),
  })
  .superRefine((task, ctx) => {
    if (task.remindEvery !== undefined && task.remindEvery >= task.due) {
      ctx.addIssue({ code: 'custom', path: ['remindEvery'], message: 'reminders come before the due time: remindEvery must be shorter than due' });
    }
    const seen = new Set<string>();
    task.outcomeFields?.forEach((field, i) => {
      if (seen.has(field.name)) ctx.addIssue({ code: 'custom', path: ['outcomeFields', i, 'name'], message: `outcome field "${field.name}" is listed twice` });
      seen.add(field.name);
    });
  });

export const PlaybookApplicationSchema = PlaybookChoiceSchema;

const TaskOwnerOut = z.union([z.object({ role: z.string() }), z.object({ incidentRole: z.string() })]);

/** A task as the incident's state holds it; the spec names its stable core. */
export const IncidentTaskSchema = z.looseObject({
  taskId: z.string(),
  kind: z.enum(['task', 'approval']),
  title: z.string(),
  owner: TaskOwnerOut,
  assignee: z.string().optional(),
  status: z.enum(TASK_STATUSES),
  createdAt: z.string(),
  dueAt: z.string(),
});

export const IncidentTasksSchema = z.object({ incidentId: z.string(), items: z.array(IncidentTaskSchema) });

export const TaskListQuerySchema = z.strictObject({
  assignee: oneLineText(200).optional().meta({ description: 'the person the tasks are assigned to' }),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .meta({ description: 'true: open tasks past their due time; false: every other task' }),
  status: z.enum(TASK_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  cursor: z.string().max(400).regex(/^[A-Za-z0-9_-]+$/, 'not a cursor from a previous page').optional(),
});

export const TaskListSchema = z.object({
  items: z.array(
    z.object({
      incidentId: z.string(),
      taskId: z.string(),
      kind: z.enum(['task', 'approval']),
      title: z.string(),
      status: z.enum(TASK_STATUSES),
      assignee: z.string().nullable(),
      owner: TaskOwnerOut,
      dueAt: z.string(),
      createdAt: z.string(),
      completedAt: z.string().nullable(),
      completedBy: z.string().nullable(),
      skippedAt: z.string().nullable(),
      overdue: z.boolean(),
      followUp: z.boolean().describe('A closed incident’s follow-up: decide it at /v1/incidents/{id}/follow-ups/{taskId}/…, not …/tasks/…'),
      incident: z.object({ title: z.string().nullable(), severity: z.enum(SEVERITIES).nullable(), phase: z.enum(PHASES).nullable() }),
    }),
  ),
  nextCursor: z.string().nullable(),
});

/** A closed incident's follow-ups as their workflow holds them: the answer to a follow-up decision. */
export const FollowUpStateSchema = z.looseObject({
  incidentId: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  commander: z.string().optional().describe('Who held the commander role at close: owner of every follow-up'),
  tasks: z.array(IncidentTaskSchema),
  escalationLevel: z.number().int(),
  escalationLoop: z.number().int(),
  escalations: z.array(z.looseObject({ level: z.number().int(), target: z.string(), cause: z.string(), reason: z.string(), at: z.string() })),
  version: z.number().int(),
});

export const IncidentFollowUpsSchema = z.object({ incidentId: z.string(), items: z.array(IncidentTaskSchema) });

// --- the policy new incidents are opened with ----------------------------------------------------

const Milliseconds = z.number().int().min(0).describe('milliseconds');

const SeverityPolicySchema = z.object({
  deadlines: z.object(Object.fromEntries(DEADLINE_KINDS.map((k) => [k, Milliseconds])) as Record<(typeof DEADLINE_KINDS)[number], typeof Milliseconds>)
    .describe('How long each step may take, from its start, before a miss escalates'),
  escalationRepeat: Milliseconds.describe('Between further escalations once a deadline has been missed'),
  escalation: z.object({
    levels: z.array(z.array(z.enum(ESCALATION_TARGETS)).min(1)).describe('Level 0 is paged when the incident opens; a miss pages the next level; each level pages all its roster targets'),
    loops: z.number().int().min(0).describe('How many more times the chain is walked from level 0 after the first pass reaches the top; after that every miss pages the top again, and the commander'),
  }),
  preApprovedContainment: z.boolean(),
  reviewRequired: z.boolean(),
  reviewReminderEvery: Milliseconds,
  externalAssistanceAtTop: z.boolean().describe('Once escalated to the top, closing needs external assistance recorded'),
});

export const PolicySchema = z.object({
  severities: z.object(Object.fromEntries(SEVERITIES.map((s) => [s, SeverityPolicySchema])) as Record<(typeof SEVERITIES)[number], typeof SeverityPolicySchema>),
});
