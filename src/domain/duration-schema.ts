import ms from 'ms';
import { z } from 'zod';
import { days } from './duration';

/** A duration as milliseconds or as an `ms` string ("15m", "4h", "5d"); at least a second, at most a year. */
export const Duration = z
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
