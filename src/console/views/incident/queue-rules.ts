/**
 * The queue's rules, pure so they are tested without a browser: its filters as they live in the URL,
 * the "mine" rule, the paging cursors, and the order by next deadline.
 *
 * GET /v1/incidents filters by one phase (`status`), severity and source server-side and pages newest
 * first with a cursor; it cannot filter "open", nor sort by deadline, nor tell overdue or mine (its
 * rows carry no deadline). So "all open" is four listings, one per open phase, each paged by its own
 * cursor; the next deadline, overdue and mine come from each listed incident's state; the order by
 * next deadline is within the page shown.
 */
import type { Principal } from '../../../domain/principal';
import { OPEN_PHASES, PHASES, SEVERITIES, type IncidentState, type Phase, type Severity } from './state';
import { nextEscalationAt } from './waiting';

export interface QueueFilters {
  /** One open phase, or undefined for every open phase. */
  phase?: Phase;
  severity?: Severity;
  source?: string;
  overdue: boolean;
  mine: boolean;
  /** The API's cursor for each phase listed, from the previous page. */
  cursors: Partial<Record<Phase, string>>;
}

const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;
const SOURCE = /^[\x21-\x7e]{1,100}$/;

export function filtersFromQuery(query: URLSearchParams): QueueFilters {
  const phase = query.get('phase');
  const severity = query.get('severity');
  const source = query.get('source')?.trim();
  const cursors: Partial<Record<Phase, string>> = {};
  for (const part of (query.get('cursor') ?? '').split(',')) {
    const [p, c] = part.split('.');
    if (p && c && (PHASES as readonly string[]).includes(p) && CURSOR.test(c)) cursors[p as Phase] = c;
  }
  return {
    ...(phase && (PHASES as readonly string[]).includes(phase) ? { phase: phase as Phase } : {}),
    ...(severity && (SEVERITIES as readonly string[]).includes(severity) ? { severity: severity as Severity } : {}),
    ...(source && SOURCE.test(source) ? { source } : {}),
    overdue: query.get('overdue') === '1',
    mine: query.get('mine') === '1',
    cursors,
  };
}

export function queryFromFilters(filters: QueueFilters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.phase) query.set('phase', filters.phase);
  if (filters.severity) query.set('severity', filters.severity);
  if (filters.source) query.set('source', filters.source);
  if (filters.overdue) query.set('overdue', '1');
  if (filters.mine) query.set('mine', '1');
  const cursor = Object.entries(filters.cursors).map(([p, c]) => `${p}.${c}`).join(',');
  if (cursor) query.set('cursor', cursor);
  return query;
}

/**
 * The list requests of one page: one per phase listed. On a later page, only the phases whose
 * listing went on (those with a cursor) are asked again.
 */
export function listRequests(filters: QueueFilters, limit: number): Array<{ phase: Phase; path: string }> {
  const phases: readonly Phase[] = filters.phase ? [filters.phase] : OPEN_PHASES;
  const paging = Object.keys(filters.cursors).length > 0;
  return phases
    .filter((phase) => !paging || filters.cursors[phase])
    .map((phase) => {
      const q = new URLSearchParams({ status: phase, limit: String(limit) });
      if (filters.severity) q.set('severity', filters.severity);
      if (filters.source) q.set('source', filters.source);
      const cursor = filters.cursors[phase];
      if (cursor) q.set('cursor', cursor);
      return { phase, path: `/v1/incidents?${q.toString()}` };
    });
}

/**
 * "Mine": the signed-in person holds one of the incident's roles (commander, scribe, …) or an open
 * task of it is assigned to them, compared by the name the API records for them (roles and
 * assignees are names, as the API's decisions take them).
 */
export function isMine(state: IncidentState, principal: Pick<Principal, 'name'>): boolean {
  const name = principal.name.trim().toLowerCase();
  if (!name) return false;
  const same = (person: string | undefined) => person !== undefined && person.trim().toLowerCase() === name;
  if (Object.values(state.roles ?? {}).some((held) => same(held?.person))) return true;
  return (state.tasks ?? []).some((task) => task.status === 'open' && same(task.assignee));
}

/** Soonest escalation first; incidents that escalate nothing last, newest first among them. */
export function byNextDeadline(now: Date): (a: IncidentState, b: IncidentState) => number {
  return (a, b) => {
    const da = nextEscalationAt(a, now);
    const db = nextEscalationAt(b, now);
    const ta = da ? Date.parse(da) : Infinity;
    const tb = db ? Date.parse(db) : Infinity;
    if (ta !== tb) return ta - tb;
    return Date.parse(b.openedAt) - Date.parse(a.openedAt);
  };
}
