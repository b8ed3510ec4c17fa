import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Decided } from '../../src/domain/decisions';
import { hours } from '../../src/domain/duration';
import { openFollowUps } from '../../src/domain/follow-up';
import type { IncidentState } from '../../src/domain/incident';
import { lifecycleEventsOf, LIFECYCLE_EVENT_TYPES as T } from '../../src/domain/lifecycle-events';
import { chainFor, DEFAULT_POLICY } from '../../src/domain/policy';
import { DEFAULT_REGIMES } from '../../src/domain/regulatory';
import { clocksFor } from '../../src/domain/regulatory-deadlines';
import { waitFor } from '../../src/net';
import { followUpWorkflowIdFor, workflowIdFor } from '../../src/temporal/contract';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  addObservableUpdate,
  addTaskUpdate,
  assessUpdate,
  assignRoleUpdate,
  commentFollowUpUpdate,
  declareRegimeUpdate,
  determineMaterialityUpdate,
  engageExternalAssistanceUpdate,
  escalateUpdate,
  stateQuery,
} from '../../src/workflows/messages';
import { maria } from '../support/principals';
import { createTestWorker, createTimeSkippingEnv, RecordingActivities, startWithDecisionInFirstTask } from '../support/time-skipping';

const { EventType } = temporal.api.enums.v1;

/** Whether the history shows the update accepted in the run's first workflow task. */
async function acceptedInFirstTask(handle: WorkflowHandle): Promise<boolean> {
  const types = ((await handle.fetchHistory()).events ?? []).map((e) => e.eventType);
  const firstCompleted = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const secondStarted = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, firstCompleted);
  const accepted = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
  return accepted > firstCompleted && (secondStarted < 0 || accepted < secondStarted);
}

/**
 * An integration or a manager acts right after the alert that opened the incident, before any
 * worker has taken the incident's first workflow task: the decision then arrives in that task,
 * beside the start. The SDK runs it as soon as its handler is registered, ahead of the workflow's
 * code after the registrations (pitfall 66). It must still apply, and the audit log must still
 * begin with the opening.
 */
