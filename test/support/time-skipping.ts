import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { EscalationNotice, IncidentActivities } from '../../src/activities/types';
import type { IncidentState } from '../../src/domain/incident';
import { temporalTestServerPath } from '../../src/temporal/binaries';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import type { IncidentWorkflowInput } from '../../src/workflows/messages';
import { incidentWorkflowBundle } from './workflow-bundle';

/** The time-skipping test server from the tools folder (the SDK cannot download it here). */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** Activities that record what the workflow asked of them: the adapter boundary of a workflow test. */
export class RecordingActivities implements IncidentActivities {
  readonly snapshots: IncidentState[] = [];
  readonly notices: EscalationNotice[] = [];

  async recordIncident(state: IncidentState): Promise<void> {
    this.snapshots.push(state);
  }

  async notify(notice: EscalationNotice): Promise<void> {
    this.notices.push(notice);
  }
}

export async function createTestWorker(env: TestWorkflowEnvironment, activities: IncidentActivities): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue: `ts-${randomBytes(6).toString('hex')}`,
    workflowBundle: await incidentWorkflowBundle(),
    activities: { ...activities, recordIncident: activities.recordIncident.bind(activities), notify: activities.notify.bind(activities) },
  });
}

/**
 * Runs `body` against a fresh incident workflow on its own worker, and terminates the workflow
 * afterwards: a workflow left behind with nobody polling its queue would hold the test server's
 * clock still for every later test.
 */
export async function withIncident(
  env: TestWorkflowEnvironment,
  input: IncidentWorkflowInput,
  body: (handle: WorkflowHandle, activities: RecordingActivities) => Promise<void>,
): Promise<void> {
  const activities = new RecordingActivities();
  const worker = await createTestWorker(env, activities);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('incidentWorkflow', {
      workflowId: `incident-${input.incidentId}`,
      taskQueue: worker.options.taskQueue,
      args: [input],
    });
    try {
      await body(handle, activities);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
}
