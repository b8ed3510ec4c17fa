import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seconds } from '../../src/domain/duration';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { acknowledgeUpdate, addNoteUpdate, stateQuery } from '../../src/workflows/messages';
import { alice } from '../support/principals';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

/**
 * The incident's workflow keeps its audit chain's head, as each publish answered it, so Temporal
 * holds a second copy of it that whoever rewrites the audit table cannot reach.
 */
describe('the audit chain head in the workflow state (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('holds the head the latest publish answered, and moves with every decision', async () => {
    const input = { incidentId: 'audit-head-1', dedupKey: 'audit-head-1', title: 'Beaconing from build-07', source: 'ids', severity: 'medium' as const, policy: DEFAULT_POLICY };
    await withIncident(env, input, async (handle, activities) => {
      const settled = async (what: string) => {
        for (let i = 0; i < 50; i++) {
          const state = await handle.query(stateQuery);
          if (state.auditHead?.seq === activities.audit.length) return state;
          await env.sleep(seconds(1));
        }
        throw new Error(`the head never caught up with ${what}`);
      };
      const opened = await settled('the opening');
      expect(opened.auditHead).toEqual({ seq: activities.audit.length, hash: `head-${activities.audit.length}` });
      expect(activities.audit.length).toBeGreaterThan(0);

      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      await handle.executeUpdate(addNoteUpdate, { args: [{ principal: alice, decision: { text: 'beacon every 60 s to a fresh domain' } }] });
      const after = await settled('the decisions');
      expect(after.auditHead!.seq).toBeGreaterThan(opened.auditHead!.seq);
      expect(activities.audit.map((e) => e.action)).toEqual(expect.arrayContaining(['acknowledge', 'addNote']));
      // The head is not a change of the incident: it never bumps the version the read model orders by.
      expect(activities.snapshots.at(-1)!.version).toBe(after.version);
    });
  });
});
