import type { PagePosition } from '../db/incident-repository';
import { HttpProblem } from './problem';

/** Opaque to clients: the position after the last item of a page. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.openedAt, position.incidentId])).toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition {
  try {
    const [openedAt, incidentId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof openedAt === 'string' && !Number.isNaN(Date.parse(openedAt)) && typeof incidentId === 'string' && /^[0-9a-f]{16}$/.test(incidentId)) {
      return { openedAt, incidentId };
    }
  } catch {
    // fall through to the problem below
  }
  throw new HttpProblem(400, 'validation-failed', 'The request is not valid', 'cursor: not a cursor from a previous page', {
    errors: [{ field: 'cursor', message: 'not a cursor from a previous page' }],
  });
}
