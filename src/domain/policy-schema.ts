import ms from 'ms';
import { z } from 'zod';
import { days } from './duration';
import { DEADLINE_KINDS, DEFAULT_POLICY, type PolicyTable, type SeverityPolicy } from './policy';
import { SEVERITIES } from './severity';

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
});

/** A policy file: any part of the table, per severity; what it leaves out keeps the default. */
export const PolicyFileSchema = z.strictObject(
  Object.fromEntries(SEVERITIES.map((s) => [s, SeverityOverride.optional()])) as Record<(typeof SEVERITIES)[number], z.ZodOptional<typeof SeverityOverride>>,
);

export type PolicyFile = z.input<typeof PolicyFileSchema>;

/** The default table with a validated file's overrides applied; throws naming the offending path. */
export function policyFrom(file: unknown, base: PolicyTable = DEFAULT_POLICY): PolicyTable {
  const parsed = PolicyFileSchema.safeParse(file);
  if (!parsed.success) {
    throw new Error(`invalid policy: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
  }
  const table = structuredClone(base);
  for (const severity of SEVERITIES) {
    const override = parsed.data[severity];
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
