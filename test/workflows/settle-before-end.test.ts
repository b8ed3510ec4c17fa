import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { days } from '../../src/domain/duration';
import type { IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { acknowledgeUpdate, alertSignal, assessUpdate, stateQuery, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { pinPlaybook } from '../support/playbooks';
import { alice, maria } from '../support/principals';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

/**
 * A run must not end while a page is on its way. Here both stage SLAs page every 30 minutes (a
 * playbook that never contains or collects evidence) and the run continues as new every 150
 * events, so pages keep falling due while the run publishes its last state. Before 0.4.0 a page
 * that fired then was scheduled beside the continue-as-new and never sent: its audit entries were
 * lost, and on this server the clock stopped for good (an activity left behind, pitfall 31).
 */
describe('continue-as-new while the SLA pages keep firing (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('sends and audits every page across continue-as-new, and time keeps passing', async () => {
    const input: IncidentWorkflowInput = { incidentId: 'settle-1', dedupKey: 'settle-1', title: 'Paging while continuing', source: 'edr', severity: 'high', policy: DEFAULT_POLICY, continueAsNewAfterEvents: 150 };
    const playbook = pinPlaybook({ name: 'never-contains', version: 1, title: 'Never contains', steps: [{ id: 'parked', kind: 'task', title: 'Wait for the vendor', instructions: 'Call them.', owner: { role: 'responder' }, due: '30d' }] });
    await withIncident(env, input, async (started, activities) => {
      const handle = started as WorkflowHandleWithFirstExecutionRunId;
      const { openedAt } = await handle.query(stateQuery);
      await handle.signal(alertSignal, { alertId: 'a-1', source: 'edr', sourceRef: 'r1', title: 't', severity: 'high', receivedAt: openedAt, assets: [{ kind: 'host', id: 'web-09' }] });
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      await handle.executeUpdate(assessUpdate, { args: [{ principal: maria, decision: { severity: 'high', category: 'malware', strategy: 'contain_first', externalAssistance: false, playbook } }] });

      const latest = env.client.workflow.getHandle(handle.workflowId);
      for (let day = 1; day <= 2; day++) {
        const skipped = env.sleep(days(1)).then(() => 'skipped');
        const stalled = new Promise((resolve) => setTimeout(() => resolve('stalled'), 60_000));
        expect(`day ${day}: ${await Promise.race([skipped, stalled])}`).toBe(`day ${day}: skipped`);
      }
      // The last page may still be on its way (activities run in real time, and a page's notice
      // and audit are scheduled only once the workflow task that records it, publish included, is
      // done): wait for it, reading the state afresh each time.
      const missingPages = async () => {
        const state: IncidentState = await latest.query(stateQuery);
        const slaPages = state.escalations.filter((e) => e.page !== undefined);
        const audited = new Set(activities.audit.map((a) => a.entryKey));
        const sent = new Set(activities.notices.flatMap((n) => (n.kind === 'escalation' && n.escalation.page !== undefined ? [n.escalation.page] : [])));
        return { slaPages, missing: slaPages.filter((e) => !audited.has(`page:${e.level}:${e.cause}:${e.page}`) || !sent.has(e.page!)).map((e) => e.page) };
      };
      let { slaPages, missing } = await missingPages();
      for (let i = 0; i < 100 && missing.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ({ slaPages, missing } = await missingPages());
      }
      expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId); // it did continue as new

      // Every page the state records was sent and audited, once.
      expect(slaPages.length).toBeGreaterThan(40); // two SLAs, every 30 minutes, for two days
      expect(missing).toEqual([]);
    });
  }, 240_000);
});
