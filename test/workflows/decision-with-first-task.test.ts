import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { lifecycleEventsOf, LIFECYCLE_EVENT_TYPES as T } from '../../src/domain/lifecycle-events';
import { hours } from '../../src/domain/duration';
import { openFollowUps } from '../../src/domain/follow-up';
import { chainFor, DEFAULT_POLICY } from '../../src/domain/policy';
import { waitFor } from '../../src/net';
import { followUpWorkflowIdFor, workflowIdFor } from '../../src/temporal/contract';
import { acknowledgeUpdate, commentFollowUpUpdate } from '../../src/workflows/messages';
import { maria } from '../support/principals';
import { createTestWorker, createTimeSkippingEnv, RecordingActivities, untilUpdateAdmitted } from '../support/time-skipping';

const { EventType } = temporal.api.enums.v1;

/**
 * An integration acknowledges right after the alert that opened the incident, before any worker
 * has taken the incident's first workflow task: the decision then arrives in that task, beside the
 * start. The SDK runs it as soon as its handler is registered, which is before the rest of the
 * workflow's first lines. The audit log must still begin with the opening.
 */
describe('a decision that arrives with the first workflow task (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('audits and numbers the opening before the acknowledgement', async () => {
    const input = { incidentId: 'first-task-ack', dedupKey: 'first-task-ack', title: 'Beacon to a known C2', source: 'edr', severity: 'medium' as const, policy: DEFAULT_POLICY };
    const activities = new RecordingActivities();
    const worker = await createTestWorker(env, activities);
    // Started with no worker polling its queue: the first workflow task waits.
    const handle = await env.client.workflow.start('incidentWorkflow', { workflowId: workflowIdFor(input.incidentId), taskQueue: worker.options.taskQueue, args: [input] });
    const acknowledged = handle.executeUpdate(acknowledgeUpdate, { updateId: 'ack-1', args: [{ principal: maria, decision: {} }] });
    try {
      await untilUpdateAdmitted(env, handle.workflowId, 'ack-1');
      const state = await worker.runUntil(acknowledged);
      expect(state).toMatchObject({ phase: 'triage', acknowledgedBy: { name: 'maria' } });

      // The decision came in the first workflow task, or this test would prove nothing.
      const { events } = await handle.fetchHistory();
      const types = (events ?? []).map((e) => e.eventType);
      const secondTask = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED));
      const accepted = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
      expect(accepted).toBeGreaterThan(0);
      if (secondTask >= 0) expect(accepted).toBeLessThan(secondTask);

      const audited = activities.audit.map((e) => e.entryKey);
      // Opened in detection, then acknowledged into triage: the chain tells it in that order.
      expect(audited.slice(0, 4)).toEqual(['opened', 'phase:detected', 'decision:ack-1', 'phase:triage']);
      expect(lifecycleEventsOf(input.incidentId, activities.audit).slice(0, 3).map((e) => e.type)).toEqual([T.opened, T.acknowledged, T.phaseChanged]);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
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
    const handle = await env.client.workflow.start('followUpWorkflow', { workflowId: followUpWorkflowIdFor(initial.incidentId), taskQueue: worker.options.taskQueue, args: [{ initial }] });
    const commented = handle.executeUpdate(commentFollowUpUpdate, { updateId: 'comment-1', args: [{ principal: maria, decision: { taskId: 'follow-up-1', text: 'keys listed' } }] });
    try {
      await untilUpdateAdmitted(env, handle.workflowId, 'comment-1');
      await worker.runUntil(async () => {
        await commented;
        // The first task scheduled two publishes; the update answered after its own.
        await waitFor('both publishes', async () => {
          if (activities.audit.length < 2) throw new Error(`${activities.audit.length} entries`);
        }, 10_000, 50);
      });
      expect(activities.audit.map((e) => e.entryKey)).toEqual(['follow-ups-opened', 'decision:comment-1']);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
});

