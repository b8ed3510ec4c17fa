import type { Asset } from './asset';
import type { Playbook, PlaybookStep } from './playbook';
import type { PlaybookFacts } from './playbook-logic';
import { isPlanFinished, runnableSteps, stepsNeverRunnable, type PlanProgress, type StepStatus } from './playbook-plan';
import type { SeverityPolicy } from './policy';
import type { Principal } from './principal';
import { CONTAINMENT_DECISION, containmentPlan } from './response-plan';
import type { Severity } from './severity';
import { isTaskOpen, type IncidentTask, type RoleHolders } from './task';

/**
 * A playbook as one incident runs it: the version pinned when it was chosen (copied whole, so a
 * later version cannot change a running incident), and how far each step got. Pure and
 * sandbox-safe: the interpreter in the workflow applies these rules and nothing else decides.
 */

/** How the playbook came to the incident. */
/**
 * How the playbook came to the incident: named at assessment, chosen by matching rules, the
 * assessment's strategy (its built-in playbook, or a stored one of that name) when nothing else
 * was chosen, or applied to a running response.
 */
export type PinnedBy = 'named' | 'matched' | 'strategy' | 'applied';

export interface PinnedPlaybook {
  name: string;
  version: number;
  /** sha256 of its canonical JSON, as the store gave it. */
  digest: string;
  playbook: Playbook;
  chosen: PinnedBy;
}

export interface StepRun {
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  /** How many times the step was started: a failed action is retried after its escalation. */
  attempts: number;
  outcome?: Record<string, unknown>;
  /** Why it was skipped: a person's reason, "condition false", or the playbook that replaced it. */
  reason?: string;
  /** The last failure, while the step waits to be retried. */
  lastError?: string;
}

export interface PlaybookRun {
  pinned: PinnedPlaybook;
  /** Playbooks this one replaced, oldest first (what they did stays in `steps` and the tasks). */
  replaced?: Array<{ name: string; version: number; digest: string; at: string; by: string }>;
  steps: Record<string, StepRun>;
}

export function startRun(pinned: PinnedPlaybook): PlaybookRun {
  return { pinned, steps: {} };
}

export function progressOf(run: PlaybookRun): PlanProgress {
  return Object.fromEntries(Object.entries(run.steps).map(([id, step]) => [id, step.status]));
}

export const stepOf = (run: PlaybookRun, id: string): PlaybookStep | undefined => run.pinned.playbook.steps.find((s) => s.id === id);

/** What the incident looks like to a playbook's conditions. */
export function playbookFacts(
  incident: { severity: Severity; category?: string; assets: readonly Asset[]; phase: string; escalationLevel: number; containedAt?: string; resolvedAt?: string },
  run: PlaybookRun,
  policy: SeverityPolicy,
): PlaybookFacts {
  const outcomes: Record<string, Record<string, unknown>> = {};
  for (const [id, step] of Object.entries(run.steps)) if (step.outcome) outcomes[id] = step.outcome;
  return {
    severity: incident.severity,
    category: incident.category ?? '',
    assetKinds: [...new Set(incident.assets.map((a) => a.kind))].sort(),
    outcomes,
    containment: { destructive: containmentPlan(incident.assets).some((a) => a.destructive) },
    policy: { preApprovedContainment: policy.preApprovedContainment },
    incident: {
      phase: incident.phase,
      escalationLevel: incident.escalationLevel,
      contained: incident.containedAt !== undefined,
      resolved: incident.resolvedAt !== undefined,
    },
  };
}

const withStep = (run: PlaybookRun, id: string, step: StepRun): PlaybookRun => ({ ...run, steps: { ...run.steps, [id]: step } });

export function stepStarted(run: PlaybookRun, id: string, now: Date): PlaybookRun {
  const before = run.steps[id];
  return withStep(run, id, { status: 'running', startedAt: now.toISOString(), attempts: (before?.attempts ?? 0) + 1 });
}

export function stepDone(run: PlaybookRun, id: string, outcome: Record<string, unknown> | undefined, now: Date): PlaybookRun {
  const before = run.steps[id] ?? { status: 'running', attempts: 1 };
  const { lastError: _dropped, ...kept } = before;
  return withStep(run, id, { ...kept, status: 'done', finishedAt: now.toISOString(), ...(outcome ? { outcome } : {}) });
}

export function stepSkipped(run: PlaybookRun, id: string, reason: string, now: Date): PlaybookRun {
  const before = run.steps[id] ?? { status: 'pending', attempts: 0 };
  return withStep(run, id, { ...before, status: 'skipped', finishedAt: now.toISOString(), reason });
}

/** A failed attempt: the step stays running, and is tried again after its escalation. */
export function stepFailed(run: PlaybookRun, id: string, error: string): PlaybookRun {
  const before = run.steps[id] ?? { status: 'running', attempts: 1 };
  return withStep(run, id, { ...before, lastError: error });
}

