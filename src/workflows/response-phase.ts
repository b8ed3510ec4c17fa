import { ActivityFailure, condition } from '@temporalio/workflow';
import {
  allPatched,
  completeStep,
  escalateForFailedStage,
  escalateForMissedDeadline,
  isOpen,
  recordContainment,
  recordEvidence,
  recordPatchResults,
  resolve,
  startPatchVerification,
  startStep,
} from '../domain/incident';
import { containmentNeedsApproval, containmentPlan, responseOrder, type ResponseStep } from '../domain/response-plan';
import { collectEvidence, contain, recover, verifyPatchesUntil } from './activity-proxies';
import type { IncidentRun } from './incident-run';
import { runPlaybook } from './playbook-interpreter';
import { awaitContainmentDecision } from './containment-decision';
import { collectAll, containAll, undoAll } from './response-stages';

/** The built-in plan's adapter activities (a playbook step names its own retry policy). */
const builtInActivities = { contain, collectEvidence, recover };

/**
 * The response phase: the pinned playbook through the interpreter (the API pins the strategy's
 * built-in playbook when nothing else is chosen), or, for incidents assessed before 0.4.0, the
 * coded plan's four stages in the strategy's order. Each stage resumes from the state after a continue-as-new.
 */
export async function respond(run: IncidentRun): Promise<void> {
  if (run.state().playbookRun) {
    await runPlaybook(run, {
      verifyPatches: async () => {
        const patchedAll = await eradication(run);
        if (patchedAll) run.set(completeStep(run.state(), 'eradication'));
        return patchedAll;
      },
    });
    return;
  }
  const order = responseOrder(run.state().assessment?.strategy ?? 'contain_first');
  for (const step of order) {
    if (run.state().phase !== 'response') return;
    if (run.state().response?.completed.includes(step)) continue;
    if (run.state().response?.current !== step) {
      run.set(startStep(run.state(), step));
      await run.publish();
    }
    if (!(await runStep(run, step))) return;
    // Recovery completes itself as it moves the incident to review.
    if (run.state().phase === 'response') run.set(completeStep(run.state(), step));
    await run.publish();
    if (run.shouldContinueAsNew()) return;
  }
}

/** One stage of the built-in plan; false when the plan must stop here for now (continue-as-new, a failure). */
async function runStep(run: IncidentRun, step: ResponseStep): Promise<boolean> {
  try {
    switch (step) {
      case 'containment':
        await containment(run);
        return run.state().response?.approval !== undefined || !run.state().response?.awaitingApproval;
      case 'forensics':
        await forensics(run);
        return true;
      case 'eradication':
        return await eradication(run);
      case 'recovery':
        await recovery(run);
        return true;
    }
  } catch (err) {
    // An adapter refused for good: tell the chain, give people one repeat interval to fix the
    // cause, then the main loop runs the step again (its actions are idempotent).
    if (!(err instanceof ActivityFailure)) throw err;
    const failed = escalateForFailedStage(run.state(), step, err.cause?.message ?? err.message, run.policy, new Date(), run.escalationRule);
    run.set(failed.state);
    run.audit({ entryKey: `stage-failed:${step}:${run.state().escalations.length}`, action: step, outcome: 'failed', details: { error: err.cause?.message ?? err.message } });
    if (failed.escalation) await run.page(failed.escalation);
    await run.publish();
    await condition(() => !isOpen(run.state()) || run.shouldContinueAsNew(), run.policy[run.state().severity].escalationRepeat);
    return false;
  }
}

async function containment(run: IncidentRun): Promise<void> {
  const plan = containmentPlan(run.state().assets);
  const needsApproval = containmentNeedsApproval(plan, run.policy[run.state().severity]);
  if (needsApproval && !run.state().response?.approval && !(await awaitContainmentDecision(run))) return; // continuing as new; resumes here
  const approved = !needsApproval || run.state().response?.approval?.approved === true;
  const outcomes = await containAll(run.state().incidentId, plan, approved, builtInActivities);
  run.set(recordContainment(run.state(), outcomes, run.policy, new Date()));
  run.audit({ entryKey: 'stage:containment', action: 'containment', details: { outcomes } });
}

async function forensics(run: IncidentRun): Promise<void> {
  const artifacts = await collectAll(run.state().incidentId, run.state().assets, builtInActivities);
  run.set(recordEvidence(run.state(), artifacts));
  run.audit({ entryKey: 'stage:forensics', action: 'forensics', details: { artifacts } });
}

/** Polls the scanner until every asset is patched; each missed deadline escalates. False when continuing as new first. */
async function eradication(run: IncidentRun): Promise<boolean> {
  if (run.state().nextDeadline?.kind !== 'patchVerify') {
    run.set(startPatchVerification(run.state(), run.policy, new Date()));
    await run.publish();
  }
  while (!allPatched(run.state())) {
    const deadline = run.state().nextDeadline;
    const until = deadline ? Date.parse(deadline.dueAt) : Date.now() + run.policy[run.state().severity].escalationRepeat;
    const verifyPatches = verifyPatchesUntil(until);
    const results = await verifyPatches({ incidentId: run.state().incidentId, assets: run.state().assets, until: new Date(until).toISOString() });
    // Applied to the state as it is now: decisions taken while the scanner was polled stay.
    run.set(recordPatchResults(run.state(), results));
    await run.publish();
    if (allPatched(run.state())) {
      run.audit({ entryKey: 'stage:eradication', action: 'patch_verification', details: { results: run.state().response?.patchResults } });
      break;
    }
    // The scanner answers at the deadline at the latest; wait for it if it answered early.
    if (await condition(run.shouldContinueAsNew, Math.max(until - Date.now(), 1))) return false;
    if (deadline) {
      const missed = escalateForMissedDeadline(run.state(), deadline, run.policy, new Date(), run.escalationRule);
      run.set(missed.state);
      if (missed.escalation) await run.page(missed.escalation);
      await run.publish();
    }
    if (run.shouldContinueAsNew()) return false;
  }
  return true;
}

async function recovery(run: IncidentRun): Promise<void> {
  const recovered = await undoAll(run.state().incidentId, run.state().response?.containment ?? [], builtInActivities);
  run.set(resolve(run.state(), recovered, run.policy, new Date()));
  run.audit({ entryKey: 'stage:recovery', action: 'recovery', details: { recovered } });
}
