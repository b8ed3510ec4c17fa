/**
 * The incident queue's rules: when an open incident is overdue, and the deadline it is ordered by.
 * Pure, with type-only imports, so the console bundles it and the read model's SQL
 * (src/db/incident-repository.ts, `overdueSql` / `escalatesAtSql`) states the same rule over the
 * stored state; the integration tests check the two agree.
 *
 * An incident waits for several things at once: the decision or stage in `nextDeadline`, the stage
 * SLAs of a running response, open tasks, and running regulatory clocks. It is overdue when any of
 * them is past due: a breach recorded in the current phase for the awaited deadline (after a miss
 * the deadline moves on to the next page's time, so its due time alone no longer tells), or a due
 * time at or before `now`; a missed regulatory clock stays overdue until its filing. Closed and
 * dismissed incidents wait for nothing. Time alone makes an incident overdue, so "overdue" is
 * always computed at an instant, never stored.
 */
import { isOpenPhase } from './phase';
import type { DeadlineKind } from './policy';

interface PendingDeadline {
  kind: DeadlineKind;
  dueAt: string;
}

/**
 * What of an incident's state the queue's rules read, spelled structurally (the domain's
 * IncidentState and the console's both fit), so this module reaches nothing that needs Node.
 */
export interface QueueFacts {
  phase: string;
  nextDeadline?: PendingDeadline;
  slaBreaches?: ReadonlyArray<{ deadline: DeadlineKind; phase: string }>;
  stageDeadlines?: readonly PendingDeadline[];
  tasks?: ReadonlyArray<{ status: string; dueAt: string; nextOverdueAt?: string }>;
  regulatoryClocks?: ReadonlyArray<{ startedAt?: string; dueAt?: string; missed: boolean; filing?: unknown }>;
}

function breachedInPhase(state: QueueFacts, deadline: PendingDeadline): boolean {
  return (state.slaBreaches ?? []).some((b) => b.deadline === deadline.kind && b.phase === state.phase);
}

/** Whether anything the open incident waits for is past its deadline at `now`. */
export function isOverdue(state: QueueFacts, now: Date): boolean {
  if (!isOpenPhase(state.phase)) return false;
  const past = (iso: string) => Date.parse(iso) <= now.getTime();
  const deadlines = [...(state.nextDeadline ? [state.nextDeadline] : []), ...(state.stageDeadlines ?? [])];
  if (deadlines.some((d) => breachedInPhase(state, d) || past(d.dueAt))) return true;
  if ((state.tasks ?? []).some((t) => t.status === 'open' && past(t.dueAt))) return true;
  return (state.regulatoryClocks ?? []).some((c) => !c.filing && c.startedAt !== undefined && (c.missed || (c.dueAt !== undefined && past(c.dueAt))));
}

/**
 * When the open incident next escalates if nothing is done: the soonest due time of what it waits
 * for (an overdue task's next page, not its passed due time; a missed clock pages no more). The
 * queue orders by it after overdue; undefined when nothing escalates it. It does not depend on now.
 */
export function escalatesAt(state: QueueFacts): string | undefined {
  if (!isOpenPhase(state.phase)) return undefined;
  const times = [
    ...(state.nextDeadline ? [state.nextDeadline.dueAt] : []),
    ...(state.stageDeadlines ?? []).map((d) => d.dueAt),
    ...(state.tasks ?? []).filter((t) => t.status === 'open').map((t) => t.nextOverdueAt ?? t.dueAt),
    ...(state.regulatoryClocks ?? []).filter((c) => !c.filing && c.startedAt !== undefined && !c.missed && c.dueAt !== undefined).map((c) => c.dueAt!),
  ];
  let soonest: string | undefined;
  for (const t of times) if (soonest === undefined || Date.parse(t) < Date.parse(soonest)) soonest = t;
  return soonest === undefined ? undefined : new Date(Date.parse(soonest)).toISOString();
}

/** A queue entry's sort key: overdue first, then soonest escalation, none last; ties by incident id. */
export interface QueuePosition {
  overdue: boolean;
  escalatesAt: string | null;
  incidentId: string;
}

/** Compares two entries in the queue's order (the order `GET /v1/incidents?order=deadline` pages in). */
export function compareQueuePositions(a: QueuePosition, b: QueuePosition): number {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  const ta = a.escalatesAt === null ? Infinity : Date.parse(a.escalatesAt);
  const tb = b.escalatesAt === null ? Infinity : Date.parse(b.escalatesAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0;
}