/** What the interpreter does next: skip the steps whose condition is false, start the runnable ones. */
export function nextMoves(run: PlaybookRun, facts: PlaybookFacts): { skip: string[]; start: string[]; finished: boolean } {
  const progress = progressOf(run);
  return {
    skip: stepsNeverRunnable(run.pinned.playbook, progress, facts),
    start: runnableSteps(run.pinned.playbook, progress, facts),
    finished: isPlanFinished(run.pinned.playbook, progress),
  };
}

/** A human task or an approval gate from its step, as it opens now. */
export function taskFromStep(step: PlaybookStep, holders: RoleHolders, now: Date): IncidentTask {
  const base = { taskId: step.id, title: step.title, status: 'open' as const, createdAt: now.toISOString(), remindersSent: 0, overduePages: 0 };
  if (step.kind === 'approval') {
    return {
      ...base,
      kind: 'approval',
      owner: { role: step.approvers[0]! },
      dueAt: new Date(now.getTime() + step.due).toISOString(),
      approvers: [...step.approvers],
      distinctApprovers: step.distinctApprovers ?? 1,
    };
  }
  if (step.kind !== 'task') throw new Error(`step ${step.id} is a ${step.kind}, not a task`);
  const assignee = 'incidentRole' in step.owner ? holders[step.owner.incidentRole] : undefined;
  return {
    ...base,
    kind: 'task',
    instructions: step.instructions,
    owner: step.owner,
    ...(assignee ? { assignee } : {}),
    dueAt: new Date(now.getTime() + step.due).toISOString(),
    ...(step.remindEvery ? { remindEvery: step.remindEvery } : {}),
    ...(step.outcomeFields?.length ? { outcomeFields: step.outcomeFields.map((f) => ({ name: f.name, type: f.type, required: f.required })) } : {}),
    ...(step.evidence?.length ? { evidence: [...step.evidence] } : {}),
  };
}

/** How a settled task ends its step: done with its outcome, or skipped with the person's reason. */
export function stepEndFromTask(task: IncidentTask): { status: 'done'; outcome: Record<string, unknown> } | { status: 'skipped'; reason: string } | undefined {
  if (isTaskOpen(task)) return undefined;
  if (task.status === 'skipped') return { status: 'skipped', reason: task.skipped?.reason ?? 'skipped' };
  return { status: 'done', outcome: task.outcome ?? {} };
}

/** Whether a contain step waits for the incident's containment decision rather than a gate of its own. */
export function asksContainmentDecision(step: PlaybookStep): boolean {
  return step.kind === 'action' && step.action === 'contain' && step.params?.['approval'] === CONTAINMENT_DECISION;
}

/**
 * Whether destructive containment may run under this step: the severity pre-approves it, the
 * approval gate the step names (`params.destructiveApprovedBy`) approved, or, for a step that asks
 * for it, the incident's containment decision approved. Otherwise a destructive action never runs.
 */
export function destructiveApproved(step: PlaybookStep, run: PlaybookRun, policy: SeverityPolicy, decision?: { approved: boolean }): boolean {
  if (policy.preApprovedContainment) return true;
  if (asksContainmentDecision(step)) return decision?.approved === true;
  const gate = step.kind === 'action' ? step.params?.['destructiveApprovedBy'] : undefined;
  return typeof gate === 'string' && run.steps[gate]?.outcome?.['approved'] === true;
}

export function applyRejection(run: PlaybookRun | undefined, phase: string, next: PinnedPlaybook): string | undefined {
  if (phase !== 'response') return `a playbook is applied during the response; the incident is in ${phase}`;
  if (run && run.pinned.name === next.name && run.pinned.version === next.version) return `playbook ${next.name} version ${next.version} is already running`;
  return undefined;
}

/**
 * Another playbook replaces the running one, without losing what is done: every settled step stays
 * on record with its outcome, and one under an id the new plan has counts as settled there; running
 * steps the new plan also has keep running; open tasks of steps it does not have are skipped,
 * naming the playbook that replaced them.
 */
export function replacePlaybook(
  run: PlaybookRun | undefined,
  tasks: readonly IncidentTask[],
  next: PinnedPlaybook,
  by: Principal,
  now: Date,
): { run: PlaybookRun; tasks: IncidentTask[]; dropped: string[] } {
  const kept = new Set(next.playbook.steps.map((s) => s.id));
  const steps: Record<string, StepRun> = {};
  const dropped: string[] = [];
  for (const [id, step] of Object.entries(run?.steps ?? {})) {
    // What is settled stays on record, in the new plan or not; unfinished steps it lacks are dropped.
    if (kept.has(id) || step.status === 'done' || step.status === 'skipped' || step.status === 'failed') steps[id] = step;
    else dropped.push(id);
  }
  const reason = `replaced by playbook ${next.name} version ${next.version}`;
  const at = now.toISOString();
  const settled = tasks.map((t) => (isTaskOpen(t) && dropped.includes(t.taskId) ? { ...t, status: 'skipped' as const, skipped: { by, at, reason } } : t));
  return {
    run: {
      pinned: next,
      ...(run ? { replaced: [...(run.replaced ?? []), { name: run.pinned.name, version: run.pinned.version, digest: run.pinned.digest, at, by: by.name }] } : {}),
      steps,
    },
    tasks: settled,
    dropped,
  };
}
