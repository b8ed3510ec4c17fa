/**
 * Where one update's time went, from its workflow's history and the caller's two clock readings:
 * until the server scheduled the workflow task that took it, in the task queue, in the workflow
 * task(s) until the one that carried its outcome completed, and from there back to the caller.
 * Every process of a benchmark runs on one machine, so the server's event times and the caller's
 * wall clock are one clock.
 */
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** An event's time, in milliseconds since the epoch. */
export const eventMs = (e: HistoryEvent): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/** The wall clock in milliseconds since the epoch, finer than `Date.now()`. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** The server's times for one update: the workflow task that accepted it, and the completion of the one that answered it. */
export interface UpdateTimes {
  scheduledMs: number;
  startedMs: number;
  answeredMs: number;
}

/** The first update named `name` in `events` that has completed, or undefined. */
export function updateTimes(events: HistoryEvent[], name: string): UpdateTimes | undefined {
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name);
  if (accepted < 0) return undefined;
  const updateId = events[accepted]!.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId;
  const completed = events.findIndex((e, k) => k > accepted && e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === updateId);
  const before = (end: number, has: (e: HistoryEvent) => unknown) => {
    for (let k = end - 1; k >= 0; k--) if (has(events[k]!)) return k;
    return -1;
  };
  const scheduled = before(accepted, (e) => e.workflowTaskScheduledEventAttributes);
  const started = before(accepted, (e) => e.workflowTaskStartedEventAttributes);
  const answered = completed < 0 ? -1 : before(completed, (e) => e.workflowTaskCompletedEventAttributes);
  if (scheduled < 0 || started < 0 || answered < 0) return undefined;
  return { scheduledMs: eventMs(events[scheduled]!), startedMs: eventMs(events[started]!), answeredMs: eventMs(events[answered]!) };
}

/** One call as its caller saw it, and the server's times for its update. */
export interface TimedUpdate extends UpdateTimes {
  sentMs: number;
  doneMs: number;
}

/**
 * The parts of an update's latency, in ms; they add up to the caller's latency. The workflow task's
 * part holds its local activities: core's markers carry times, but not ones that time the activity.
 */
export const UPDATE_PARTS = ['to the task', 'in the queue', 'workflow task(s)', 'back to the caller'] as const;

export function updateParts(u: TimedUpdate): number[] {
  return [u.scheduledMs - u.sentMs, u.startedMs - u.scheduledMs, u.answeredMs - u.startedMs, u.doneMs - u.answeredMs];
}

/** Mean of each part over the calls, in ms. */
export function meanParts(updates: TimedUpdate[]): number[] {
  const sums = UPDATE_PARTS.map(() => 0);
  for (const u of updates) updateParts(u).forEach((ms, k) => (sums[k]! += ms));
  return sums.map((s) => s / Math.max(updates.length, 1));
}

/** The slowest `share` of the calls (at least one), by the caller's latency. */
export function slowest(updates: TimedUpdate[], share: number): TimedUpdate[] {
  const n = Math.max(1, Math.ceil(updates.length * share));
  return [...updates].sort((a, b) => b.doneMs - b.sentMs - (a.doneMs - a.sentMs)).slice(0, n);
}
