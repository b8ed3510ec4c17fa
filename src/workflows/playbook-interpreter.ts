import { ActivityFailure, condition } from '@temporalio/workflow';
import { recordContainment, recordEvidence, addTasks, completeStage, escalateForFailedStage, resolve, roleHolders, updatePlaybookRun, type IncidentState } from '../domain/incident';
import { conditionHolds } from '../domain/playbook-logic';
import type { PlaybookStep } from '../domain/playbook';
import {
  asksContainmentDecision,
  destructiveApproved,
  nextMoves,
  playbookFacts,
  stepDone,
  stepEndFromTask,
  stepFailed,
  stepOf,
  stepSkipped,
  stepStarted,
  taskFromStep,
  type PlaybookRun,
} from '../domain/playbook-run';
import { containmentNeedsApproval, containmentPlan } from '../domain/response-plan';
import { findTask, reminderRecipient } from '../domain/task';
import { stepActivities } from './activity-proxies';
import type { IncidentRun } from './incident-run';
import { awaitContainmentDecision } from './containment-decision';
import { collectAll, containAll, undoAll } from './response-stages';

/**
 * Runs the incident's pinned playbook: every step whose needs are settled and whose condition
 * holds starts at once, so independent branches run in parallel. Which steps may run is decided
 * by the pure planner (src/domain/playbook-plan.ts); this module only waits, schedules and
 * records. Everything it needs to go on is in the state, so a continue-as-new resumes it: steps
 * marked running start again (actions are idempotent by their keys; tasks and gates already exist).
 */

/** What the workflow lends the interpreter: the patch verification loop with its own deadline. */
export interface StepDeps {
  /** Polls the scanner until every asset is patched; false when the run must continue as new first. */
  verifyPatches(): Promise<boolean>;
}

type StepEnd = { status: 'done'; outcome: Record<string, unknown> } | { status: 'skipped'; reason: string } | 'continue-as-new';

