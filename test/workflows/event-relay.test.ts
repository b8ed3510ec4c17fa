import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import type { EventRelayActivities } from '../../src/activities/event-relay';
import { waitFor } from '../../src/net';
import { ensureEventRelay, eventRelayWorkflowId } from '../../src/worker/incident-worker';
import { createTimeSkippingEnv } from '../support/time-skipping';
import { incidentWorkflowBundle } from '../support/workflow-bundle';

describe('the event relay workflow', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs once per task queue however often workers start it, relays run after run, and continues as new', async () => {
    const taskQueue = `relay-${randomBytes(4).toString('hex')}`;
    const runs: number[] = [];
    const activities: EventRelayActivities = {
      async relayLifecycleEvents({ forMs }) {
        runs.push(forMs);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { delivered: 0, refused: 0, skipped: 0 };
      },
    };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await incidentWorkflowBundle(), activities });
    await worker.runUntil(async () => {
      const first = await ensureEventRelay(env.client, taskQueue, { runMs: 1_000, runsPerWorkflow: 2 });
      const firstRun = (await env.client.workflow.getHandle(first).describe()).runId;
      // A second worker start joins the running relay instead of failing or starting another.
      expect(await ensureEventRelay(env.client, taskQueue, { runMs: 1_000, runsPerWorkflow: 2 })).toBe(eventRelayWorkflowId(taskQueue));
      expect((await env.client.workflow.getHandle(first).describe()).runId).toBe(firstRun);

      await waitFor('five relay runs', async () => {
        if (runs.length < 5) throw new Error(`${runs.length} runs`);
      }, 20_000, 20);
      expect(runs.every((ms) => ms === 1_000)).toBe(true);
      const handle = env.client.workflow.getHandle(first);
      const latest = await handle.describe();
      expect(latest.runId).not.toBe(firstRun);
      const firstHistory = await env.client.workflow.getHandle(first, firstRun).fetchHistory();
      expect(firstHistory.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      // A relay left running would stop the test server's clock for later suites.
      await handle.terminate('test over');
    });
  });
});
