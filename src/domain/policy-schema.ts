import { z } from 'zod';
import { Duration } from './duration-schema';
import { chainProblems, ESCALATION_TARGETS } from './escalation';
import { DEADLINE_KINDS, DEFAULT_POLICY, type PolicyTable, type SeverityPolicy } from './policy';
import { SEVERITIES } from './severity';
import { CLOCK_STARTS, DEFAULT_REGIMES, type RegimeDefinition } from './regulatory';

/** A level pages one target or several at once. */
const EscalationLevel = z.union([z.enum(ESCALATION_TARGETS), z.array(z.enum(ESCALATION_TARGETS)).min(1).max(ESCALATION_TARGETS.length)]).transform((level) => (Array.isArray(level) ? level : [level]));

/** A severity's escalation chain, e.g. `{"levels": ["on_call", "ir_manager", ["ciso", "ir_manager"]], "loops": 1}`. */
const EscalationChainSchema = z
  .strictObject({
    levels: z.array(EscalationLevel).max(10),
    /** Further passes over the whole chain after the first reaches the top (PagerDuty's num_loops). */
    loops: z.number().int().min(0).max(9).default(0),
  })
  .superRefine((chain, ctx) => {
    for (const message of chainProblems(chain)) ctx.addIssue({ code: 'custom', path: ['levels'], message });
  });

const SeverityOverride = z.strictObject({
  deadlines: z.strictObject(Object.fromEntries(DEADLINE_KINDS.map((k) => [k, Duration.optional()])) as Record<(typeof DEADLINE_KINDS)[number], z.ZodOptional<typeof Duration>>).optional(),
  escalationRepeat: Duration.optional(),
  escalation: EscalationChainSchema.optional(),
  preApprovedContainment: z.boolean().optional(),
  reviewRequired: z.boolean().optional(),
  reviewReminderEvery: Duration.optional(),
  externalAssistanceAtTop: z.boolean().optional(),
});

const DeadlineRuleSchema = z.union([
  z.strictObject({ hours: z.number().positive().max(24 * 366) }),
  z.strictObject({ calendarDays: z.number().int().positive().max(366) }),
  z.strictObject({ months: z.number().int().positive().max(24) }),
  z.strictObject({ businessDays: z.number().int().positive().max(60), cutoff: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) }),
]);

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const RegimeSchema = z.strictObject({
  name: z.string().min(1).max(200),
  startsFrom: z.enum(CLOCK_STARTS),
  timeZone: z.string().refine(isTimeZone, { message: 'not an IANA time zone' }),
  stages: z.array(z.strictObject({ stage: z.string().regex(/^[a-z0-9_]{1,64}$/), rule: DeadlineRuleSchema, lateNeedsReason: z.boolean().default(false) })).min(1).max(10),
  remindBeforeHours: z.array(z.number().positive()).max(5).default([24]),
});

const RegulatorySchema = z.strictObject({
  /** Further closures (YYYY-MM-DD) business days skip, beside the holidays computed by rule (none by default). */
  holidays: z.array(z.iso.date()).max(1_000).optional(),
  /** Custom regimes, by id; an id of a built-in regime replaces it. */
  regimes: z.record(z.string().regex(/^[a-z0-9_]{1,64}$/), RegimeSchema).optional(),
});

/** A policy file: any part of the table, per severity, and the regulatory calendar; what it leaves out keeps the default. */
export const PolicyFileSchema = z.strictObject({
  ...(Object.fromEntries(SEVERITIES.map((s) => [s, SeverityOverride.optional()])) as Record<(typeof SEVERITIES)[number], z.ZodOptional<typeof SeverityOverride>>),
  regulatory: RegulatorySchema.optional(),
});

export interface RegulatoryConfig {
  regimes: Record<string, RegimeDefinition>;
  holidays: readonly string[];
}

/** Validates a policy file, naming every offending path. */
function parsePolicyFile(file: unknown): z.infer<typeof PolicyFileSchema> {
  const parsed = PolicyFileSchema.safeParse(file);
  if (!parsed.success) throw new Error(`invalid policy: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The regimes and holidays deadlines are computed with: the defaults, overridden by a validated file. */
export function regulatoryFrom(file: unknown): RegulatoryConfig {
  const regulatory = parsePolicyFile(file ?? {}).regulatory;
  return {
    regimes: { ...DEFAULT_REGIMES, ...(regulatory?.regimes ?? {}) },
    holidays: regulatory?.holidays ?? [],
  };
}

export type PolicyFile = z.input<typeof PolicyFileSchema>;

/** The default table with a validated file's overrides applied; throws naming the offending path. */
export function policyFrom(file: unknown, base: PolicyTable = DEFAULT_POLICY): PolicyTable {
  const parsed = parsePolicyFile(file);
  const table = structuredClone(base);
  for (const severity of SEVERITIES) {
    const override = parsed[severity] as z.infer<typeof SeverityOverride> | undefined;
    if (!override) continue;
    const current: SeverityPolicy = table[severity];
    const deadlines = Object.fromEntries(Object.entries(override.deadlines ?? {}).filter(([, v]) => v !== undefined));
    table[severity] = {
      ...current,
      ...Object.fromEntries(Object.entries(override).filter(([k, v]) => k !== 'deadlines' && v !== undefined)),
      deadlines: { ...current.deadlines, ...deadlines },
    };
  }
  return table;
}