describe('a decision that arrives with the first workflow task (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /**
   * Starts an incident with no worker polling, sends the decision, and starts the worker once the
   * server holds it; answers how the update ended and the incident's state after it. A decision
   * the workflow cannot apply fails its workflow task again and again, and the update never
   * answers: that fails here within 20 s, not at the test's time-out.
   */
  async function decideInFirstTask<T>(
    name: string,
    update: UpdateDefinition<IncidentState, [Decided<T>]>,
    decision: (openedAt: string) => T,
  ): Promise<{ state: IncidentState; refusal?: string; audit: string[]; activities: RecordingActivities; inFirstTask: boolean }> {
    const input = { incidentId: `first-task-${name}`, dedupKey: `first-task-${name}`, title: 'Beacon to a known C2', source: 'edr', severity: 'medium' as const, policy: DEFAULT_POLICY };
    const activities = new RecordingActivities();
    const worker = await createTestWorker(env, activities);
    const openedAt = new Date(await env.currentTimeMs()).toISOString();
    const { handle, answered: decided } = await startWithDecisionInFirstTask(
      env,
      worker.options.taskQueue,
      { workflowType: 'incidentWorkflow', workflowId: workflowIdFor(input.incidentId), args: [input] },
      { update, updateId: `${name}-1`, decided: { principal: maria, decision: decision(openedAt) } },
    );
    try {
      let timer: NodeJS.Timeout | undefined;
      const unanswered = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} in the first workflow task was not answered in 20 s`)), 20_000);
      });
      const { refusal, state } = await worker.runUntil(async () => {
        const refusal = await Promise.race([decided, unanswered])
          .then(() => undefined, (err) => {
            if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
            throw err;
          })
          .finally(() => clearTimeout(timer));
        // Queried while the worker runs: a query needs one to answer.
        return { refusal, state: await handle.query(stateQuery) };
      });
      return { state, ...(refusal ? { refusal } : {}), audit: activities.audit.map((e) => e.entryKey), activities, inFirstTask: await acceptedInFirstTask(handle) };
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  }

  it('audits and numbers the opening before the acknowledgement', async () => {
    const { state, audit, activities, inFirstTask } = await decideInFirstTask('ack', acknowledgeUpdate, () => ({}));
    // The decision came in the first workflow task, or this test would prove nothing.
    expect(inFirstTask).toBe(true);
    expect(state).toMatchObject({ phase: 'triage', acknowledgedBy: { name: 'maria' } });
    // Opened in detection, then acknowledged into triage: the chain tells it in that order.
    expect(audit.slice(0, 4)).toEqual(['opened', 'phase:detected', 'decision:ack-1', 'phase:triage']);
    expect(lifecycleEventsOf('first-task-ack', activities.audit).slice(0, 3).map((e) => e.type)).toEqual([T.opened, T.acknowledged, T.phaseChanged]);
  });

  // Every decision a detected incident takes. Those on the regulatory clocks once threw here: the
  // counter their watcher reads was declared after the handlers.
  const decisions: Array<[string, UpdateDefinition<IncidentState, [Decided<any>]>, (openedAt: string) => unknown, (s: IncidentState) => unknown, unknown]> = [
    ['role', assignRoleUpdate, () => ({ role: 'commander', person: 'carol' }), (s) => s.roles.commander?.person, 'carol'],
    ['note', addNoteUpdate, () => ({ text: 'customer portal logins failing' }), (s) => s.noteCount, 1],
    ['observable', addObservableUpdate, () => ({ kind: 'ipv4', value: '203.0.113.9', tlp: 'amber' }), (s) => s.observables?.map((o) => o.value), ['203.0.113.9']],
    ['escalation', escalateUpdate, () => ({ reason: 'customer data may be involved' }), (s) => s.escalationLevel, 1],
    ['regime', declareRegimeUpdate, (at) => ({ regime: 'gdpr_art33', startedAt: at, clocks: clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, new Date(at), []) }), (s) => [...new Set(s.regulatoryClocks?.map((c) => c.regime))], ['gdpr_art33']],
    ['materiality', determineMaterialityUpdate, (at) => ({ material: true, determinedAt: at, rationale: 'customer records exposed', clocks: clocksFor('sec_8k_105', DEFAULT_REGIMES.sec_8k_105!, new Date(at), []) }), (s) => s.materiality?.material, true],
    ['assistance', engageExternalAssistanceUpdate, (at) => ({ provider: 'IR firm', reference: 'C-7', engagedAt: at }), (s) => s.externalAssistance?.map((e) => e.provider), ['IR firm']],
    ['task', addTaskUpdate, () => ({ title: 'Call the vendor', owner: { role: 'manager' }, due: hours(8) }), (s) => s.tasks?.map((t) => t.title), ['Call the vendor']],
  ];

  it.each(decisions)('%s: applied when taken in the first task, audited after the opening', async (name, update, decision, effect, expected) => {
    const { state, audit, inFirstTask } = await decideInFirstTask(name, update, decision);
    expect(inFirstTask).toBe(true);
    expect(effect(state)).toEqual(expected);
    expect(audit.slice(0, 3)).toEqual(['opened', 'phase:detected', `decision:${name}-1`]);
  });

  it('refuses a decision the opened incident cannot take yet, and opens as it would have', async () => {
    const { state, refusal, audit } = await decideInFirstTask('assess', assessUpdate, () => ({ severity: 'low', category: 'scan', strategy: 'contain_first', externalAssistance: false }));
    expect(refusal).toBe('incident first-task-assess is in phase detected; an assessment needs phase triage');
    // A refused update leaves nothing in history; it was admitted before the worker started, so
    // the server handed it over with the first task, as it did every accepted one above.
    expect(state.phase).toBe('detected');
    expect(state.assessment).toBeUndefined();
    expect(audit).toEqual(['opened', 'phase:detected']);
  });

  it('writes the opening of follow-ups before a decision taken on them at once', async () => {
    const closedAt = Date.now();
    const initial = openFollowUps({
      incidentId: 'first-task-follow-ups',
      title: 'Web shell on web-07',
      severity: 'high',
      chain: chainFor(DEFAULT_POLICY.high),
      closedAt: new Date(closedAt).toISOString(),
      incidentVersion: 12,
      items: [{ title: 'Rotate the deploy keys', owner: 'alice', dueAt: new Date(closedAt + hours(72)).toISOString() }],
    });
    const activities = new RecordingActivities();
    const worker = await createTestWorker(env, activities);
    const { handle, answered: commented } = await startWithDecisionInFirstTask(
      env,
      worker.options.taskQueue,
      { workflowType: 'followUpWorkflow', workflowId: followUpWorkflowIdFor(initial.incidentId), args: [{ initial }] },
      { update: commentFollowUpUpdate, updateId: 'comment-1', decided: { principal: maria, decision: { taskId: 'follow-up-1', text: 'keys listed' } } },
    );
    try {
      await worker.runUntil(async () => {
        await commented;
        // The first task scheduled two publishes; the update answered after its own.
        await waitFor('both publishes', async () => {
          if (activities.audit.length < 2) throw new Error(`${activities.audit.length} entries`);
        }, 10_000, 50);
      });
      expect(await acceptedInFirstTask(handle)).toBe(true);
      expect(activities.audit.map((e) => e.entryKey)).toEqual(['follow-ups-opened', 'decision:comment-1']);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
});
