import ms from 'ms';
import { z } from 'zod';
import { days } from './duration';
import { DEADLINE_KINDS, DEFAULT_POLICY, type PolicyTable, type SeverityPolicy } from './policy';
import { SEVERITIES } from './severity';
import { CLOCK_STARTS, DEFAULT_REGIMES, US_FEDERAL_HOLIDAYS, type RegimeDefinition } from './regulatory';

/** A duration as milliseconds or as an `ms` string ("15m", "4h", "5d"); at least a second, at most a year. */
const Duration = z
  .union([z.number().int(), z.string().max(20)])
  .transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : ms(value as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
      ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(value)} (use e.g. "15m", "4h", "5d")` });
      return z.NEVER;
    }
    return parsed;
  })
  .pipe(z.number().min(1_000, 'at least 1s').max(days(365), 'at most 365d'));

const SeverityOverride = z.strictObject({
  deadlines: z.strictObject(Object.fromEntries(DEADLINE_KINDS.map((k) => [k, Duration.optional()])) as Record<(typeof DEADLINE_KINDS)[number], z.ZodOptional<typeof Duration>>).optional(),
  escalationRepeat: Duration.optional(),
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
  /** Replaces the default holiday list (US federal holidays) used for business days. */
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
    holidays: regulatory?.holidays ?? US_FEDERAL_HOLIDAYS,
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
