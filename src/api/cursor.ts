import type { DeadlinePosition, PagePosition } from '../db/incident-repository';
import type { TaskPagePosition } from '../db/task-register';
import { HttpProblem } from './problem';

/**
 * Cursors are opaque to clients: base64url of a JSON array, the position after the last item of
 * a page. Decoding accepts only what encoding writes (every part checked against its rule), so a
 * forged or damaged cursor is a 400 naming `cursor`, never a value the database then refuses (500).
 */

/** The 400 every undecodable cursor gets. */
export function cursorProblem(): HttpProblem {
  return new HttpProblem(400, 'validation-failed', 'The request is not valid', 'cursor: not a cursor from a previous page', {
    errors: [{ field: 'cursor', message: 'not a cursor from a previous page' }],
  });
}

/** What a part of a cursor must be. */
export type CursorPart = (value: unknown) => boolean;

/** An instant exactly as `Date.prototype.toISOString` writes it (so PostgreSQL reads it as written). */
export const isoInstant: CursorPart = (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v;
export const incidentIdPart: CursorPart = (v) => typeof v === 'string' && /^[0-9a-f]{16}$/.test(v);
export const taskIdPart: CursorPart = (v) => typeof v === 'string' && /^[a-z0-9][a-z0-9_-]{0,63}$/.test(v);
/** A non-negative integer that PostgreSQL's bigint holds exactly (a sequence number, say). */
export const countPart: CursorPart = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function encodeParts(parts: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The parts of a cursor, each checked by its rule; anything else is the cursor problem. */
export function decodeParts(cursor: string, rules: readonly CursorPart[]): unknown[] {
  let parts: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw cursorProblem();
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw cursorProblem();
  }
  if (!Array.isArray(parts) || parts.length !== rules.length || !rules.every((rule, i) => rule(parts[i]))) throw cursorProblem();
  return parts;
}

/** The incident list: newest first, after this incident. */
export function encodeCursor(position: PagePosition): string {
  return encodeParts([position.openedAt, position.incidentId]);
}

export function decodeCursor(cursor: string): PagePosition {
  const [openedAt, incidentId] = decodeParts(cursor, [isoInstant, incidentIdPart]) as [string, string];
  return { openedAt, incidentId };
}

/**
 * The incident list in the queue's order (`order=deadline`): a tag, the instant overdue is judged
 * at, then the last item's key. Five parts, so neither order's cursor decodes as the other's.
 */
export function encodeDeadlineCursor(position: DeadlinePosition): string {
  return encodeParts(['deadline', position.asOf, position.overdue, position.escalatesAt, position.incidentId]);
}

const deadlineTag: CursorPart = (v) => v === 'deadline';
const booleanPart: CursorPart = (v) => typeof v === 'boolean';
const instantOrNull: CursorPart = (v) => v === null || isoInstant(v);

export function decodeDeadlineCursor(cursor: string): DeadlinePosition {
  const [, asOf, overdue, escalatesAt, incidentId] = decodeParts(cursor, [deadlineTag, isoInstant, booleanPart, instantOrNull, incidentIdPart]) as [
    string,
    string,
    boolean,
    string | null,
    string,
  ];
  return { asOf, overdue, escalatesAt, incidentId };
}

/** A to-do list: soonest due first, after this task. */
export function encodeTaskCursor(position: TaskPagePosition): string {
  return encodeParts([position.dueAt, position.incidentId, position.taskId]);
}

export function decodeTaskCursor(cursor: string): TaskPagePosition {
  const [dueAt, incidentId, taskId] = decodeParts(cursor, [isoInstant, incidentIdPart, taskIdPart]) as [string, string, string];
  return { dueAt, incidentId, taskId };
}