export async function runPlaybook(run: IncidentRun, deps: StepDeps): Promise<void> {
  const inFlight = new Set<string>();
  /** Bumped when a step's execution ends, so the loop looks again even if the state did not change. */
  let ended = 0;
  const playbookRun = (): PlaybookRun => run.state().playbookRun!;
  const setRun = (next: PlaybookRun) => run.set(updatePlaybookRun(run.state(), next));
  const stopping = () => run.state().phase !== 'response' || run.shouldContinueAsNew();

  /** A human task or approval gate: opened once, then waited for until someone settles it. */
  async function awaitTask(step: PlaybookStep): Promise<StepEnd> {
    if (!findTask(run.state().tasks ?? [], step.id)) {
      const task = taskFromStep(step, roleHolders(run.state()), new Date());
      run.set(addTasks(run.state(), [task]));
      run.audit({ entryKey: `task-opened:${task.taskId}`, action: 'task_opened', details: { taskId: task.taskId, kind: task.kind, title: task.title, owner: task.owner, assignee: task.assignee, dueAt: task.dueAt } });
      await run.publish();
      await run.notify({ ...run.base(), kind: 'task_opened', recipient: reminderRecipient(task, roleHolders(run.state())), taskId: task.taskId, taskTitle: task.title, dueAt: task.dueAt });
    }
    const settled = () => stepEndFromTask(findTask(run.state().tasks ?? [], step.id)!);
    await condition(() => settled() !== undefined || stopping());
    return settled() ?? 'continue-as-new';
  }

  async function awaitWait(step: Extract<PlaybookStep, { kind: 'wait' }>): Promise<StepEnd> {
    if (step.for !== undefined) {
      const startedAt = Date.parse(playbookRun().steps[step.id]?.startedAt ?? new Date().toISOString());
      const remaining = startedAt + step.for - Date.now();
      if (remaining > 0 && (await condition(stopping, remaining))) return 'continue-as-new';
      return { status: 'done', outcome: {} };
    }
    const holds = () => conditionHolds(step.until!, playbookFacts(run.state(), playbookRun(), run.policy[run.state().severity]));
    await condition(() => holds() || stopping());
    return holds() ? { status: 'done', outcome: {} } : 'continue-as-new';
  }

  /** One wait for the containment decision, however many contain steps ask for it at once (one escalates). */
  let decisionWait: Promise<boolean> | undefined;
  const askingForDecision = () =>
    Object.entries(playbookRun().steps).some(([id, s]) => {
      const step = stepOf(playbookRun(), id);
      return s.status === 'running' && step !== undefined && asksContainmentDecision(step);
    });
  const decision = () =>
    (decisionWait ??= awaitContainmentDecision(run, () => !askingForDecision()).finally(() => {
      decisionWait = undefined;
    }));

  async function containAssets(step: PlaybookStep): Promise<StepEnd> {
    const policy = run.policy[run.state().severity];
    // A step that asks for the incident's containment decision waits for it (the built-in playbooks do).
    const needsDecision = asksContainmentDecision(step) && containmentNeedsApproval(containmentPlan(run.state().assets), policy);
    if (needsDecision && !run.state().response?.approval && !(await decision())) return 'continue-as-new';
    const state = run.state();
    const approved = destructiveApproved(step, playbookRun(), policy, state.response?.approval);
    const outcomes = await containAll(state.incidentId, containmentPlan(state.assets), approved, stepActivities(step.retry));
    run.set(recordContainment(run.state(), [...(run.state().response?.containment ?? []).filter((o) => !outcomes.some((n) => n.asset.kind === o.asset.kind && n.asset.id === o.asset.id)), ...outcomes], run.policy, new Date()));
    run.set(completeStage(run.state(), 'containment'));
    run.audit({ entryKey: `stage:containment:${step.id}`, action: 'containment', details: { stepId: step.id, outcomes } });
    return { status: 'done', outcome: { done: outcomes.filter((o) => o.status === 'done').length, notApproved: outcomes.filter((o) => o.status === 'not_approved').length } };
  }

  async function collect(step: PlaybookStep): Promise<Record<string, unknown>> {
    const artifacts = await collectAll(run.state().incidentId, run.state().assets, stepActivities(step.retry));
    run.set(completeStage(recordEvidence(run.state(), artifacts), 'forensics'));
    run.audit({ entryKey: `stage:forensics:${step.id}`, action: 'forensics', details: { stepId: step.id, artifacts } });
    return { artifacts };
  }

  async function recoverAssets(step: PlaybookStep): Promise<Record<string, unknown>> {
    const recovered = await undoAll(run.state().incidentId, run.state().response?.containment ?? [], stepActivities(step.retry));
    run.audit({ entryKey: `stage:recovery:${step.id}`, action: 'recovery', details: { stepId: step.id, recovered } });
    return { recovered };
  }

  async function notifyStep(step: Extract<PlaybookStep, { kind: 'action' }>): Promise<Record<string, unknown>> {
    const state = run.state();
    const to = step.params?.['to'];
    const recipient = typeof to === 'string' ? to : (state.roles.commander?.person ?? 'on_call');
    const message = typeof step.params?.['message'] === 'string' ? (step.params['message'] as string) : step.title;
    await run.notify({ ...run.base(), kind: 'playbook_notice', recipient, stepId: step.id, message });
    return { recipient };
  }

  /** The signed webhook: the receiver's small JSON answer becomes the step's outcome (conditions may read it). */
  async function callWebhook(step: Extract<PlaybookStep, { kind: 'action' }>): Promise<Record<string, unknown>> {
    const { url, ...params } = step.params ?? {};
    const { callWebhook: post } = stepActivities(step.retry);
    const attempt = playbookRun().steps[step.id]?.attempts ?? 1;
    const result = await post({ incidentId: run.state().incidentId, stepId: step.id, url: String(url), params, attempt });
    run.audit({ entryKey: `webhook:${step.id}:${attempt}`, action: 'webhook', details: { stepId: step.id, url: String(url), status: result.status } });
    return result.answer ?? { status: result.status };
  }

  async function act(step: Extract<PlaybookStep, { kind: 'action' }>): Promise<StepEnd> {
    switch (step.action) {
      case 'contain':
        return containAssets(step);
      case 'collect_evidence':
        return { status: 'done', outcome: await collect(step) };
      case 'verify_patches':
        return (await deps.verifyPatches()) ? { status: 'done', outcome: { patched: true } } : 'continue-as-new';
      case 'recover':
        return { status: 'done', outcome: await recoverAssets(step) };
      case 'notify':
        return { status: 'done', outcome: await notifyStep(step) };
      case 'webhook':
        return { status: 'done', outcome: await callWebhook(step) };
    }
  }

  /**
   * Runs one step to its end. An adapter that refuses for good escalates one level (the same rule
   * as the built-in stages) and the step is tried again one repeat interval later.
   */
  async function execute(id: string): Promise<void> {
    inFlight.add(id);
    try {
      for (;;) {
        const step = stepOf(playbookRun(), id);
        if (!step || playbookRun().steps[id]?.status !== 'running') return; // replaced meanwhile
        let end: StepEnd;
        try {
          if (step.kind === 'action') end = await act(step);
          else if (step.kind === 'wait') end = await awaitWait(step);
          else if (step.kind === 'task' || step.kind === 'approval') end = await awaitTask(step);
          else throw new Error(`step ${id} is a sub-playbook, which is flattened when the playbook is pinned`);
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          const message = err.cause?.message ?? err.message;
          setRun(stepFailed(playbookRun(), id, message));
          const failed = escalateForFailedStage(run.state(), id, message, run.policy, new Date(), run.escalationRule);
          run.set(failed.state);
          const attempt = playbookRun().steps[id]?.attempts ?? 1;
          run.audit({ entryKey: `step-failed:${id}:${attempt}:${run.state().escalations.length}`, action: 'step_failed', outcome: 'failed', details: { stepId: id, attempt, error: message } });
          if (failed.escalation) await run.page(failed.escalation);
          await run.publish();
          if (await condition(stopping, run.policy[run.state().severity].escalationRepeat)) return;
          setRun(stepStarted(playbookRun(), id, new Date()));
          run.audit({ entryKey: `step-started:${id}:${playbookRun().steps[id]!.attempts}`, action: 'step_started', details: { stepId: id, attempt: playbookRun().steps[id]!.attempts } });
          await run.publish();
          continue;
        }
        if (end === 'continue-as-new') return;
        if (playbookRun().steps[id]?.status !== 'running') return;
        setRun(end.status === 'done' ? stepDone(playbookRun(), id, end.outcome, new Date()) : stepSkipped(playbookRun(), id, end.reason, new Date()));
        run.audit({
          entryKey: `step-${end.status}:${id}`,
          action: end.status === 'done' ? 'step_done' : 'step_skipped',
          details: { stepId: id, attempts: playbookRun().steps[id]!.attempts, ...(end.status === 'done' ? { outcome: end.outcome } : { reason: end.reason }) },
        });
        await run.publish();
        return;
      }
    } finally {
      inFlight.delete(id);
      ended += 1;
    }
  }

  while (!stopping()) {
    const state = run.state();
    const moves = nextMoves(playbookRun(), playbookFacts(state, playbookRun(), run.policy[state.severity]));
    const now = new Date();
    for (const id of moves.skip) {
      setRun(stepSkipped(playbookRun(), id, 'condition false', now));
      run.audit({ entryKey: `step-skipped:${id}`, action: 'step_skipped', details: { stepId: id, reason: 'condition false' } });
    }
    for (const id of moves.start) {
      setRun(stepStarted(playbookRun(), id, now));
      run.audit({ entryKey: `step-started:${id}:${playbookRun().steps[id]!.attempts}`, action: 'step_started', details: { stepId: id, attempt: playbookRun().steps[id]!.attempts } });
    }
    if (moves.skip.length > 0 || moves.start.length > 0) await run.publish();
    // Steps marked running with nothing behind them: just started, or resumed after continue-as-new.
    for (const [id, step] of Object.entries(playbookRun().steps)) {
      if (step.status === 'running' && !inFlight.has(id)) void execute(id);
    }
    if (moves.skip.length > 0 || moves.start.length > 0) continue;
    if (moves.finished && inFlight.size === 0) {
      finish(run);
      await run.publish();
      return;
    }
    const seen = run.state();
    const endedBefore = ended;
    await condition(() => run.state() !== seen || ended !== endedBefore || stopping());
  }
  // Actions in flight finish and are recorded in this run; tasks, gates and waits resume from the state.
  await condition(() => ![...inFlight].some((id) => stepOf(playbookRun(), id)?.kind === 'action'));
}

/** The plan is finished: the response is over and the review begins. */
function finish(run: IncidentRun): void {
  const state: IncidentState = run.state();
  const recovered = Object.values(state.playbookRun?.steps ?? {}).reduce((n, s) => n + (typeof s.outcome?.['recovered'] === 'number' ? (s.outcome['recovered'] as number) : 0), 0);
  run.audit({ entryKey: `playbook-finished:${state.playbookRun!.pinned.name}:${state.playbookRun!.pinned.version}`, action: 'playbook_finished', details: { name: state.playbookRun!.pinned.name, version: state.playbookRun!.pinned.version } });
  run.set(resolve(state, recovered, run.policy, new Date()));
}
