import { awaitContainmentApproval, withdrawContainmentRequest, type EscalationRecord } from '../domain/incident';
import type { IncidentRun } from './incident-run';

/**
 * Asks for the incident's containment decision and waits for it: the request goes to the current
 * level of the chain, the severity's approval deadline escalates while nobody decides, and the
 * `approveContainment` update settles it. Shared by the built-in plan of older incidents and by a
 * playbook's contain step that asks for the decision (the built-in playbooks' does). False when the
 * run must continue as new first (the wait resumes from the state), or when `abandoned()` says
 * nobody needs the decision any more (the request is then withdrawn, and audited).
 */
export async function awaitContainmentDecision(run: IncidentRun, abandoned: () => boolean = () => false): Promise<boolean> {
  if (!run.state().response?.awaitingApproval) {
    run.set(awaitContainmentApproval(run.state(), run.policy, new Date()));
    const request = approvalRequest(run);
    run.audit({ entryKey: 'approval-requested', action: 'notify', details: { ...request } });
    await run.publish();
    await run.notify({ ...run.base(), kind: 'escalation', escalation: request });
  }
  await run.awaitWithEscalation(() => run.state().response?.approval !== undefined || abandoned());
  if (run.state().response?.approval === undefined && abandoned()) {
    run.set(withdrawContainmentRequest(run.state()));
    run.audit({ entryKey: `approval-withdrawn:${run.state().version}`, action: 'approval_withdrawn', details: { reason: 'no running step asks for the containment decision any more' } });
    await run.publish();
  }
  return run.state().response?.approval !== undefined;
}

/** The approval request goes to the current level of the chain; it is a notice, not an escalation. */
function approvalRequest(run: IncidentRun): EscalationRecord {
  const level = run.state().escalationLevel;
  return {
    level,
    ...run.addressed(level),
    cause: 'approveContainment',
    reason: 'destructive containment is waiting for a manager’s approval',
    at: new Date().toISOString(),
  };
}
