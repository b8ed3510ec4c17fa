import { ApplicationFailure, condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { acknowledge, acknowledgeRejection, escalateForMissedDeadline, openIncident, recordAlert, type IncidentState } from '../domain/incident';
import { escalationTarget } from '../domain/policy';
import type { IncidentActivities } from '../activities/types';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
import { acknowledgeUpdate, alertSignal, DECISION_REJECTED, stateQuery, type DecisionArgs, type IncidentWorkflowInput } from './messages';
import { RETRY_POLICIES } from './retry-policies';

const { recordIncident, notify } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  retry: RETRY_POLICIES.untilDelivered,
});

/** Rejects an update before it enters history; the API turns this into 409. */
function rejectIf(reason: string | undefined): void {
  if (reason) throw ApplicationFailure.create({ type: DECISION_REJECTED, message: reason, nonRetryable: true });
}

/**
 * One security incident from detection onwards. The workflow only waits and records; the
 * rules live in src/domain/incident.ts.
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState> {
  let state: IncidentState = input.carriedState ?? openIncident(input, input.policy, new Date());

  async function publish(): Promise<void> {
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.phase, value: state.phase },
      { key: SEARCH_ATTRIBUTES.severity, value: state.severity },
      { key: SEARCH_ATTRIBUTES.source, value: state.source },
      { key: SEARCH_ATTRIBUTES.escalationLevel, value: state.escalationLevel },
    ]);
    await recordIncident(state);
  }

  /**
   * Waits until `done()` holds. Each time the pending deadline passes first, the incident escalates
   * one level up the chain (the domain rule sets the next deadline); with no deadline left it
   * simply waits.
   */
  async function awaitWithEscalation(done: () => boolean): Promise<void> {
    while (!done()) {
      const deadline = state.nextDeadline;
      if (!deadline) {
        await condition(done);
        return;
      }
      if (await condition(done, Math.max(Date.parse(deadline.dueAt) - Date.now(), 1))) return;
      const missed = escalateForMissedDeadline(state, deadline, input.policy, new Date());
      state = missed.state;
      if (missed.escalation) {
        await notify({ incidentId: state.incidentId, title: state.title, severity: state.severity, escalation: missed.escalation });
      }
      await publish();
    }
  }

  setHandler(stateQuery, () => state);
  setHandler(alertSignal, (alert) => {
    state = recordAlert(state, alert);
  });
  setHandler(
    acknowledgeUpdate,
    async ({ principal }) => {
      state = acknowledge(state, principal, input.policy, new Date());
      await publish();
      return state;
    },
    { validator: (_decision: DecisionArgs) => rejectIf(acknowledgeRejection(state)) },
  );

  if (!input.carriedState) {
    await publish();
    await notify({
      incidentId: state.incidentId,
      title: state.title,
      severity: state.severity,
      escalation: { level: 0, target: escalationTarget(0), cause: 'acknowledge', reason: 'incident opened', at: state.openedAt },
    });
  }

  if (state.phase === 'detected') await awaitWithEscalation(() => state.phase !== 'detected');
  if (state.phase === 'triage') await awaitWithEscalation(() => state.phase !== 'triage');

  // Assessment, response and review arrive with the lifecycle; until then a triaged incident
  // stays open, its assessment deadline escalating as above.
  await condition(() => state.phase === 'closed' || state.phase === 'dismissed');
  return state;
}
