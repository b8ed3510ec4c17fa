import { z } from 'zod';

/** The latest instant PostgreSQL's ISO input reads back as it was written (a later one gets a six-digit year). */
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * A client's instant as UTC, clamped to 1970–9999 so PostgreSQL reads it: RFC 3339 allows offsets
 * to ±23:59 and years from 0000, PostgreSQL takes offsets to ±15:59 and no year 0. No incident
 * lies outside that range, so a filter compared with it comes out the same.
 */
export const instantFilter = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(Math.min(Math.max(Date.parse(value), 0), LAST_INSTANT)).toISOString());

/**
 * An instant a person states in a decision (a due date, when something was filed or engaged). It
 * is kept in UTC, so every instant in an incident reads and sorts alike whatever offset it was
 * sent with, and it must fall in 1970–9999: a year 0000 is a typing slip, not a fact to record.
 */
export const statedInstant = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) >= 0 && Date.parse(value) <= LAST_INSTANT, { message: 'must fall between 1970 and 9999' })
  .transform((value) => new Date(value).toISOString())
  .meta({ description: 'RFC 3339, kept in UTC; between 1970 and 9999' });
