/**
 * The queue's rules, pure so they are tested without a browser: its filters as they live in the URL,
 * the one listing that serves a page, the "mine" rule, and when a row is overdue.
 *
 * One request a page: GET /v1/incidents?open=true&order=deadline&include=state lists the open
 * incidents overdue first, then by the soonest escalation, each row with its state, paged by one
 * cursor; phase, severity, source and overdue are the API's filters. "Mine" stays here, on the
 * page's rows: it means any incident role held or an open task assigned, which the API's
 * `commander` filter (one role, by exact name) does not say.
 */
import type { Principal } from '../../../domain/principal';
import { isOverdue as overdueAt } from '../../../domain/queue-order';
import { isOpenPhase, PHASES, SEVERITIES, type DeadlineKind, type IncidentState, type IncidentSummary, type Phase, type Severity } from './state';

export interface QueueFilters {
  /** One phase, or undefined for every open phase. */
  phase?: Phase;
  severity?: Severity;
  source?: string;
  overdue: boolean;
  mine: boolean;
  /** The API's cursor from the previous page. */
  cursor?: string;
}

/** A row of the queue's listing: the summary with its deadline, overdue verdict, version and state. */
export interface QueueItem extends IncidentSummary {
  nextDeadline: { kind: DeadlineKind; dueAt: string } | null;
  /** Overdue when the API listed it. */
  overdue: boolean;
  /** When it next escalates if nothing is done (the order's key); null when nothing does. */
  escalatesAt: string | null;
  version: number;
  state?: IncidentState;
}

export interface QueueList {
  items: QueueItem[];
  nextCursor: string | null;
}

const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;
const SOURCE = /^[\x21-\x7e]{1,100}$/;

export function filtersFromQuery(query: URLSearchParams): QueueFilters {
  const phase = query.get('phase');
  const severity = query.get('severity');
  const source = query.get('source')?.trim();
  const cursor = query.get('cursor');
  return {
    ...(phase && (PHASES as readonly string[]).includes(phase) ? { phase: phase as Phase } : {}),
    ...(severity && (SEVERITIES as readonly string[]).includes(severity) ? { severity: severity as Severity } : {}),
    ...(source && SOURCE.test(source) ? { source } : {}),
    overdue: query.get('overdue') === '1',
    mine: query.get('mine') === '1',
    ...(cursor && CURSOR.test(cursor) ? { cursor } : {}),
  };
}

export function queryFromFilters(filters: QueueFilters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.phase) query.set('phase', filters.phase);
  if (filters.severity) query.set('severity', filters.severity);
  if (filters.source) query.set('source', filters.source);
  if (filters.overdue) query.set('overdue', '1');
  if (filters.mine) query.set('mine', '1');
  if (filters.cursor) query.set('cursor', filters.cursor);
  return query;
}


/**
 * The one request of a page. Open incidents in the queue's order; a closed phase chosen lists that
 * phase newest first (nothing in it waits, so the deadline order would say nothing).
 */
export function listPath(filters: QueueFilters, limit: number): string {
  const q = new URLSearchParams();
  if (!filters.phase || isOpenPhase(filters.phase)) {
    q.set('open', 'true');
    q.set('order', 'deadline');
  }
  q.set('include', 'state');
  q.set('limit', String(limit));
  if (filters.phase) q.set('status', filters.phase);
  if (filters.severity) q.set('severity', filters.severity);
  if (filters.source) q.set('source', filters.source);
  if (filters.overdue) q.set('overdue', 'true');
  if (filters.cursor) q.set('cursor', filters.cursor);
  return `/v1/incidents?${q.toString()}`;
}

/**
 * Whether a row is overdue now: the API's rule (src/domain/queue-order.ts) on the row's state, so a
 * row falls overdue on screen when its time comes; without a state, the API's verdict.
 */
export function rowOverdue(item: QueueItem, now: Date): boolean {
  return item.state ? overdueAt(item.state, now) : item.overdue;
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
