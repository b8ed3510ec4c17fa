import type { Playbook, PlaybookStep } from './playbook';
import { conditionHolds } from './playbook-logic';

/**
 * Which steps of a playbook can run now. Pure and deterministic, with no Node imports: the
 * interpreter calls it inside the workflow after every change, so it must give the same answer
 * on replay.
 */

export const STEP_STATUSES = ['pending', 'running', 'done', 'skipped', 'failed'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A step absent from the progress has not started. */
export type PlanProgress = Readonly<Record<string, StepStatus>>;

const statusOf = (progress: PlanProgress, id: string): StepStatus => progress[id] ?? 'pending';

/** A need is settled once it is done or skipped; a skipped need does not hold its dependents back. */
const isSettled = (status: StepStatus): boolean => status === 'done' || status === 'skipped';

function needsSettled(step: PlaybookStep, progress: PlanProgress): boolean {
  return (step.needs ?? []).every((need) => isSettled(statusOf(progress, need)));
}

/** A condition that cannot be evaluated (a fact of the wrong type) counts as false, never as a crash. */
function whenHolds(step: PlaybookStep, facts: object): boolean {
  if (!step.when) return true;
  try {
    return conditionHolds(step.when, facts);
  } catch {
    return false;
  }
}

/**
 * Pending steps whose needs are all done or skipped and whose `when` holds for the facts, in the
 * playbook's order. Independent branches come out together, to run in parallel.
 */
export function runnableSteps(playbook: Playbook, progress: PlanProgress, facts: object): string[] {
  return playbook.steps.filter((s) => statusOf(progress, s.id) === 'pending' && needsSettled(s, progress) && whenHolds(s, facts)).map((s) => s.id);
}

/**
 * Pending steps whose needs are settled but whose `when` is false: they will never run, and the
 * interpreter skips them with the reason "condition false" (which may in turn free their dependents).
 */
export function stepsNeverRunnable(playbook: Playbook, progress: PlanProgress, facts: object): string[] {
  return playbook.steps.filter((s) => statusOf(progress, s.id) === 'pending' && needsSettled(s, progress) && !whenHolds(s, facts)).map((s) => s.id);
}

/** Pending steps that can never start because a step they need (directly or not) failed. */
export function blockedSteps(playbook: Playbook, progress: PlanProgress): string[] {
  const byId = new Map(playbook.steps.map((s) => [s.id, s]));
  const blocked = new Map<string, boolean>();
  const isBlocked = (id: string, seen: Set<string>): boolean => {
    const known = blocked.get(id);
    if (known !== undefined) return known;
    const status = statusOf(progress, id);
    if (status === 'failed') return true;
    if (status !== 'pending' || seen.has(id)) return false;
    seen.add(id);
    const result = (byId.get(id)?.needs ?? []).some((need) => isBlocked(need, seen));
    blocked.set(id, result);
    return result;
  };
  return playbook.steps.filter((s) => statusOf(progress, s.id) === 'pending' && isBlocked(s.id, new Set())).map((s) => s.id);
}

/**
 * Finished when nothing runs and nothing is left that could: every step is done, skipped or
 * failed, or waits behind a failed step. Conditions do not matter here: a step whose `when` is
 * false is still pending until the interpreter skips it.
 */
export function isPlanFinished(playbook: Playbook, progress: PlanProgress): boolean {
  const blocked = new Set(blockedSteps(playbook, progress));
  return playbook.steps.every((s) => {
    const status = statusOf(progress, s.id);
    return status === 'done' || status === 'skipped' || status === 'failed' || blocked.has(s.id);
  });
}

/** Whether the plan ended with every step done or skipped (no failure, nothing blocked). */
export function isPlanSucceeded(playbook: Playbook, progress: PlanProgress): boolean {
  return playbook.steps.every((s) => isSettled(statusOf(progress, s.id)));
}
